"""`dlc compile --target cuda` flags (issue 5): the architecture checks, the
flags that need --target cuda, and a missing NVRTC, each a user error
(exit 1) with one message. The compile itself is checked by the
cuda_compile_* ctest checks (test/cuda)."""

import os
import pathlib
import subprocess

import pytest

from dlcutil import dlc

MLP = pathlib.Path(__file__).resolve().parents[2] / "examples" / "models" / "mlp.onnx"


def dlc_env(dlc_bin, env, *args):
    proc = subprocess.run([str(dlc_bin), *map(str, args)], capture_output=True, text=True,
                          timeout=120, env={**os.environ, **env})
    assert proc.returncode >= 0, proc.stderr
    return proc


def user_error(proc, *phrases):
    assert proc.returncode == 1, (proc.returncode, proc.stderr)
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
    for p in phrases:
        assert p in proc.stderr, proc.stderr


@pytest.mark.parametrize("arch", ["sm90", "compute_90", "sm_9", "90", "sm_90x"])
def test_malformed_arch(dlc_bin, arch):
    proc = dlc(dlc_bin, "compile", MLP, "--target", "cuda", "--arch", arch)
    user_error(proc, f"--arch '{arch}' is not a GPU architecture of the form sm_XY")


@pytest.mark.parametrize("arch", ["sm_60", "sm_130"])
def test_arch_out_of_range(dlc_bin, arch):
    proc = dlc(dlc_bin, "compile", MLP, "--target", "cuda", "--arch", arch)
    user_error(proc, f"--arch '{arch}' is outside the range dlc supports (sm_70 to sm_121)")


@pytest.mark.parametrize("flags", [["--arch", "sm_90"], ["--no-kernel-cache"]])
def test_cuda_flags_need_the_cuda_target(dlc_bin, flags):
    user_error(dlc(dlc_bin, "compile", MLP, *flags), "go with --target cuda")


def test_missing_nvrtc_is_a_clear_user_error(dlc_bin):
    proc = dlc_env(dlc_bin, {"DLC_NVRTC_LIBRARY": "/nonexistent/libnvrtc.so.13"},
                   "compile", MLP, "--target", "cuda")
    user_error(proc, "--target cuda needs NVRTC", "/nonexistent/libnvrtc.so.13", "CUDA_HOME")


def test_no_libraries_needs_a_cuda_target_or_device(dlc_bin):
    user_error(dlc(dlc_bin, "compile", MLP, "--no-libraries"), "--no-libraries goes with --target cuda or --emit cuda")
    user_error(dlc(dlc_bin, "run", MLP, "--device", "host", "--no-libraries", "--input-dir", ".", "--output-dir", "."),
               "--no-libraries needs the CUDA device")


def test_no_libraries_generates_the_gemm_kernels(dlc_bin):
    # The MLP's two layers are cuBLASLt calls (bias+relu, then a plain GEMM)
    # and no generated kernel; with --no-libraries both are generated kernels.
    with_libs = dlc(dlc_bin, "compile", MLP, "--emit", "cuda")
    assert with_libs.returncode == 0, with_libs.stderr
    assert "cuBLASLt GEMM m=4 n=128 k=784, epilogue bias+relu" in with_libs.stdout
    assert "__global__ void k0_" not in with_libs.stdout
    generated = dlc(dlc_bin, "compile", MLP, "--emit", "cuda", "--no-libraries")
    assert generated.returncode == 0, generated.stderr
    assert "cuBLASLt" not in generated.stdout
    assert "__global__ void k0_gemm" in generated.stdout
