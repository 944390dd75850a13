#!/usr/bin/env bash
# Runs one libFuzzer target for a while:
#   scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]
#   scripts/fuzz.sh onnx_loader_fuzzer 900
# Targets: dsl_parser_fuzzer, tensor_file_fuzzer, onnx_loader_fuzzer,
# executable_loader_fuzzer. They are built in the sanitizer build dir
# (scripts/sanitize.sh --build: clang, ASan + UBSan + libFuzzer
# instrumentation, shared with the sanitizer tests).
# The run starts from the seed corpus (test/fuzz/corpus/<kind>/, read only)
# and keeps what it discovers in FUZZ_DIR/corpus/TARGET (default
# build-asan/fuzz). A crash leaves crash-* in FUZZ_DIR: once fixed, add it to
# the seed corpus (its replay is a ctest) and say so in docs/robustness.md.
# The last line of the log is libFuzzer's summary (executions, coverage).
# Environment: ASAN_DIR, FUZZ_DIR, JOBS (default 2).
set -euo pipefail
cd "$(dirname "$0")/.."

targets="dsl_parser_fuzzer tensor_file_fuzzer onnx_loader_fuzzer executable_loader_fuzzer"
if (($# < 2)); then
  echo "usage: scripts/fuzz.sh TARGET SECONDS [libFuzzer flags...]" >&2
  echo "targets: $targets" >&2
  exit 1
fi
target=$1 seconds=$2
shift 2
case $target in
  dsl_parser_fuzzer) seeds=test/fuzz/corpus/dsl ;;
  tensor_file_fuzzer) seeds=test/fuzz/corpus/tensor ;;
  onnx_loader_fuzzer) seeds=test/fuzz/corpus/onnx ;;
  executable_loader_fuzzer) seeds=test/fuzz/corpus/executable ;;
  *) echo "fuzz.sh: unknown target '$target' ($targets)" >&2; exit 1 ;;
esac
build=${ASAN_DIR:-build-asan}
dir=${FUZZ_DIR:-$build/fuzz}

if [[ ! -f $build/build.ninja ]]; then
  ASAN_DIR=$build scripts/sanitize.sh --build
else
  nice ninja -C "$build" -j "${JOBS:-2}" "$target"
fi

binary=$PWD/$build/test/fuzz/$target
seeds=$PWD/$seeds
mkdir -p "$dir/corpus/$target"
cd "$dir"
# -rss_limit_mb: inputs are small and dlc bounds what one may allocate (the
# ONNX target compiles only models whose tensors are small); more is a bug.
# Leak checking is on: a leak on an error path is a finding too.
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1}
exec nice "$binary" -max_total_time="$seconds" -rss_limit_mb=2048 -timeout=20 \
  -print_final_stats=1 "$@" "corpus/$target" "$seeds"
