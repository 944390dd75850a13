#!/usr/bin/env bash
# The GPU suite, run on the GPU machine from the bundle that
# scripts/gpu-bundle.sh packs here (device tool: carry [".gpu"], command
# `bash .gpu/gpu-suite.sh`). Logs go to $OUT (the device tool brings them
# back); the summary is printed last.
#   1. the GPU unit tests (hand-built programs on the CUDA device vs host);
#   2. the ONNX conformance suite with --device cuda (test data generated
#      there from the onnx package of that machine);
#   3. the model tests (torch/onnxruntime references) with DLC_TEST_DEVICE=cuda;
#   4. compute-sanitizer memcheck over the example models;
#   5. the C++ example program through the JIT API on the GPU;
#   6. dlc train on the GPU: the digits CNN to at least 95% held-out accuracy,
#      and the same 20 SGD steps on host and cuda (plain, CUDA graph, no
#      cuBLASLt/cuDNN) giving the same weights (scripts/gpu-digits.py states the tolerance).
set -uo pipefail
source "$(dirname "$0")/gpu-common.sh"  # $out, $root, $dlc, step, summary

{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv,noheader
  echo "dlc commit $(cat "$root/COMMIT" 2>/dev/null)"; } | tee "$out/machine.txt"

step gpu_unit "$root/bin/dlc_cuda_tests"
step generate python3 "$root/test/conformance/generate.py" "$root/node"
step conformance python3 "$root/test/conformance/run_conformance.py" --dlc "$dlc" \
  --data "$root/node" --exclusions "$root/test/conformance/exclusions.txt" --device cuda --jobs 8
if [[ -d $root/test/models ]]; then
  step models env DLC_BIN="$dlc" DLC_TEST_DEVICE=cuda python3 -m pytest -q -p no:cacheprovider \
    "$root/test/models/test_models.py" "$root/test/models/test_real_models.py"
fi
mkdir -p "$root/io/in" "$root/io/out"
python3 - "$root/io/in" <<'PY'
import sys, numpy as np
from onnx import numpy_helper
x = np.random.default_rng(1).standard_normal((4, 784)).astype(np.float32)
open(f"{sys.argv[1]}/input_0.pb", "wb").write(numpy_helper.from_array(x).SerializeToString())
PY
step memcheck compute-sanitizer --tool memcheck --error-exitcode 3 "$dlc" run \
  "$root/examples/mlp.onnx" --device cuda --input-dir "$root/io/in" --output-dir "$root/io/out"
step cuda_graph "$dlc" run "$root/examples/mlp.onnx" --device cuda --cuda-graph \
  --input-dir "$root/io/in" --output-dir "$root/io/out-graph"
step graph_same python3 -c "
import sys, numpy as np, onnx
from onnx import numpy_helper as nh
a = nh.to_array(onnx.load_tensor('$root/io/out/output_0.pb'))
b = nh.to_array(onnx.load_tensor('$root/io/out-graph/output_0.pb'))
print('cuda-graph replay equals the plain run:', np.array_equal(a, b)); sys.exit(0 if np.array_equal(a, b) else 1)"
step example_jit "$root/bin/run_model" "$root/examples/mlp.onnx" --device cuda
for m in "$root"/examples/dsl/*.dlc; do
  step "dsl_$(basename "$m" .dlc)" "$root/bin/run_model" "$m" --device cuda
done

# The digits data and CNN come in the bundle (gpu-bundle.sh: gpu-digits.py make).
dg=$root/digits
step train_digits "$dlc" train "$dg/cnn.onnx" --data "$dg/train" --device cuda --loss softmax_cross_entropy \
  --optimizer adam --lr 0.01 --batch-size 50 --epochs 20 --shuffle --seed 1 --save "$dg/trained-cuda.onnx"
step digits_run "$dlc" run "$dg/trained-cuda.onnx" --device cuda --input-dir "$dg/test" --output-dir "$dg/out" \
  --input-shape x=397x1x8x8
step digits_95 python3 "$root/gpu-digits.py" accuracy "$dg/out/output_0.pb" "$dg/test_labels.pb"
for run in host cuda cuda-graph cuda-nolib; do
  flags=(--device "${run%-*}")
  [[ $run == cuda-graph ]] && flags+=(--cuda-graph)
  [[ $run == cuda-nolib ]] && flags+=(--no-libraries)
  step "train_$run" "$dlc" train "$dg/cnn.onnx" --data "$dg/train" "${flags[@]}" --loss softmax_cross_entropy \
    --optimizer sgd --lr 0.05 --momentum 0.9 --batch-size 50 --steps 20 --save "$dg/parity-$run.onnx"
done
step train_parity python3 "$root/gpu-digits.py" parity "$dg/parity-host.onnx" "$dg/parity-cuda.onnx"
step train_parity_graph python3 "$root/gpu-digits.py" parity "$dg/parity-host.onnx" "$dg/parity-cuda-graph.onnx"
step train_parity_nolib python3 "$root/gpu-digits.py" parity "$dg/parity-host.onnx" "$dg/parity-cuda-nolib.onnx"

printf '%s\n' "${summary[@]}" | tee "$out/summary.txt"
