"""`dlc bench` on the host device: the JSON schema (docs/perf.md), the
per-kernel profile against FLOPs worked out from the ONNX file, the Chrome
trace, inputs from a directory or a seed, executable files, and the flag
errors (exit 1 with a message, never a signal). The CUDA path runs in the
GPU bundle (scripts/gpu-bench.sh)."""

import json
import pathlib

import numpy as np
import onnx
import pytest
from onnx import numpy_helper

from dlcutil import DEVICE, dlc, read_tensor, write_inputs

ROOT = pathlib.Path(__file__).resolve().parents[2]
MLP = ROOT / "examples/models/mlp.onnx"
FAST = ("--device", "host", "--warmup", "1", "--iters", "3")


def bench_json(dlc_bin, *args):
    proc = dlc(dlc_bin, "bench", *args, "--json")
    assert proc.returncode == 0, f"dlc bench exited {proc.returncode}:\n{proc.stderr}"
    return json.loads(proc.stdout)


def mlp_gemms():
    """(K, N) of every Gemm/MatMul of the example MLP, from its weights."""
    model = onnx.load(str(MLP))
    weights = {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}
    shapes = []
    for node in model.graph.node:
        if node.op_type in ("Gemm", "MatMul"):
            w = weights[node.input[1]]
            trans_b = any(a.name == "transB" and a.i for a in node.attribute)
            shapes.append((w.shape[1], w.shape[0]) if trans_b else w.shape)
    assert shapes, "the example MLP has no Gemm/MatMul"
    return shapes


def test_json_schema(dlc_bin):
    r = bench_json(dlc_bin, MLP, *FAST)
    assert r["schema"] == "dlc-bench/1"
    assert r["device"] == "host" and r["iters"] == 3 and r["warmup"] == 1
    lat = r["latency_ms"]
    assert lat["n"] == 3
    assert 0 < lat["min"] <= lat["median"] <= lat["p90"] <= lat["max"]
    assert lat["min"] <= lat["mean"] <= lat["max"]
    assert r["batch"] == 4  # the example MLP takes 4 x 784
    assert r["throughput_per_s"] == pytest.approx(4 / (lat["median"] * 1e-3), rel=1e-4)
    mem = r["memory_bytes"]
    # At least the weights: every initializer is a constant the run holds.
    weights = sum(numpy_helper.to_array(t).nbytes for t in onnx.load(str(MLP)).graph.initializer)
    assert mem["peak"] >= weights and mem["peak"] == mem["arena"] + mem["other"]
    assert r["compile_ms"]["cold"] > 0 and r["compile_ms"]["warm"] > 0
    assert r["compile_ms"]["nvrtc_cold"] is None  # host: no NVRTC
    assert r["load_ms"] is None and r["kernels"] >= 1 and r["profile"] is None
    assert r["inputs"] == "random inputs (seed 0)"


def test_profile_and_trace(dlc_bin, tmp_path):
    trace = tmp_path / "trace.json"
    r = bench_json(dlc_bin, MLP, *FAST, "--profile", "--trace", trace)
    prof = r["profile"]
    assert prof["runs"] == 3 and len(prof["kernels"]) == r["kernels"]
    times = [k["ms"] for k in prof["kernels"]]
    assert times == sorted(times, reverse=True), "slowest first"
    assert prof["total_ms"] == pytest.approx(sum(times), rel=1e-3, abs=1e-6)
    assert prof["peak"]["copy_gbs"] > 0 and prof["peak"]["tflops"] is None
    # The dot kernels' FLOPs: 2*B*K*N per GEMM (B = 4), plus at most a few
    # elementwise ops per output element (bias, activation) fused into them.
    gemm_flops = sum(k["flops"] for k in prof["kernels"] if "dot_general" in k["ops"])
    exact = sum(2 * 4 * k * n for k, n in mlp_gemms())
    outputs = sum(4 * n for _, n in mlp_gemms())
    assert exact <= gemm_flops <= exact + 4 * outputs
    for k in prof["kernels"]:
        assert k["bytes"] > 0 and k["ms"] >= 0
        if k["ms"] > 0:
            assert k["gbs"] == pytest.approx(k["bytes"] / (k["ms"] * 1e-3) / 1e9, rel=1e-3)
            assert k["pct_copy_bw"] == pytest.approx(100 * k["gbs"] / prof["peak"]["copy_gbs"], rel=1e-3)
    # The Chrome trace: one complete ("X") event per kernel, in run order.
    events = json.loads(trace.read_text())["traceEvents"]
    spans = [e for e in events if e["ph"] == "X"]
    assert len(spans) == r["kernels"]
    assert sorted(e["args"]["kernel"] for e in spans) == list(range(r["kernels"]))
    begins = [e["ts"] for e in sorted(spans, key=lambda e: e["args"]["kernel"])]
    assert begins[0] == 0 and begins == sorted(begins)
    assert all(e["dur"] >= 0 and e["pid"] == 1 and e["tid"] == 1 for e in spans)
    assert {e["name"] for e in spans} == {k["name"] for k in prof["kernels"]}


