"""User errors end with exit code 1 and one line naming file, node, reason."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from dlcutil import dlc, read_tensor, write_inputs

NODE = "nms_node_7"


@pytest.fixture
def unsupported_model(tmp_path):
    """A valid opset-17 model whose only op dlc refuses: NonMaxSuppression,
    whose output size depends on the data (no static shape exists)."""
    node = helper.make_node("NonMaxSuppression", ["x", "y"], ["z"], name=NODE)
    graph = helper.make_graph(
        [node], "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 6, 4]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 1, 6])],
        [helper.make_tensor_value_info("z", TensorProto.INT64, [None, 3])])
    model = helper.make_model(graph, ir_version=8,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path = tmp_path / "nms.onnx"
    onnx.save(model, str(path))
    return path


def assert_user_error(proc, path):
    assert proc.returncode == 1, (
        f"expected exit 1, got {proc.returncode}; stderr:\n{proc.stderr}")
    lines = [l for l in proc.stderr.splitlines()
             if str(path) in l and f"'{NODE}'" in l and "NonMaxSuppression" in l]
    assert lines, ("no stderr line names the model path, the node "
                   f"'{NODE}' and its op type; stderr:\n{proc.stderr}")


def test_unsupported_op_compile(dlc_bin, unsupported_model):
    proc = dlc(dlc_bin, "compile", unsupported_model, "--emit", "ir")
    assert_user_error(proc, unsupported_model)


def test_unsupported_op_run(dlc_bin, unsupported_model, tmp_path):
    rng = np.random.default_rng(0)
    write_inputs([rng.standard_normal((1, 6, 4)).astype(np.float32),
                  rng.standard_normal((1, 1, 6)).astype(np.float32)], tmp_path / "in")
    (tmp_path / "out").mkdir()
    proc = dlc(dlc_bin, "run", unsupported_model, "--device", "host",
               "--input-dir", tmp_path / "in", "--output-dir", tmp_path / "out")
    assert_user_error(proc, unsupported_model)


def _save(model, path):
    path.write_bytes(model.SerializeToString())
    return path


def test_huge_declared_initializer_is_refused_without_allocating(dlc_bin, tmp_path):
    """Regression: an initializer declaring 2^40 floats with no data was
    allocated before its data size was checked."""
    w = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[1 << 20, 1 << 20])
    graph = helper.make_graph(
        [helper.make_node("Identity", ["w"], ["y"])], "huge", [],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [1 << 20, 1 << 20])], [w])
    # IR version 10: past what the ONNX checker knows, so dlc's own checks face it.
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 17)])
    path = _save(model, tmp_path / "huge.onnx")
    proc = dlc(dlc_bin, "compile", path)
    assert proc.returncode == 1, proc.stderr
    # 2^40 floats: refused by the per-tensor limit (runtime/TensorLimits.h)
    # before the data is even looked at.
    assert "initializer 'w'" in proc.stderr and "is too large" in proc.stderr, proc.stderr


def test_newer_ir_version_skips_the_old_checker(dlc_bin, tmp_path):
    """Regression: Debian's libonnx checker (IR version 8) rejected every model
    saved with a newer IR version, even at opset 17. dlc's own rules apply."""
    graph = helper.make_graph(
        [helper.make_node("Relu", ["x"], ["y"])], "relu",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])])
    model = helper.make_model(graph, ir_version=10, opset_imports=[helper.make_opsetid("", 17)])
    path = _save(model, tmp_path / "ir10.onnx")
    x = np.array([[-1, 2, -3], [4, -5, 6]], dtype=np.float32)
    write_inputs([x], tmp_path / "in")
    proc = dlc(dlc_bin, "run", path, "--input-dir", tmp_path / "in", "--output-dir", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_array_equal(read_tensor(tmp_path / "out" / "output_0.pb"), np.maximum(x, 0))


def _gemm_model(ir_version=8):
    rng = np.random.default_rng(3)
    w = onnx.numpy_helper.from_array(rng.standard_normal((4, 3)).astype(np.float32), "w")
    graph = helper.make_graph(
        [helper.make_node("MatMul", ["x", "w"], ["y"])], "mm",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 4])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [2, 3])], [w])
    return helper.make_model(graph, ir_version=ir_version, opset_imports=[helper.make_opsetid("", 17)])


def test_external_data_inside_the_model_directory(dlc_bin, tmp_path):
    model = _gemm_model()
    w = onnx.numpy_helper.to_array(model.graph.initializer[0])  # before save moves it out
    onnx.save(model, str(tmp_path / "m.onnx"), save_as_external_data=True,
              all_tensors_to_one_file=True, location="weights.bin", size_threshold=0)
    x = np.arange(8, dtype=np.float32).reshape(2, 4)
    write_inputs([x], tmp_path / "in")
    proc = dlc(dlc_bin, "run", tmp_path / "m.onnx", "--input-dir", tmp_path / "in",
               "--output-dir", tmp_path / "out")
    assert proc.returncode == 0, proc.stderr
    np.testing.assert_allclose(read_tensor(tmp_path / "out" / "output_0.pb"), x @ w, rtol=1e-5)


@pytest.mark.parametrize("location", ["../outside.bin", "/etc/passwd", "link.bin"])
def test_external_data_leaving_the_model_directory_is_refused(dlc_bin, tmp_path, location):
    model_dir = tmp_path / "model"
    model_dir.mkdir()
    (tmp_path / "outside.bin").write_bytes(b"\0" * 48)
    (model_dir / "link.bin").symlink_to(tmp_path / "outside.bin")
    model = _gemm_model(ir_version=10)  # past the old checker: dlc's own guard decides
    w = model.graph.initializer[0]
    w.ClearField("raw_data")
    w.data_location = TensorProto.EXTERNAL
    w.external_data.add(key="location", value=location)
    path = _save(model, model_dir / "m.onnx")
    proc = dlc(dlc_bin, "compile", path)
    assert proc.returncode == 1, proc.stderr
    assert "initializer 'w'" in proc.stderr and location in proc.stderr, proc.stderr
