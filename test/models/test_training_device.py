"""`dlc train --device`: the flags, and what happens without a GPU (this
machine's case in CI; $DLC_LIBCUDA pointing at a missing file makes it so on
any machine). Training on the CUDA device itself is tested by the ctest
cuda_fake_training (the fake driver) and by scripts/gpu-suite.sh (a GPU)."""

import os
import subprocess

import numpy as np
import pytest

from test_training import mlp, mlp_onnx, trained_weights, write_data

NO_DRIVER = {**os.environ, "DLC_LIBCUDA": "/nonexistent/libcuda.so.1"}


def train(dlc_bin, tmp_path, *flags, env=None, save="out.onnx"):
    args = [str(dlc_bin), "train", str(tmp_path / "mlp.onnx"), "--data", str(tmp_path / "data"),
            "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
            "--batch-size", "4", "--steps", "3", "--save", str(tmp_path / save), *map(str, flags)]
    proc = subprocess.run(args, capture_output=True, text=True, env=env or NO_DRIVER, timeout=300)
    assert proc.returncode >= 0, proc.stderr
    return proc


@pytest.fixture
def mlp_dir(tmp_path):
    mlp_onnx(mlp(), tmp_path / "mlp.onnx")
    rng = np.random.default_rng(0)
    write_data(tmp_path / "data", [rng.standard_normal((8, 6)).astype(np.float32)],
               rng.integers(0, 3, 8).astype(np.int64))
    return tmp_path


@pytest.mark.parametrize("flags, message", [
    (["--device", "gpu"], "dlc train: --device 'gpu': expected auto, host or cuda"),
    (["--device", "host", "--cuda-graph"], "dlc train: --cuda-graph needs the CUDA device (--device cuda or auto)"),
    (["--device", "host", "--no-libraries"],
     "dlc train: --no-libraries needs the CUDA device (--device cuda or auto)"),
])
def test_flag_errors(dlc_bin, mlp_dir, flags, message):
    proc = train(dlc_bin, mlp_dir, *flags)
    assert proc.returncode == 1 and proc.stderr.strip() == message, proc.stderr


def test_cuda_without_a_driver_is_a_user_error_naming_why(dlc_bin, mlp_dir):
    proc = train(dlc_bin, mlp_dir, "--device", "cuda")
    assert proc.returncode == 1, proc.stderr
    line = proc.stderr.strip()
    assert line.startswith("dlc train: --device cuda: no CUDA device: ") and "/nonexistent/libcuda.so.1" in line, line
    assert not (mlp_dir / "out.onnx").exists()


def test_auto_says_it_picked_the_host_and_trains_as_host_does(dlc_bin, mlp_dir):
    auto = train(dlc_bin, mlp_dir, save="auto.onnx")  # the default is auto
    assert auto.returncode == 0, auto.stderr
    assert auto.stderr.startswith("dlc: running on host (no CUDA device: "), auto.stderr
    host = train(dlc_bin, mlp_dir, "--device", "host", save="host.onnx")
    assert host.returncode == 0 and host.stderr == "", host.stderr
    assert auto.stdout.replace("auto.onnx", "X") == host.stdout.replace("host.onnx", "X")
    a, h = trained_weights(mlp_dir / "auto.onnx"), trained_weights(mlp_dir / "host.onnx")
    assert a.keys() == h.keys() and all(np.array_equal(a[k], h[k]) for k in a)


def test_stats_alone_needs_no_device(dlc_bin, mlp_dir):
    proc = subprocess.run([str(dlc_bin), "train", str(mlp_dir / "mlp.onnx"), "--data", str(mlp_dir / "data"),
                           "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1",
                           "--batch-size", "4", "--stats", "--device", "cuda"],
                          capture_output=True, text=True, env=NO_DRIVER, timeout=300)
    assert proc.returncode == 0 and proc.stderr == "", proc.stderr
