#!/usr/bin/env bash
# README command 1: install and build everything (scripts/bootstrap.sh), then
# compile the bundled example model and print the dlc-dialect IR it becomes.
set -euo pipefail
cd "$(dirname "$0")/.."

scripts/bootstrap.sh

model=examples/models/mlp.onnx
dlc=${BUILD_DIR:-build}/tools/dlc/dlc
printf '\n=== Example: %s compile %s --emit ir ===\n' "$dlc" "$model"
if ! "$dlc" compile "$model" --emit ir; then
  echo "setup.sh: FAILED: dlc could not compile $model" >&2
  exit 1
fi
printf '\n=== Done. Run all tests with: scripts/test.sh ===\n'
