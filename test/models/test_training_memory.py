"""The training step's memory (`dlc train --stats`, docs/training.md):
each parameter's optimizer update, all its state included, is one kernel
that writes over the old values in place; gradient checkpointing gives the
same weights with a smaller arena on a deep MLP."""

import json

import numpy as np
import onnx
import pytest
import torch
from onnx import helper, numpy_helper, TensorProto

from dlcutil import dlc
from test_training import OPTIMIZERS, mlp, mlp_onnx, trained_weights, write_data
from test_training_digits import cnn_onnx


def stats(dlc_bin, model, data, *flags):
    proc = dlc(dlc_bin, "train", model, "--data", data, "--loss", "softmax_cross_entropy",
               "--batch-size", 10, "--stats", "--json", *flags)
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout.splitlines()[0])


def mlp_case(tmp_path):
    rng = np.random.default_rng(1)
    write_data(tmp_path / "data", [rng.standard_normal((20, 6)).astype(np.float32)],
               rng.integers(0, 3, 20).astype(np.int64))
    mlp_onnx(mlp(), tmp_path / "mlp.onnx")
    return tmp_path / "mlp.onnx", ["w1", "b1", "w2", "b2"]


def cnn_case(tmp_path):
    rng = np.random.default_rng(2)
    write_data(tmp_path / "data", [rng.random((20, 1, 8, 8)).astype(np.float32)],
               rng.integers(0, 10, 20).astype(np.int64))
    cnn_onnx(tmp_path / "cnn.onnx")
    return tmp_path / "cnn.onnx", ["conv.w", "conv.b", "fc.w", "fc.b"]


@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
@pytest.mark.parametrize("case", [mlp_case, cnn_case], ids=["mlp", "cnn"])
def test_each_update_is_one_kernel_in_place(dlc_bin, tmp_path, case, optimizer):
    model, params = case(tmp_path)
    s = stats(dlc_bin, model, tmp_path / "data", *OPTIMIZERS[optimizer][0])
    assert [u["param"] for u in s["updates"]] == params
    for u in s["updates"]:
        # The new parameter and every new state tensor come from one kernel,
        # a generated one (not a library call), written over the old values.
        assert u["one_kernel"], u
        assert u["kind"] in ("loop", "reduction"), u
        assert u["in_place"], u
    assert s["update_kernels"] == len(params)
    state = {"sgd": 1, "adam": 2, "adamw": 2}[optimizer]
    assert s["aliases"] == s["in_place"] == len(params) * (1 + state) + 1  # + the step count
    assert s["param_bytes"] > 0 and s["optimizer_state_bytes"] == state * s["param_bytes"]
    assert s["kernels"] == sum(s["kernels_by_kind"].values())
    assert 0 < s["peak_bytes"] <= s["naive_bytes"]
    assert s["checkpoint"] is False and s["peak_bytes_without_checkpoint"] is None


def test_stats_text_and_usage(dlc_bin, tmp_path):
    model, _ = mlp_case(tmp_path)
    proc = dlc(dlc_bin, "train", model, "--data", tmp_path / "data", "--loss", "softmax_cross_entropy",
               "--optimizer", "adam", "--lr", "0.01", "--batch-size", 10, "--stats")
    assert proc.returncode == 0, proc.stderr
    for line in ["update kernels: 4 for 4 parameters (4 updated by one kernel each)",
                 "in place: 13 of 13 parameter, state and step updates", "arena peak: ",
                 "optimizer state: 664 bytes", "activations kept for the backward pass: "]:
        assert line in proc.stdout, proc.stdout
    proc = dlc(dlc_bin, "train", model, "--data", tmp_path / "data", "--loss", "mse",
               "--optimizer", "sgd", "--lr", "0.1", "--batch-size", 10, "--json")
    assert proc.returncode == 1 and "--json goes with --stats" in proc.stderr


