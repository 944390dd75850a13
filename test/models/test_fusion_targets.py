"""Fusion targets of issue 4 on the BERT-style and GPT-style models.

Per transformer block: at most 10 kernels + library calls, and softmax and
each layer norm one kernel. A block's cost is measured as the difference
between the same model with 3 and with 2 blocks, so the embedding, the head
and kernels shared by all blocks (the padding mask) are not counted.
"""

import json
import re

import pytest

import real_models
from dlcutil import dlc

MAX_KERNELS_PER_BLOCK = 10
ROW_KERNELS_PER_BLOCK = 3  # layer norm 1, softmax, layer norm 2


def export(name, layers, path):
    make, make_inputs, opset, keep_bn = real_models.CASES[name]
    cls = real_models.BertEncoder if name.startswith("bert") else real_models.GptDecoder
    real_models.CASES[f"{name}_L{layers}"] = (lambda: cls(layers=layers), make_inputs, opset, keep_bn)
    try:
        real_models.build_and_export(f"{name}_L{layers}", path, seed=0)
    finally:
        del real_models.CASES[f"{name}_L{layers}"]


def compile_stats(dlc_bin, path):
    proc = dlc(dlc_bin, "compile", path, "--stats", "--json")
    assert proc.returncode == 0, proc.stderr
    return json.loads(proc.stdout)


def reduces_in_row_kernels(dlc_bin, path):
    """The number of dlc.reduce ops inside reduction kernels."""
    proc = dlc(dlc_bin, "compile", path, "--emit", "fused-ir")
    assert proc.returncode == 0, proc.stderr
    total = 0
    for fusion in re.split(r"= dlc\.fusion ", proc.stdout)[1:]:
        if fusion.startswith("reduction"):
            total += len(re.findall(r"dlc\.reduce ", fusion.split("dlc.yield")[0]))
    return total


@pytest.mark.parametrize("name", ["bert_op13", "bert_op17", "gpt_op13", "gpt_op17"])
def test_transformer_block(dlc_bin, tmp_path, name):
    stats = {}
    for layers in (2, 3):
        path = tmp_path / f"{name}_L{layers}.onnx"
        export(name, layers, path)
        stats[layers] = compile_stats(dlc_bin, path)
    per_block = stats[3]["kernels"] - stats[2]["kernels"]
    kinds = {k: stats[3]["kernels_by_kind"].get(k, 0) - stats[2]["kernels_by_kind"].get(k, 0)
             for k in stats[3]["kernels_by_kind"]}
    assert per_block <= MAX_KERNELS_PER_BLOCK, f"{name}: {per_block} kernels per block: {kinds}"
    # A block has three row operations, each of two reductions (max and sum;
    # mean and variance): three row kernels holding six reduces per block
    # means each of softmax and the two layer norms is one kernel.
    assert kinds.get("reduction", 0) == ROW_KERNELS_PER_BLOCK, f"{name}: {kinds}"
    reduces = [reduces_in_row_kernels(dlc_bin, tmp_path / f"{name}_L{n}.onnx") for n in (2, 3)]
    assert reduces[1] - reduces[0] == 2 * ROW_KERNELS_PER_BLOCK, f"{name}: {reduces}"
