#!/usr/bin/env bash
# Sets up everything dlc needs on Debian 12 and builds it:
#   1. Debian packages (apt-get runs only when one is missing),
#   2. the test-only Python venv at .venv (pip runs only when
#      scripts/requirements-test.txt changed),
#   3. cmake configure + ninja build in build/.
# Safe to run again: each step is quick when there is nothing to do.
# Environment: JOBS (ninja parallelism, default 2), BUILD_DIR (default build).
set -euo pipefail
cd "$(dirname "$0")/.."

step="start"
trap 'echo "bootstrap.sh: FAILED while: $step (line $LINENO)" >&2' ERR
section() { step="$*"; printf '\n=== %s ===\n' "$*"; }

apt_packages=(cmake ninja-build ccache g++ libmlir-16-dev mlir-16-tools
  llvm-16-dev llvm-16-tools libonnx-dev libprotobuf-dev protobuf-compiler
  libgtest-dev python3-venv
  clang libclang-rt-14-dev  # the sanitizer build and libFuzzer (scripts/sanitize.sh, fuzz.sh)
  clang-tools)  # clang-query for scripts/check_eval_order.py
python=/usr/bin/python3  # Debian's, never a pyenv/conda python on PATH
venv=.venv
requirements=scripts/requirements-test.txt
build_dir=${BUILD_DIR:-build}

section "Debian packages"
missing=()
for p in "${apt_packages[@]}"; do
  [[ $(dpkg -s "$p" 2>/dev/null) == *"Status: install ok installed"* ]] || missing+=("$p")
done
if ((${#missing[@]})); then
  echo "installing: ${missing[*]}"
  sudo=""
  [[ $(id -u) == 0 ]] || sudo=sudo
  export DEBIAN_FRONTEND=noninteractive
  $sudo apt-get update
  $sudo apt-get install -y --no-install-recommends "${missing[@]}"
else
  echo "all ${#apt_packages[@]} packages present"
fi

section "Python test venv ($venv)"
if ! "$venv/bin/python" -c 'import sys' 2>/dev/null; then
  rm -rf "$venv"
  "$python" -m venv "$venv"
fi
stamp="$venv/.requirements.sha256"
want=$( (cat "$requirements"; "$venv/bin/python" --version) | sha256sum | cut -d' ' -f1)
if [[ -f $stamp && $(cat "$stamp") == "$want" ]]; then
  echo "requirements unchanged since last install; skipping pip"
else
  rm -f "$stamp"
  "$venv/bin/python" -m pip install --disable-pip-version-check --no-input \
    --progress-bar off -r "$requirements"
  "$venv/bin/python" -c 'import numpy, onnx, onnxruntime, torch, pytest'
  echo "$want" >"$stamp"
fi
"$venv/bin/python" -c 'import numpy, onnx, onnxruntime, torch
print("numpy", numpy.__version__, "| onnx", onnx.__version__,
      "| onnxruntime", onnxruntime.__version__, "| torch", torch.__version__)'

section "Configure ($build_dir)"
cmake -G Ninja -S . -B "$build_dir" -DCMAKE_BUILD_TYPE=RelWithDebInfo

section "Build ($build_dir, -j${JOBS:-2})"
ninja -C "$build_dir" -j"${JOBS:-2}"

step="done"
echo "bootstrap.sh: OK (${SECONDS}s)"
