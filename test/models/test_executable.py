"""The executable file: `dlc compile -o MODEL.dlcx` then `dlc run MODEL.dlcx`
gives the same bytes as `dlc run MODEL` (same kernels, same plan, no
compiler on the run path); damaged files end in exit 1 with a message naming
the file and the problem, never in a signal (docs/executable.md)."""

import os
import pathlib
import re
import subprocess

import numpy as np
import pytest

import model_zoo
from dlcutil import dlc, read_tensor, write_inputs

ROOT = pathlib.Path(__file__).resolve().parents[2]
DSL_MODELS = sorted((ROOT / "examples/dsl").glob("*.dlc"))
NUMPY = {"f32": np.float32, "f64": np.float64, "f16": np.float16, "i64": np.int64,
         "i32": np.int32, "i8": np.int8, "i1": np.bool_, "ui8": np.uint8}
# The layout of docs/executable.md, written out here (not taken from dlc).
VERSION_AT, CHECKSUM_AT, HEADER = 4, 8, 64


def compile_exe(dlc_bin, model, out, *flags):
    proc = dlc(dlc_bin, "compile", model, "-o", out, *flags)
    assert proc.returncode == 0, f"dlc compile {model} -o: {proc.returncode}\n{proc.stderr}"
    assert f"wrote {out}" in proc.stdout, proc.stdout
    return proc.stdout


def signature_inputs(summary, seed):
    """Random inputs for the `input N 'name': tensor<...>` lines of a summary."""
    rng = np.random.default_rng(seed)
    inputs = []
    for dims, dtype in re.findall(r"input\s+\d+ '[^']*': tensor<((?:\d+x)*)([a-z0-9]+)>", summary):
        shape = [int(d) for d in dims.split("x") if d]
        inputs.append(rng.standard_normal(shape).astype(NUMPY[dtype]))
    return inputs


def run_outputs(dlc_bin, model, in_dir, out_dir, *flags):
    proc = dlc(dlc_bin, "run", model, "--input-dir", in_dir, "--output-dir", out_dir, *flags)
    assert proc.returncode == 0, f"dlc run {model}: {proc.returncode}\n{proc.stderr}"
    return sorted(out_dir.iterdir())


def assert_runs_alike(dlc_bin, model, tmp_path, seed):
    exe = tmp_path / "model.dlcx"
    summary = compile_exe(dlc_bin, model, exe)
    write_inputs(signature_inputs(summary, seed), tmp_path / "in")
    direct = run_outputs(dlc_bin, model, tmp_path / "in", tmp_path / "direct", "--device", "host")
    loaded = run_outputs(dlc_bin, exe, tmp_path / "in", tmp_path / "loaded", "--device", "host")
    assert [p.name for p in direct] == [p.name for p in loaded]
    assert direct, "no outputs"
    for a, b in zip(direct, loaded):
        assert a.read_bytes() == b.read_bytes(), f"{model}: {a.name} differs when run from the .dlcx"
    return exe


@pytest.mark.parametrize("name", list(model_zoo.MODELS))
def test_zoo_model_runs_the_same_from_its_executable(exported, dlc_bin, tmp_path, name):
    assert_runs_alike(dlc_bin, exported[name]["path"], tmp_path, 1)


@pytest.mark.parametrize("model", DSL_MODELS, ids=lambda p: p.stem)
def test_dsl_model_runs_the_same_from_its_executable(dlc_bin, tmp_path, model):
    assert_runs_alike(dlc_bin, model, tmp_path, 2)


@pytest.fixture
def mlp_exe(dlc_bin, tmp_path):
    exe = tmp_path / "mlp.dlcx"
    summary = compile_exe(dlc_bin, ROOT / "examples/models/mlp.onnx", exe)
    write_inputs(signature_inputs(summary, 3), tmp_path / "in")
    return exe


def run_bytes(dlc_bin, data, tmp_path, name="bad.dlcx", *flags):
    path = tmp_path / name
    path.write_bytes(data)
    return path, dlc(dlc_bin, "run", path, "--input-dir", tmp_path / "in",
                     "--output-dir", tmp_path / "out", *flags)


def assert_refused(proc, path, *parts):
    assert proc.returncode == 1, f"exit {proc.returncode}, expected 1:\n{proc.stderr}"
    line = proc.stderr.strip().splitlines()[-1]
    assert line.startswith(f"{path}: "), line
    for part in parts:
        assert part in line, f"'{part}' not in: {line}"


