"""End-to-end: torch-exported models through `dlc run --device host`,
compared with torch and onnxruntime on CPU."""

import pathlib

import numpy as np
import onnx
import pytest

import model_zoo
from dlcutil import assert_close, dlc, run_dlc, run_onnxruntime

NAMES = list(model_zoo.MODELS)
EXAMPLE = pathlib.Path(__file__).resolve().parents[2] / "examples/models/mlp.onnx"


@pytest.mark.parametrize("name", NAMES)
def test_export_has_expected_ops(exported, dlc_bin, name):
    model = exported[name]
    onnx.checker.check_model(str(model["path"]))
    ops = set(model["ops"])
    missing = model_zoo.MODELS[name][2] - ops
    assert not missing, f"{name}: export lacks {missing}; ops: {model['ops']}"
    supported = set(dlc(dlc_bin, "ops").stdout.split())
    unsupported = ops - supported
    assert not unsupported, f"{name}: export uses unsupported ops {unsupported}"


@pytest.mark.parametrize("name", NAMES)
def test_onnxruntime_matches_torch(exported, name):
    model = exported[name]
    assert_close(run_onnxruntime(model["path"], model["inputs"]),
                 model["torch_outputs"], f"{name}: onnxruntime vs torch")


@pytest.mark.parametrize("name", NAMES)
def test_dlc_matches_torch_and_onnxruntime(exported, dlc_bin, tmp_path, name):
    model = exported[name]
    got = run_dlc(dlc_bin, model["path"], model["inputs"], tmp_path)
    assert_close(got, model["torch_outputs"], f"{name}: dlc vs torch")
    assert_close(got, run_onnxruntime(model["path"], model["inputs"]),
                 f"{name}: dlc vs onnxruntime")


@pytest.mark.parametrize("name", NAMES)
def test_passes_preserve_results(exported, dlc_bin, tmp_path, name):
    """Differential check of the pass pipeline: the host device runs the
    imported IR (--no-opt) and the optimised IR; they must agree closely."""
    model = exported[name]
    optimised = run_dlc(dlc_bin, model["path"], model["inputs"], tmp_path / "opt")
    unoptimised = run_dlc(dlc_bin, model["path"], model["inputs"], tmp_path / "noopt",
                          "--no-opt")
    for i, (a, b) in enumerate(zip(optimised, unoptimised)):
        np.testing.assert_allclose(a, b, rtol=1e-6, atol=1e-7,
                                   err_msg=f"{name}: output {i} changed by the passes")


def test_bundled_example(dlc_bin, tmp_path):
    """examples/models/mlp.onnx, the model that scripts/setup.sh compiles."""
    onnx.checker.check_model(str(EXAMPLE))
    x = np.random.default_rng(42).standard_normal((4, 784)).astype(np.float32)
    got = run_dlc(dlc_bin, EXAMPLE, [x], tmp_path)
    assert_close(got, run_onnxruntime(EXAMPLE, [x]), "mlp.onnx: dlc vs onnxruntime")
