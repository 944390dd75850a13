"""Fixtures for the end-to-end model tests (run by ctest as `e2e_models`)."""

import os
import pathlib

import onnx
import pytest

import model_zoo


@pytest.fixture(scope="session")
def dlc_bin():
    """The dlc tool under test. Missing is a failure, not a skip: CI must
    never pass by silently running nothing."""
    path = os.environ.get("DLC_BIN")
    if not path:
        pytest.fail("DLC_BIN is not set; run these tests through ctest "
                    "(scripts/test.sh) or set DLC_BIN=build/tools/dlc/dlc")
    path = pathlib.Path(path)
    if not (path.is_file() and os.access(path, os.X_OK)):
        pytest.fail(f"DLC_BIN={path} is not an executable file; build it first")
    return path


@pytest.fixture(scope="session")
def exported(tmp_path_factory):
    """Every model of model_zoo.MODELS, exported once per session.

    name -> dict(path, inputs, torch_outputs, ops)."""
    directory = tmp_path_factory.mktemp("models")
    result = {}
    for seed, name in enumerate(model_zoo.MODELS):
        path = directory / f"{name}.onnx"
        inputs, outputs = model_zoo.build_and_export(name, path, seed)
        ops = [n.op_type for n in onnx.load(str(path)).graph.node]
        result[name] = dict(path=path, inputs=inputs, torch_outputs=outputs,
                            ops=ops)
    return result
