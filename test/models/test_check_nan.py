"""`dlc run --check-nan`: the first kernel whose output holds NaN/Inf is
reported with exit 1; without the flag the same run succeeds (NaN is a
value, not an error)."""

import numpy as np
import onnx
from onnx import TensorProto, helper

from dlcutil import dlc, read_tensor, write_inputs


def _model(tmp_path, nodes, n=4, inits=()):
    graph = helper.make_graph(
        nodes, "nan",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [n])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [n])], list(inits))
    model = helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path = tmp_path / "nan.onnx"
    onnx.save(model, str(path))
    return path


def _run(dlc_bin, tmp_path, model, x, *flags):
    write_inputs([x], tmp_path / "in")
    return dlc(dlc_bin, "run", model, "--device", "host", "--input-dir", tmp_path / "in",
               "--output-dir", tmp_path / "out", *flags)


def test_log_of_negative_is_reported(dlc_bin, tmp_path):
    model = _model(tmp_path, [helper.make_node("Log", ["x"], ["y"], name="log_node")])
    x = np.array([2.0, -1.0, 3.0, -4.0], np.float32)  # log: NaN at 1 and 3
    proc = _run(dlc_bin, tmp_path, model, x, "--check-nan")
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    for part in ["log_node", "--check-nan: kernel 0 (loop)", "output 'y'", "tensor<4xf32>",
                 "2 NaN/Inf value(s) of 4", "first at flat index 1 (NaN)"]:
        assert part in line, f"{part!r} not in: {line}"


def test_without_the_flag_nan_is_a_value(dlc_bin, tmp_path):
    model = _model(tmp_path, [helper.make_node("Log", ["x"], ["y"], name="log_node")])
    proc = _run(dlc_bin, tmp_path, model, np.array([2.0, -1.0, 3.0, -4.0], np.float32))
    assert proc.returncode == 0, proc.stderr
    y = read_tensor(tmp_path / "out" / "output_0.pb")
    assert np.isnan(y[1]) and np.isnan(y[3]) and np.isfinite(y[0])


def test_first_kernel_with_inf_is_named(dlc_bin, tmp_path):
    """Kernel 0 (a loop: the negation) is finite; kernel 1 (the GEMM) sums
    four products of -1e38 and overflows to -Inf: it is the one reported."""
    w = helper.make_tensor("w", TensorProto.FLOAT, [4, 4], [1e38] * 16)
    graph = helper.make_graph(
        [helper.make_node("Neg", ["x"], ["n"], name="negate"),
         helper.make_node("MatMul", ["n", "w"], ["y"], name="matmul")], "inf",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 4])], [w])
    model = tmp_path / "inf.onnx"
    onnx.save(helper.make_model(graph, ir_version=8, opset_imports=[helper.make_opsetid("", 17)]),
              str(model))
    proc = _run(dlc_bin, tmp_path, model, np.ones((1, 4), np.float32), "--check-nan")
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    for part in ["matmul", "kernel 1 (gemm)", "4 NaN/Inf value(s) of 4", "index 0 (-Inf)"]:
        assert part in line, f"{part!r} not in: {line}"


def test_finite_run_passes_the_check(dlc_bin, tmp_path):
    model = _model(tmp_path, [helper.make_node("Exp", ["x"], ["y"], name="exp")])
    x = np.array([0.0, 1.0, -1.0, 2.0], np.float32)
    proc = _run(dlc_bin, tmp_path, model, x, "--check-nan")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(read_tensor(tmp_path / "out" / "output_0.pb"), np.exp(x), rtol=1e-6)


def test_check_nan_refuses_a_cuda_graph(dlc_bin, tmp_path):
    # On the CUDA device the check runs the steps one by one: there is no
    # graph to replay (a usage error on any machine, before any device is used).
    model = _model(tmp_path, [helper.make_node("Exp", ["x"], ["y"], name="exp")])
    write_inputs([np.zeros(4, np.float32)], tmp_path / "in")
    proc = dlc(dlc_bin, "run", model, "--device", "cuda", "--cuda-graph", "--check-nan", "--input-dir",
               tmp_path / "in", "--output-dir", tmp_path / "out")
    assert proc.returncode == 1, proc.stderr
    assert "--check-nan and --cuda-graph exclude each other" in proc.stderr, proc.stderr
