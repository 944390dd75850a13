#!/usr/bin/env bash
# README command 2 (and CI): install and build (scripts/bootstrap.sh), then run
# every test through ctest: unit (GoogleTest), lit, end-to-end models, the
# hostile-input suite, the fuzzers' seed replays. Then (issue 8) the check
# that no call has two IR-building arguments (scripts/check_eval_order.py), the
# sanitizer build and its tests (scripts/sanitize.sh) and a short run of
# each fuzzer (scripts/fuzz.sh, FUZZ_SECONDS each, default 60).
# Extra arguments go to ctest, e.g. `scripts/test.sh -R e2e_models`; with
# any, or with DLC_QUICK=1, only the ctest part runs.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

printf '\n=== Tests (ctest) ===\n'
ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --no-tests=error -j"${JOBS:-2}" "$@"
if (($#)) || [[ ${DLC_QUICK:-0} == 1 ]]; then
  exit 0
fi

printf '\n=== Evaluation order: no call with two IR-building arguments (scripts/check_eval_order.py) ===\n'
start=$SECONDS
scripts/check_eval_order.py --build-dir "${BUILD_DIR:-build}" -j"${JOBS:-2}"
echo "evaluation order: $((SECONDS - start))s"

printf '\n=== Sanitizers: ASan + UBSan build and tests (scripts/sanitize.sh) ===\n'
start=$SECONDS
scripts/sanitize.sh
echo "sanitizers: $((SECONDS - start))s"

printf '\n=== Fuzzing: each target for %ss (scripts/fuzz.sh) ===\n' "${FUZZ_SECONDS:-60}"
start=$SECONDS
# A fixed seed: a CI run replays the same inputs (how far it gets in the
# time given depends on the machine); the long runs of docs/robustness.md
# use random seeds.
for target in dsl_parser_fuzzer tensor_file_fuzzer onnx_loader_fuzzer executable_loader_fuzzer; do
  printf -- '--- %s\n' "$target"
  FUZZ_DIR=${FUZZ_DIR:-build-asan/fuzz-ci} scripts/fuzz.sh "$target" "${FUZZ_SECONDS:-60}" -seed=1 2>&1 | tail -n 12
done
echo "fuzzing: $((SECONDS - start))s"
