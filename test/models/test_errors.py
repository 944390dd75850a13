"""User errors end with exit code 1 and one line naming file, node, reason."""

import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper

from dlcutil import dlc, write_inputs

NODE = "einsum_node_7"


@pytest.fixture
def unsupported_model(tmp_path):
    """A valid opset-17 model whose only op (Einsum) dlc does not support yet."""
    node = helper.make_node("Einsum", ["x", "y"], ["z"], name=NODE,
                            equation="ij,jk->ik")
    graph = helper.make_graph(
        [node], "unsupported",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [2, 3]),
         helper.make_tensor_value_info("y", TensorProto.FLOAT, [3, 4])],
        [helper.make_tensor_value_info("z", TensorProto.FLOAT, [2, 4])])
    model = helper.make_model(graph, ir_version=8,
                              opset_imports=[helper.make_opsetid("", 17)])
    onnx.checker.check_model(model)
    path = tmp_path / "einsum.onnx"
    onnx.save(model, str(path))
    return path


def assert_user_error(proc, path):
    assert proc.returncode == 1, (
        f"expected exit 1, got {proc.returncode}; stderr:\n{proc.stderr}")
    lines = [l for l in proc.stderr.splitlines()
             if str(path) in l and f"'{NODE}'" in l and "Einsum" in l]
    assert lines, ("no stderr line names the model path, the node "
                   f"'{NODE}' and its op type; stderr:\n{proc.stderr}")


def test_unsupported_op_compile(dlc_bin, unsupported_model):
    proc = dlc(dlc_bin, "compile", unsupported_model, "--emit", "ir")
    assert_user_error(proc, unsupported_model)


def test_unsupported_op_run(dlc_bin, unsupported_model, tmp_path):
    rng = np.random.default_rng(0)
    write_inputs([rng.standard_normal((2, 3)).astype(np.float32),
                  rng.standard_normal((3, 4)).astype(np.float32)], tmp_path / "in")
    (tmp_path / "out").mkdir()
    proc = dlc(dlc_bin, "run", unsupported_model, "--device", "host",
               "--input-dir", tmp_path / "in", "--output-dir", tmp_path / "out")
    assert_user_error(proc, unsupported_model)
