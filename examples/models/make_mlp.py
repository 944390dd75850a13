"""Writes mlp.onnx, the example model that scripts/setup.sh compiles.

A 784 -> 128 -> 10 MLP (Gemm, Relu, Gemm, Softmax) on a 4x784 float input,
opset 17 and IR version 8 (what Debian's libonnx 1.12 reads), with
deterministic weights. Needs numpy and onnx only:

    .venv/bin/python examples/models/make_mlp.py [OUT.onnx]
"""

import pathlib
import sys

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

BATCH, IN, HIDDEN, OUT = 4, 784, 128, 10


def weights(rng, fan_in, fan_out):
    bound = 1.0 / np.sqrt(fan_in)  # torch.nn.Linear's default init range
    w = rng.uniform(-bound, bound, (fan_out, fan_in)).astype(np.float32)
    b = rng.uniform(-bound, bound, (fan_out,)).astype(np.float32)
    return w, b


def make_model():
    rng = np.random.default_rng(2024)
    w1, b1 = weights(rng, IN, HIDDEN)
    w2, b2 = weights(rng, HIDDEN, OUT)
    inits = [numpy_helper.from_array(a, name) for a, name in
             [(w1, "fc1.weight"), (b1, "fc1.bias"), (w2, "fc2.weight"), (b2, "fc2.bias")]]
    nodes = [
        helper.make_node("Gemm", ["input", "fc1.weight", "fc1.bias"], ["h"],
                         name="fc1", transB=1),
        helper.make_node("Relu", ["h"], ["h_relu"], name="relu1"),
        helper.make_node("Gemm", ["h_relu", "fc2.weight", "fc2.bias"], ["logits"],
                         name="fc2", transB=1),
        helper.make_node("Softmax", ["logits"], ["probs"], name="softmax", axis=1),
    ]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("input", TensorProto.FLOAT, [BATCH, IN])],
        [helper.make_tensor_value_info("probs", TensorProto.FLOAT, [BATCH, OUT])],
        initializer=inits)
    model = helper.make_model(graph, producer_name="dlc examples/models/make_mlp.py",
                              ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model, full_check=True)
    return model


if __name__ == "__main__":
    out = pathlib.Path(sys.argv[1] if len(sys.argv) > 1 else
                       pathlib.Path(__file__).with_name("mlp.onnx"))
    onnx.save(make_model(), str(out))
    print(f"wrote {out} ({out.stat().st_size} bytes)")