def deep_mlp(path, depth=8, width=32, classes=4, seed=0, bias=True):
    """Linear/Tanh layers: with a large batch the activations dominate the
    step's memory."""
    torch.manual_seed(seed)
    inits, nodes, x = [], [], "x"
    for i in range(depth):
        layer = torch.nn.Linear(width, width if i + 1 < depth else classes)
        inits.append(numpy_helper.from_array(layer.weight.detach().numpy().copy(), f"w{i}"))
        if bias:
            inits.append(numpy_helper.from_array(layer.bias.detach().numpy().copy(), f"b{i}"))
        nodes.append(helper.make_node("Gemm", [x, f"w{i}"] + ([f"b{i}"] if bias else []), [f"h{i}"], transB=1,
                                      name=f"fc{i}"))
        x = f"h{i}"
        if i + 1 < depth:
            nodes.append(helper.make_node("Tanh", [x], [f"a{i}"], name=f"act{i}"))
            x = f"a{i}"
    graph = helper.make_graph(nodes, "deep_mlp",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", width])],
                              [helper.make_tensor_value_info(x, TensorProto.FLOAT, ["N", classes])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


# With and without biases: a bias's update reduces its layer's output
# gradient, so run at the end of the step (or fused with the other biases'
# updates into one multi-tensor kernel) it kept every layer's output gradient
# live until then, and checkpointing gained nothing; dlc-schedule runs each
# update as soon as its gradient is final (docs/training.md).
@pytest.mark.parametrize("bias", [False, True], ids=["no_bias", "bias"])
def test_checkpointing_same_weights_less_memory(dlc_bin, tmp_path, bias):
    rng = np.random.default_rng(3)
    write_data(tmp_path / "data", [rng.standard_normal((512, 32)).astype(np.float32)],
               rng.integers(0, 4, 512).astype(np.int64))
    deep_mlp(tmp_path / "deep.onnx", bias=bias)
    common = ["train", tmp_path / "deep.onnx", "--data", tmp_path / "data", "--loss", "softmax_cross_entropy",
              "--optimizer", "adam", "--lr", "0.01", "--batch-size", 256, "--steps", 4]
    plain = dlc(dlc_bin, *common, "--save", tmp_path / "plain.onnx")
    assert plain.returncode == 0, plain.stderr
    ckpt = dlc(dlc_bin, *common, "--checkpoint", "--stats", "--json", "--save", tmp_path / "ckpt.onnx")
    assert ckpt.returncode == 0, ckpt.stderr
    lines = ckpt.stdout.splitlines()
    s = json.loads(lines[0])
    # The same losses, step by step, and the same weights.
    assert lines[1:5] == plain.stdout.splitlines()[:4]
    a, b = trained_weights(tmp_path / "plain.onnx"), trained_weights(tmp_path / "ckpt.onnx")
    for name in a:
        np.testing.assert_allclose(b[name], a[name], rtol=1e-6, atol=1e-7, err_msg=name)
    # Less kept between the passes, and a smaller arena.
    assert s["checkpoint"] is True
    assert s["peak_bytes"] < s["peak_bytes_without_checkpoint"], s
    no = json.loads(dlc(dlc_bin, *common[:-2], "--stats", "--json").stdout)
    assert no["peak_bytes"] == s["peak_bytes_without_checkpoint"]
    assert s["activation_bytes"] < no["activation_bytes"], (s, no)
    # At least two of the seven kept [256, 32] f32 activations fewer at the peak.
    assert s["peak_bytes_without_checkpoint"] - s["peak_bytes"] >= 2 * 256 * 32 * 4, s
    # Each update is still one kernel of its own, in place.
    for stat in (s, no):
        assert stat["update_kernels"] == len(stat["updates"]) == (16 if bias else 8)
        assert all(u["one_kernel"] and u["in_place"] for u in stat["updates"]), stat["updates"]


def deep_cnn(path, depth=4, channels=8, seed=0):
    """x [N,1,16,16] -> depth x (Conv 3x3 pad 1 with bias, Relu) -> MaxPool 2x2 -> Flatten -> Gemm 10."""
    torch.manual_seed(seed)
    inits, nodes, x, cin = [], [], "x", 1
    for i in range(depth):
        conv = torch.nn.Conv2d(cin, channels, 3, padding=1)
        inits += [numpy_helper.from_array(conv.weight.detach().numpy().copy(), f"c{i}.w"),
                  numpy_helper.from_array(conv.bias.detach().numpy().copy(), f"c{i}.b")]
        nodes += [helper.make_node("Conv", [x, f"c{i}.w", f"c{i}.b"], [f"h{i}"], pads=[1, 1, 1, 1], name=f"conv{i}"),
                  helper.make_node("Relu", [f"h{i}"], [f"r{i}"], name=f"relu{i}")]
        x, cin = f"r{i}", channels
    fc = torch.nn.Linear(channels * 8 * 8, 10)
    inits += [numpy_helper.from_array(fc.weight.detach().numpy().copy(), "fc.w"),
              numpy_helper.from_array(fc.bias.detach().numpy().copy(), "fc.b")]
    nodes += [helper.make_node("MaxPool", [x], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
              helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
              helper.make_node("Gemm", ["f", "fc.w", "fc.b"], ["y"], transB=1, name="fc")]
    graph = helper.make_graph(nodes, "deep_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 16, 16])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


# A CNN with biases: checkpointing lowers the peak by at least one layer's
# activation, and every update (the filters' included, whose data gradient
# reads them flipped) stays one kernel, in place.
@pytest.mark.parametrize("optimizer", ["sgd", "adam"])
def test_checkpointing_cnn_with_biases(dlc_bin, tmp_path, optimizer):
    rng = np.random.default_rng(5)
    write_data(tmp_path / "data", [rng.random((64, 1, 16, 16)).astype(np.float32)],
               rng.integers(0, 10, 64).astype(np.int64))
    deep_cnn(tmp_path / "cnn.onnx")
    proc = dlc(dlc_bin, "train", tmp_path / "cnn.onnx", "--data", tmp_path / "data", "--loss",
               "softmax_cross_entropy", "--batch-size", 64, "--checkpoint", "--stats", "--json",
               *OPTIMIZERS[optimizer][0])
    assert proc.returncode == 0, proc.stderr
    s = json.loads(proc.stdout.splitlines()[0])
    assert s["peak_bytes_without_checkpoint"] - s["peak_bytes"] >= 64 * 8 * 16 * 16 * 4, s
    assert s["update_kernels"] == len(s["updates"]) == 10
    assert all(u["one_kernel"] and u["in_place"] for u in s["updates"]), s["updates"]


def update_steps(stat):
    return {u["param"]: u["kernel"] for u in stat["updates"]}


# The update of a layer's parameters runs once its gradient is final, in the
# backward pass (the last layer's first), not after the whole backward pass.
# The kernel numbers come from --stats; the order they must have follows
# from the model: layer i's output gradient, which its bias's update
# reduces, needs layer i+1's, and the first layer's needs the last layer's
# weights read (so their update waits for it) but not updated.
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_updates_run_as_their_gradients_are_final(dlc_bin, tmp_path, optimizer):
    rng = np.random.default_rng(4)
    write_data(tmp_path / "data", [rng.standard_normal((40, 32)).astype(np.float32)],
               rng.integers(0, 4, 40).astype(np.int64))
    deep_mlp(tmp_path / "deep.onnx", depth=4, bias=True)
    s = stats(dlc_bin, tmp_path / "deep.onnx", tmp_path / "data", *OPTIMIZERS[optimizer][0])
    at = update_steps(s)
    assert at["b3"] < at["b2"] < at["b1"] < at["b0"], at
    assert at["w3"] < at["b0"] and at["w2"] < at["b0"], at
    # Not all at the end: the last layer's updates run before the last
    # len(at) kernels of the step, which the updates filled before.
    assert max(at["w3"], at["b3"]) < s["kernels"] - len(at), (at, s["kernels"])
    assert len(set(at.values())) == len(at)  # one kernel each
    assert all(u["in_place"] for u in s["updates"]), s["updates"]
