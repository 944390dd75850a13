#!/usr/bin/env bash
# Builds the libFuzzer targets in their own build dir (clang, ASan + UBSan)
# and runs one for a while:
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   scripts/fuzz.sh dsl_parser_fuzzer 300
#   scripts/fuzz.sh executable_loader_fuzzer 300
# The run starts from the seed corpus (test/fuzz/corpus/<kind>/, read only)
# and keeps what it discovers in FUZZ_DIR/corpus (default build-fuzz/). A
# crash leaves crash-* in FUZZ_DIR: add it to the seed corpus (and a test)
# once fixed. Environment: FUZZ_DIR, JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

if (($# < 2)); then
  echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
  echo "targets: dsl_parser_fuzzer executable_loader_fuzzer" >&2
  exit 1
fi
target=$1 seconds=$2
shift 2
dir=${FUZZ_DIR:-build-fuzz}
case $target in
  dsl_parser_fuzzer) seeds=test/fuzz/corpus/dsl ;;
  executable_loader_fuzzer) seeds=test/fuzz/corpus/executable ;;
  *) echo "fuzz.sh: unknown target '$target' (dsl_parser_fuzzer, executable_loader_fuzzer)" >&2; exit 1 ;;
esac

if [[ ! -f $dir/build.ninja ]]; then
  cmake -G Ninja -S . -B "$dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ \
    -DDLC_BUILD_FUZZERS=ON -DDLC_BUILD_COMPILER=OFF -DDLC_BUILD_TESTS=OFF
fi
ninja -C "$dir" -j "${JOBS:-2}" "$target"

seeds=$PWD/$seeds
mkdir -p "$dir/corpus/$target"
cd "$dir"
# -rss_limit_mb: the DSL and the loader bound what one input may allocate;
# more is a bug.
exec "./test/fuzz/$target" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=10 \
  "$@" "corpus/$target" "$seeds"
