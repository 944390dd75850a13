"""Real models (issue 3) through `dlc run --device host`, against torch and
onnxruntime on CPU with rtol 1e-3."""

import numpy as np
import onnx
import pytest

import real_models
from dlcutil import run_dlc, run_onnxruntime

RTOL, ATOL = 1e-3, 1e-4


def close(actual, expected, what):
    assert len(actual) == len(expected), f"{what}: output count"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape and a.dtype == e.dtype, (
            f"{what}: output {i} is {a.dtype}{list(a.shape)}, expected {e.dtype}{list(e.shape)}")
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"{what}: output {i}")


@pytest.mark.parametrize("name", list(real_models.CASES))
def test_real_model(dlc_bin, tmp_path, name):
    path = tmp_path / f"{name}.onnx"
    seed = sorted(real_models.CASES).index(name)
    inputs, expected = real_models.build_and_export(name, path, seed)
    model = onnx.load(str(path))
    ops = sorted({n.op_type for n in model.graph.node})
    keep_bn = real_models.CASES[name][3]
    if "resnet" in name or "mobilenet" in name:
        # The two batch-norm variants must really differ.
        assert ("BatchNormalization" in ops) == keep_bn, ops
    got = run_dlc(dlc_bin, path, inputs, tmp_path / "run")
    close(got, expected, f"{name} ({', '.join(ops)}): dlc vs torch")
    close(got, run_onnxruntime(path, inputs), f"{name}: dlc vs onnxruntime")
