"""Real models (issue 3) through `dlc run --device host`, against torch and
onnxruntime on CPU with rtol 1e-3; and the differential check of the passes
(issue 4): the optimised executable, fused and memory-planned, against the
imported IR run with --no-opt, on the same host device."""

import json

import numpy as np
import onnx
import pytest

import real_models
from dlcutil import assert_same_runs, dlc, run_dlc, run_onnxruntime

RTOL, ATOL = 1e-3, 1e-4
NAMES = list(real_models.CASES)


def close(actual, expected, what):
    assert len(actual) == len(expected), f"{what}: output count"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape and a.dtype == e.dtype, (
            f"{what}: output {i} is {a.dtype}{list(a.shape)}, expected {e.dtype}{list(e.shape)}")
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"{what}: output {i}")


@pytest.fixture(scope="module")
def real_model(tmp_path_factory):
    """name -> dict(path, inputs, expected, optimised): each case exported
    once for both tests; `optimised` (dlc's default run) is filled by the
    first test that runs it."""
    directory = tmp_path_factory.mktemp("real_models")
    cache = {}

    def get(name):
        if name not in cache:
            path = directory / f"{name}.onnx"
            seed = sorted(real_models.CASES).index(name)
            inputs, expected = real_models.build_and_export(name, path, seed)
            cache[name] = dict(path=path, inputs=inputs, expected=expected, optimised=None)
        return cache[name]
    return get


def optimised_run(dlc_bin, model, workdir):
    if model["optimised"] is None:
        model["optimised"] = run_dlc(dlc_bin, model["path"], model["inputs"], workdir)
    return model["optimised"]


@pytest.mark.parametrize("name", NAMES)
def test_real_model(dlc_bin, real_model, tmp_path, name):
    model = real_model(name)
    path = model["path"]
    ops = sorted({n.op_type for n in onnx.load(str(path)).graph.node})
    keep_bn = real_models.CASES[name][3]
    if "resnet" in name or "mobilenet" in name:
        # The two batch-norm variants must really differ.
        assert ("BatchNormalization" in ops) == keep_bn, ops
    got = optimised_run(dlc_bin, model, tmp_path / "run")
    close(got, model["expected"], f"{name} ({', '.join(ops)}): dlc vs torch")
    close(got, run_onnxruntime(path, model["inputs"]), f"{name}: dlc vs onnxruntime")


@pytest.mark.parametrize("name", NAMES)
def test_passes_preserve_results(dlc_bin, real_model, tmp_path, name):
    model = real_model(name)
    optimised = optimised_run(dlc_bin, model, tmp_path / "run")
    unoptimised = run_dlc(dlc_bin, model["path"], model["inputs"], tmp_path / "noopt", "--no-opt")
    assert_same_runs(optimised, unoptimised, f"{name}: optimised vs --no-opt")


# Issue 4's memory target: the arena's peak within 10% of the lower bound
# (the largest total of intermediates live at one step of the kernel order).
ARENA_SLACK = 1.10


@pytest.mark.parametrize("name", NAMES)
def test_arena_near_lower_bound(dlc_bin, real_model, name):
    proc = dlc(dlc_bin, "compile", real_model(name)["path"], "--stats", "--json")
    assert proc.returncode == 0, proc.stderr
    stats = json.loads(proc.stdout)
    peak, bound, naive = stats["peak_bytes"], stats["lower_bound_bytes"], stats["naive_bytes"]
    assert 0 < bound <= naive, stats
    assert peak <= ARENA_SLACK * bound, (
        f"{name}: arena peak {peak} bytes is {peak / bound:.3f}x the lower bound {bound}")
