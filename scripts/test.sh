#!/usr/bin/env bash
# README command 2 (and CI): install and build (scripts/bootstrap.sh), then run
# every test through ctest: unit (GoogleTest), lit, end-to-end models.
# Extra arguments go to ctest, e.g. `scripts/test.sh -R e2e_models`.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

printf '\n=== Tests (ctest) ===\n'
exec ctest --test-dir "${BUILD_DIR:-build}" --output-on-failure --no-tests=error -j"${JOBS:-2}" "$@"
