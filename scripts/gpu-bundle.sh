#!/usr/bin/env bash
# Packs what the GPU machine needs to run dlc's GPU suite into .gpu/ (an
# ignored folder that the device tool carries): the dlc tool, libdlc, the GPU
# test programs, the example C++ program, and every shared library they need
# that a stock CUDA machine lacks (LLVM/MLIR 16, ONNX, protobuf and theirs),
# compressed. The CUDA libraries (driver, NVRTC, cuBLASLt, cuDNN) are not
# packed: dlc loads them there with dlopen.
#
# usage: scripts/gpu-bundle.sh        (builds in build/ first)
# Then, with the device tool: carry [".gpu"], command
#   bash .gpu/gpu-suite.sh       (the GPU tests)
#   bash .gpu/gpu-bench.sh       (dlc bench and bench/compare.py against PyTorch)
set -euo pipefail
cd "$(dirname "$0")/.."
build=${BUILD_DIR:-build}
out=.gpu
limit_mib=60

targets=(dlc dlc_shared dlc_cuda_tests)
ninja -C "$build" -j"${JOBS:-2}" "${targets[@]}"

stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT
mkdir -p "$stage/bin" "$stage/lib" "$stage/examples"
cp "$build/tools/dlc/dlc" "$stage/bin/"
cp -P "$build"/api/libdlc.so* "$stage/lib/"
cp "$build/test/unit/dlc_cuda_tests" "$stage/bin/"
# The example C++ program, built as a user builds it: against an install.
cmake --install "$build" --prefix "$stage/prefix" >/dev/null
cmake -G Ninja -S examples/cpp -B "$stage/example-build" -DCMAKE_PREFIX_PATH="$stage/prefix" >/dev/null
cmake --build "$stage/example-build" >/dev/null
cp "$stage/example-build/run_model" "$stage/bin/"
rm -rf "$stage/prefix" "$stage/example-build"
cp examples/models/mlp.onnx "$stage/examples/"
cp -r examples/dsl "$stage/examples/"

# Libraries of the C runtime and the compiler's runtime are on every Linux
# machine (newer there than here); everything else travels.
system='^(linux-vdso|ld-linux|libc\.|libm\.|libdl\.|libpthread\.|librt\.|libgcc_s\.|libstdc\+\+\.)'
for f in "$stage"/bin/* "$stage"/lib/libdlc.so.*.*; do
  ldd "$f" | awk '/=> \//{print $1" "$3}' | while read -r name path; do
    [[ $name =~ $system ]] && continue
    [[ -e $stage/lib/$name ]] || cp -L "$path" "$stage/lib/$name"
  done
done
strip --strip-debug "$stage"/bin/* "$stage"/lib/* 2>/dev/null || true

cp scripts/gpu-common.sh scripts/gpu-suite.sh scripts/gpu-bench.sh scripts/gpu-digits.py "$stage/"
# The commit the bundle was built from (and whether the tree had changes),
# for the results' record in docs/perf.md.
{ git rev-parse HEAD; git status --porcelain --untracked-files=no | grep -q . && echo "with uncommitted changes"; } \
  >"$stage/COMMIT" 2>/dev/null || true
# dlc train's GPU steps: the digits data set and CNN, made here (the GPU
# machine may lack scikit-learn and torch).
"${PYTHON:-.venv/bin/python}" scripts/gpu-digits.py make "$stage/digits"
mkdir -p "$stage/test" "$stage/bench"
cp bench/compare.py bench/train_compare.py "$stage/bench/"
cp -r test/conformance "$stage/test/"
cp -r test/models "$stage/test/"
rm -rf "$out"; mkdir -p "$out"
tar -C "$stage" -cf - . | xz -T2 -6 > "$out/bundle.tar.xz"
cp scripts/gpu-common.sh scripts/gpu-suite.sh scripts/gpu-bench.sh "$out/"
size=$(stat -c %s "$out/bundle.tar.xz")
echo "gpu-bundle: $out/bundle.tar.xz is $((size / 1024 / 1024)) MiB"
if ((size > limit_mib * 1024 * 1024)); then
  echo "gpu-bundle: larger than ${limit_mib} MiB: the device tool carries at most 64 MiB" >&2
  exit 1
fi
