"""The compiler's output must not depend on where malloc puts things.

The fusion pass once kept a snapshot of op pointers across a step that
erases ops and clones new ones; a clone that reused an erased op's address
was taken for it, so the fused IR changed with the heap's layout (seen as
one more duplicated compare between the GCC and clang builds, and under
GLIBC_TUNABLES). Each model here is compiled under several malloc
settings, and every output must be the same text.
"""

import os
import pathlib
import subprocess

import onnx
import onnx.parser
import pytest

LIT_ONNX = pathlib.Path(__file__).resolve().parent.parent / "lit" / "onnx"

# (lit file, chunk): the models where the difference was seen, and more
# whose fusion duplicates cheap producers into several kernels.
CASES = [("convpool.onnxtxt", 9), ("convpool.onnxtxt", 10), ("resize.onnxtxt", 5),
         ("resize.onnxtxt", 3), ("convpool.onnxtxt", 3)]

# glibc's tunables change which freed blocks malloc hands out next.
HEAPS = ["", "glibc.malloc.tcache_count=0", "glibc.malloc.perturb=170",
         "glibc.malloc.mmap_threshold=4096:glibc.malloc.tcache_count=0"]


def chunk(name, index, directory):
    chunks = (LIT_ONNX / name).read_text().split("\n# -----\n")
    path = directory / f"{name.split('.')[0]}-{index}.onnx"
    onnx.save(onnx.parser.parse_model(chunks[index]), str(path))
    return path


@pytest.mark.parametrize("name,index", CASES)
@pytest.mark.parametrize("emit", ["fused-ir", "plan"])
def test_output_does_not_depend_on_the_heap(dlc_bin, tmp_path, name, index, emit):
    model = chunk(name, index, tmp_path)
    texts = {}
    for heap in HEAPS:
        env = dict(os.environ, GLIBC_TUNABLES=heap)
        r = subprocess.run([str(dlc_bin), "compile", str(model), "--emit", emit, "--no-elide"],
                           capture_output=True, text=True, env=env)
        assert r.returncode == 0, r.stderr
        texts[heap] = r.stdout
    first = texts[HEAPS[0]]
    for heap, text in texts.items():
        assert text == first, f"--emit {emit} differs under GLIBC_TUNABLES='{heap}'"
