"""`dlc bench --train` on the host device: the JSON's train section, its
losses against `dlc train` run step by step on the same batch, and the flag
errors. The CUDA path runs in the GPU bundle (scripts/gpu-bench.sh,
bench/train_compare.py)."""

import json
import os
import re
import subprocess

import numpy as np
import pytest

from test_training import mlp, mlp_onnx, write_data

NO_DRIVER = {**os.environ, "DLC_LIBCUDA": "/nonexistent/libcuda.so.1"}
STEP = ["--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
        "--batch-size", "4"]


def run(dlc_bin, *args):
    proc = subprocess.run([str(dlc_bin), *map(str, args)], capture_output=True, text=True, env=NO_DRIVER,
                          timeout=300)
    assert proc.returncode >= 0, proc.stderr
    return proc


@pytest.fixture
def mlp_dir(tmp_path):
    mlp_onnx(mlp(), tmp_path / "mlp.onnx")
    rng = np.random.default_rng(0)
    # 4 samples: the batch every step of dlc bench --train takes, and every
    # step of dlc train at --batch-size 4 without --shuffle.
    write_data(tmp_path / "data", [rng.standard_normal((4, 6)).astype(np.float32)],
               rng.integers(0, 3, 4).astype(np.int64))
    return tmp_path


def test_json_train_section_and_losses_match_dlc_train(dlc_bin, mlp_dir):
    proc = run(dlc_bin, "bench", mlp_dir / "mlp.onnx", "--train", "--data", mlp_dir / "data", *STEP,
               "--device", "host", "--warmup", "2", "--iters", "3", "--json")
    assert proc.returncode == 0, proc.stderr
    r = json.loads(proc.stdout)
    assert r["schema"] == "dlc-bench/1" and r["device"] == "host" and r["batch"] == 4
    assert r["latency_ms"]["n"] == 3 and r["latency_ms"]["median"] > 0
    assert r["compile_ms"]["cold"] > 0 and r["kernels"] >= 1
    t = r["train"]
    params = sum(p.numel() for p in mlp().parameters())
    assert t == {"loss": "softmax_cross_entropy", "optimizer": "sgd", "precision": "fp32", "parameters": params,
                 "first_loss": t["first_loss"], "last_loss": t["last_loss"]}
    # dlc train over the same 4 samples for 5 steps: its first and fifth
    # losses are the benchmark's first (warm-up) and last (timed) steps'.
    trained = run(dlc_bin, "train", mlp_dir / "mlp.onnx", "--data", mlp_dir / "data", *STEP, "--steps", "5",
                  "--device", "host", "--save", mlp_dir / "out.onnx")
    assert trained.returncode == 0, trained.stderr
    losses = [float(x) for x in re.findall(r"step \d+/5: loss ([0-9.eE+-]+)", trained.stdout)]
    assert len(losses) == 5
    assert t["first_loss"] == pytest.approx(losses[0], rel=1e-5)
    assert t["last_loss"] == pytest.approx(losses[4], rel=1e-5)
    assert t["last_loss"] < t["first_loss"]  # five SGD steps on one batch fit it better


def test_text_report_names_the_step(dlc_bin, mlp_dir):
    proc = run(dlc_bin, "bench", mlp_dir / "mlp.onnx", "--train", "--data", mlp_dir / "data", *STEP,
               "--device", "host", "--warmup", "0", "--iters", "2")
    assert proc.returncode == 0, proc.stderr
    assert "training    softmax_cross_entropy, sgd, fp32" in proc.stdout, proc.stdout
    assert "the first 4 samples of" in proc.stdout


@pytest.mark.parametrize("flags, message", [
    (["--save", "x.onnx"], "dlc bench: --save is dlc train's: dlc bench --train runs --warmup + --iters steps "
                           "on the first batch and saves nothing"),
    (["--steps", "3"], "dlc bench: --steps is dlc train's: dlc bench --train runs --warmup + --iters steps "
                       "on the first batch and saves nothing"),
    (["--profile"], "dlc bench: --profile does not apply to --train (a training step reads --data)"),
    (["--input-dir=x"], "dlc bench: --input-dir does not apply to --train (a training step reads --data)"),
    (["--optimizer", "rmsprop"], "dlc bench: --optimizer 'rmsprop': expected sgd, adam or adamw"),
    (["--iters", "0"], "dlc bench: --iters '0': expected an integer from 1 to 1000000"),
])
def test_flag_errors(dlc_bin, mlp_dir, flags, message):
    proc = run(dlc_bin, "bench", mlp_dir / "mlp.onnx", "--train", "--data", mlp_dir / "data", *STEP,
               "--device", "host", *flags)
    assert proc.returncode == 1 and proc.stderr.strip() == message, proc.stderr


def test_cuda_without_a_driver_is_a_user_error(dlc_bin, mlp_dir):
    proc = run(dlc_bin, "bench", mlp_dir / "mlp.onnx", "--train", "--data", mlp_dir / "data", *STEP,
               "--device", "cuda")
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.startswith("dlc bench: --device cuda: no CUDA device: "), proc.stderr