def test_profile_text(dlc_bin):
    proc = dlc(dlc_bin, "bench", MLP, *FAST, "--profile")
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    for what in ("latency", "throughput", "memory", "compile", "per-kernel profile", "copy bandwidth",
                 "GB/s", "TFLOP/s", "total"):
        assert what in out, f"'{what}' missing from:\n{out}"


def test_inputs_from_dir_and_seed(dlc_bin, tmp_path):
    x = np.random.default_rng(5).standard_normal((4, 784)).astype(np.float32)
    write_inputs([x], tmp_path / "in")
    proc = dlc(dlc_bin, "bench", MLP, *FAST, "--input-dir", tmp_path / "in", "--output-dir", tmp_path / "b")
    assert proc.returncode == 0, proc.stderr
    proc = dlc(dlc_bin, "run", MLP, "--device", "host", "--input-dir", tmp_path / "in",
               "--output-dir", tmp_path / "r")
    assert proc.returncode == 0, proc.stderr
    # The host device is deterministic: bench's last run is dlc run's output.
    assert np.array_equal(read_tensor(tmp_path / "b/output_0.pb"), read_tensor(tmp_path / "r/output_0.pb"))

    def seeded(seed, name):
        p = dlc(dlc_bin, "bench", MLP, *FAST, "--seed", seed, "--output-dir", tmp_path / name)
        assert p.returncode == 0, p.stderr
        return read_tensor(tmp_path / name / "output_0.pb")
    assert np.array_equal(seeded(3, "s3"), seeded(3, "s3again"))
    assert not np.array_equal(seeded(3, "s3b"), seeded(4, "s4"))


def test_executable_file(dlc_bin, tmp_path):
    exe = tmp_path / "mlp.dlcx"
    proc = dlc(dlc_bin, "compile", MLP, "-o", exe)
    assert proc.returncode == 0, proc.stderr
    r = bench_json(dlc_bin, exe, *FAST)
    assert r["compile_ms"]["cold"] is None and r["load_ms"] >= 0 and r["latency_ms"]["n"] == 3
    proc = dlc(dlc_bin, "bench", exe, "--no-libraries")
    assert proc.returncode == 1 and "does not apply" in proc.stderr, proc.stderr


@pytest.mark.parametrize("flags,message", [
    (("--iters", "0"), "--iters '0'"),
    (("--warmup", "x"), "--warmup 'x'"),
    (("--device", "tpu"), "--device 'tpu'"),
    (("--device", "host", "--cuda-graph"), "--cuda-graph needs the CUDA device"),
    (("--bogus",), "unknown option '--bogus'"),
    (("--input-dir", "/nonexistent-dir"), "is not a directory"),
])
def test_flag_errors(dlc_bin, flags, message):
    proc = dlc(dlc_bin, "bench", MLP, *flags)
    assert proc.returncode == 1 and message in proc.stderr, (proc.returncode, proc.stderr)


def test_missing_model_and_no_gpu(dlc_bin, tmp_path):
    proc = dlc(dlc_bin, "bench", tmp_path / "nope.onnx", "--device", "host")
    assert proc.returncode == 1 and "nope.onnx" in proc.stderr, proc.stderr
    if DEVICE == "cuda":
        pytest.skip("a GPU is present: --device cuda runs")
    proc = dlc(dlc_bin, "bench", MLP, "--device", "cuda", "--iters", "1")
    if proc.returncode == 0:
        pytest.skip("this machine has a usable CUDA device")
    assert proc.returncode == 1 and "--device cuda" in proc.stderr, proc.stderr
