"""A real data set, offline: scikit-learn's handwritten digits (8x8 images,
10 classes). `dlc train` trains a small CNN (convolution, max pooling, a
dense layer; and a variant with BatchNorm and Dropout) on the host device, and the saved model, run by `dlc run` on
held-out digits, must classify at least 95% of them correctly. The plain CNN
also trains with --precision fp16 (dynamic loss scaling) and bf16: 16-bit
forward and backward convolutions and products, f32 master weights."""

import numpy as np
import onnx
import pytest
import torch
from onnx import helper, numpy_helper, TensorProto

from dlcutil import dlc, run_dlc

sklearn_datasets = pytest.importorskip("sklearn.datasets")


def cnn_onnx(path, seed=0, regularised=False):
    """x [N,1,8,8] -> Conv 3x3 pad 1 (8 ch) -> Relu -> MaxPool 2x2 -> Flatten -> Gemm 128x10;
    `regularised`: Conv without bias -> BatchNormalization (inference form) before the Relu,
    and Dropout(0.25) (inference form) before the Gemm, which dlc train trains in training form."""
    torch.manual_seed(seed)
    conv = torch.nn.Conv2d(1, 8, 3, padding=1)
    fc = torch.nn.Linear(8 * 4 * 4, 10)
    named = [("conv.w", conv.weight), ("conv.b", conv.bias), ("fc.w", fc.weight), ("fc.b", fc.bias)]
    if regularised:
        named = [n for n in named if n[0] != "conv.b"] + [
            ("bn.scale", torch.ones(8)), ("bn.bias", torch.zeros(8)), ("bn.mean", torch.zeros(8)),
            ("bn.var", torch.ones(8)), ("drop.ratio", torch.tensor(0.25))]
    inits = [numpy_helper.from_array(t.detach().numpy().copy(), name) for name, t in named]
    if regularised:
        nodes = [
            helper.make_node("Conv", ["x", "conv.w"], ["c0"], pads=[1, 1, 1, 1], name="conv"),
            helper.make_node("BatchNormalization", ["c0", "bn.scale", "bn.bias", "bn.mean", "bn.var"], ["c"],
                             name="bn"),
        ]
    else:
        nodes = [helper.make_node("Conv", ["x", "conv.w", "conv.b"], ["c"], pads=[1, 1, 1, 1], name="conv")]
    nodes += [
        helper.make_node("Relu", ["c"], ["r"], name="relu"),
        helper.make_node("MaxPool", ["r"], ["p"], kernel_shape=[2, 2], strides=[2, 2], name="pool"),
        helper.make_node("Flatten", ["p"], ["f"], name="flatten"),
    ]
    if regularised:
        nodes.append(helper.make_node("Dropout", ["f", "drop.ratio"], ["f1"], name="drop"))
    nodes.append(helper.make_node("Gemm", ["f1" if regularised else "f", "fc.w", "fc.b"], ["y"], transB=1,
                                  name="fc"))
    graph = helper.make_graph(nodes, "digits_cnn",
                              [helper.make_tensor_value_info("x", TensorProto.FLOAT, ["N", 1, 8, 8])],
                              [helper.make_tensor_value_info("y", TensorProto.FLOAT, ["N", 10])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


@pytest.mark.parametrize("regularised, precision", [(False, "fp32"), (True, "fp32"), (False, "fp16"), (False, "bf16")],
                         ids=["plain", "batchnorm_dropout", "plain_fp16", "plain_bf16"])
def test_digits_cnn_reaches_95_percent(dlc_bin, tmp_path, regularised, precision):
    digits = sklearn_datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    train_x, train_y, test_x, test_y = x[:1400], y[:1400], x[1400:], y[1400:]
    data = tmp_path / "data"
    data.mkdir()
    (data / "input_0.pb").write_bytes(numpy_helper.from_array(train_x).SerializeToString())
    (data / "labels.pb").write_bytes(numpy_helper.from_array(train_y).SerializeToString())
    cnn_onnx(tmp_path / "cnn.onnx", regularised=regularised)
    proc = dlc(dlc_bin, "train", tmp_path / "cnn.onnx", "--data", data, "--loss", "softmax_cross_entropy",
               "--optimizer", "adam", "--lr", "0.01", "--batch-size", 50, "--epochs", 20, "--shuffle",
               "--seed", 1, "--precision", precision, "--save", tmp_path / "trained.onnx", timeout=900)
    assert proc.returncode == 0, proc.stderr
    print(proc.stdout)
    if precision == "fp16":  # the dynamic scale ran: every epoch reports it
        assert proc.stdout.count("skipped (overflow), scale") == 20, proc.stdout
    (logits,) = run_dlc(dlc_bin, tmp_path / "trained.onnx", [test_x], tmp_path / "run",
                        "--input-shape", f"x={len(test_y)}x1x8x8")
    if regularised:  # the running statistics were trained: no longer the initial 0 and 1
        trained = {t.name: numpy_helper.to_array(t) for t in onnx.load(str(tmp_path / "trained.onnx")).graph.initializer}
        assert np.abs(trained["bn.mean"]).max() > 1e-3 and np.abs(trained["bn.var"] - 1).max() > 1e-3
    accuracy = float(np.mean(np.argmax(logits, axis=1) == test_y))
    print(f"test accuracy {accuracy:.4f} on {len(test_y)} digits")
    assert accuracy >= 0.95, proc.stdout
