"""Running `dlc run` on a model with the ONNX test-data directory layout."""

import os
import subprocess

import numpy as np
import onnx
import onnxruntime as ort
from onnx import numpy_helper

RTOL, ATOL = 1e-4, 1e-5
# The device the model tests run on: host (the default, and CI's), or cuda
# for the GPU suite (scripts/gpu-suite.sh sets DLC_TEST_DEVICE=cuda).
DEVICE = os.environ.get("DLC_TEST_DEVICE", "host")
# The differential check of the passes: dlc's optimised run against its
# --no-opt run (same ops, same precision; reassociation may move last bits).
DIFF_RTOL, DIFF_ATOL = 1e-4, 1e-6


def write_inputs(inputs, directory):
    directory.mkdir(parents=True, exist_ok=True)
    for i, array in enumerate(inputs):
        tensor = numpy_helper.from_array(array)
        (directory / f"input_{i}.pb").write_bytes(tensor.SerializeToString())


def read_tensor(path):
    tensor = onnx.TensorProto()
    tensor.ParseFromString(path.read_bytes())
    return numpy_helper.to_array(tensor)


def dlc(dlc_bin, *args, timeout=600):
    """Runs the dlc tool; returns the CompletedProcess (never raises on rc).

    `dlc train` runs on the host device unless the test names one: the
    training tests compare with torch at the host's tolerance, and dlc
    train's default (auto) would pick a GPU where there is one. Training on
    the CUDA device is tested by the ctest cuda_fake_training and the GPU
    suite (scripts/gpu-suite.sh)."""
    args = [str(a) for a in args]
    if args and args[0] == "train" and not any(a == "--device" or a.startswith("--device=") for a in args):
        args[1:1] = ["--device", "host"]
    cmd = [str(dlc_bin), *args]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout)
    except subprocess.TimeoutExpired:
        raise AssertionError(f"timed out after {timeout}s: {' '.join(cmd)}")
    assert proc.returncode >= 0, (
        f"killed by signal {-proc.returncode}: {' '.join(cmd)}\n{proc.stderr}")
    return proc


def run_dlc(dlc_bin, model_path, inputs, workdir, *flags):
    """`dlc run MODEL --device DEVICE [flags]`; returns the outputs in graph order."""
    in_dir, out_dir = workdir / "in", workdir / "out"
    write_inputs(inputs, in_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    proc = dlc(dlc_bin, "run", model_path, "--device", DEVICE,
               "--input-dir", in_dir, "--output-dir", out_dir, *flags)
    assert proc.returncode == 0, (
        f"dlc run {model_path} exited {proc.returncode}:\n{proc.stderr}")
    n = len(onnx.load(str(model_path), load_external_data=False).graph.output)
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [f"output_{i}.pb" for i in range(n)], names
    return [read_tensor(out_dir / f"output_{i}.pb") for i in range(n)]


def run_onnxruntime(model_path, inputs):
    sess = ort.InferenceSession(str(model_path),
                                providers=["CPUExecutionProvider"])
    feeds = {i.name: x for i, x in zip(sess.get_inputs(), inputs)}
    return sess.run(None, feeds)


def assert_close(actual, expected, what):
    assert len(actual) == len(expected), f"{what}: output count"
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape, f"{what}: output {i} shape {a.shape} != {e.shape}"
        assert a.dtype == e.dtype, f"{what}: output {i} dtype {a.dtype} != {e.dtype}"
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL,
                                   err_msg=f"{what}: output {i}")


def assert_same_runs(optimised, unoptimised, what):
    """The optimised run (fused, memory-planned) agrees with the --no-opt run:
    floats within DIFF_RTOL/DIFF_ATOL (NaN matches NaN), the rest exactly.
    A failure names the output and its largest absolute and relative errors."""
    assert len(optimised) == len(unoptimised), f"{what}: output count"
    for i, (a, b) in enumerate(zip(optimised, unoptimised)):
        assert a.shape == b.shape and a.dtype == b.dtype, (
            f"{what}: output {i} is {a.dtype}{list(a.shape)} optimised, "
            f"{b.dtype}{list(b.shape)} with --no-opt")
        if np.issubdtype(a.dtype, np.floating):
            bad = ~np.isclose(a, b, rtol=DIFF_RTOL, atol=DIFF_ATOL, equal_nan=True)
        else:
            bad = a != b
        if not bad.any():
            continue
        x, y = a[bad].astype(np.float64), b[bad].astype(np.float64)
        with np.errstate(invalid="ignore", divide="ignore"):
            abs_err = np.nan_to_num(np.abs(x - y), nan=np.inf)
            rel_err = np.nan_to_num(abs_err / np.abs(y), nan=np.inf)
        first = tuple(int(k) for k in np.argwhere(bad)[0])
        raise AssertionError(
            f"{what}: output {i}: the passes change the result: {int(bad.sum())} of {bad.size} "
            f"elements differ, max abs error {abs_err.max():.3g}, max rel error "
            f"{rel_err.max():.3g}; first at {list(first)}: {a[first]!r} optimised vs "
            f"{b[first]!r} with --no-opt")