def test_renamed_executable_runs(dlc_bin, mlp_exe, tmp_path):
    """dlc run goes by the file's contents, not its name."""
    data = mlp_exe.read_bytes()
    path, proc = run_bytes(dlc_bin, data, tmp_path, "model.onnx")
    assert proc.returncode == 0, proc.stderr


def test_newer_version_is_refused(dlc_bin, mlp_exe, tmp_path):
    data = bytearray(mlp_exe.read_bytes())
    data[VERSION_AT:VERSION_AT + 4] = (99).to_bytes(4, "little")
    path, proc = run_bytes(dlc_bin, bytes(data), tmp_path)
    assert_refused(proc, path, "format version 99 is newer")


def test_corrupt_byte_is_refused(dlc_bin, mlp_exe, tmp_path):
    data = bytearray(mlp_exe.read_bytes())
    data[len(data) - 5] ^= 0x40  # in the weights
    path, proc = run_bytes(dlc_bin, bytes(data), tmp_path)
    assert_refused(proc, path, "checksum mismatch", "corrupt")


@pytest.mark.parametrize("keep", [4, 40, HEADER, 200, 0.5, -1])
def test_truncated_file_is_refused(dlc_bin, mlp_exe, tmp_path, keep):
    data = mlp_exe.read_bytes()
    n = int(len(data) * keep) if isinstance(keep, float) else keep % len(data)
    path, proc = run_bytes(dlc_bin, data[:n], tmp_path)
    assert_refused(proc, path, "truncated")


def test_not_an_executable(dlc_bin, tmp_path):
    """Bytes without the magic are taken for a model, and refused as one."""
    (tmp_path / "in").mkdir()
    path, proc = run_bytes(dlc_bin, b"DLCY" + bytes(100), tmp_path)
    assert proc.returncode == 1, proc.stderr
    assert str(path) in proc.stderr


def test_compile_only_flags_are_refused(dlc_bin, mlp_exe, tmp_path):
    for flag in ["--no-opt", "--input-shape=x=1x784", "--dump-dir=d", "--print-ir-after-all"]:
        proc = dlc(dlc_bin, "run", mlp_exe, "--input-dir", tmp_path / "in",
                   "--output-dir", tmp_path / "out", flag)
        assert proc.returncode == 1, proc.stderr
        assert "does not apply to" in proc.stderr and "an executable file" in proc.stderr, proc.stderr


def test_device_cuda_needs_a_cuda_executable(dlc_bin, mlp_exe, tmp_path):
    proc = dlc(dlc_bin, "run", mlp_exe, "--input-dir", tmp_path / "in",
               "--output-dir", tmp_path / "out", "--device", "cuda")
    assert_refused(proc, mlp_exe, "compiled for the host", "--target cuda")


def test_compiling_an_executable_is_refused(dlc_bin, mlp_exe):
    proc = dlc(dlc_bin, "compile", mlp_exe)
    assert_refused(proc, mlp_exe, "an executable file", "dlc run")


def test_wrong_input_is_refused(dlc_bin, mlp_exe, tmp_path):
    write_inputs([np.zeros((2, 3), np.float32)], tmp_path / "in")
    proc = dlc(dlc_bin, "run", mlp_exe, "--input-dir", tmp_path / "in",
               "--output-dir", tmp_path / "out")
    assert_refused(proc, mlp_exe, "input 0", "must be")


def test_target_cuda_fails_clearly_or_writes_a_cuda_executable(dlc_bin, tmp_path):
    """Until codegen and NVRTC land, --target cuda is a clear exit 1; once
    they do, the file holds the CUDA plan and still runs on the host."""
    exe = tmp_path / "mlp.dlcx"
    proc = dlc(dlc_bin, "compile", ROOT / "examples/models/mlp.onnx", "--target", "cuda", "-o", exe)
    if proc.returncode == 1:
        assert "target cuda: " in proc.stderr, proc.stderr
        assert not exe.exists()
        return
    assert proc.returncode == 0, proc.stderr
    write_inputs(signature_inputs(proc.stdout, 4), tmp_path / "in")
    run_outputs(dlc_bin, exe, tmp_path / "in", tmp_path / "out", "--device", "host")


def test_same_model_same_bytes(dlc_bin, tmp_path):
    """With SOURCE_DATE_EPOCH set, compiling twice writes identical files."""
    model = ROOT / "examples/models/mlp.onnx"
    env = dict(os.environ, SOURCE_DATE_EPOCH="1700000000")
    files = []
    for i in range(2):
        out = tmp_path / f"m{i}.dlcx"
        subprocess.run([str(dlc_bin), "compile", str(model), "-o", str(out)], env=env, check=True,
                       capture_output=True)
        files.append(out.read_bytes())
    assert files[0] == files[1]
