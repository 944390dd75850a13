#!/usr/bin/env python3
"""Writes the seed corpora of the ONNX-loader and tensor-file fuzzers
(test/fuzz/corpus/onnx, corpus/tensor) from the tests:
  - every model chunk of the lit tests (test/lit/onnx/*.onnxtxt), parsed
    from ONNX's text format: the valid models the importer is tested on;
  - the ONNX models and tensor files of the hostile-input suite
    (test/hostile/cases.py): the broken ones;
  - a few valid tensor files of every dtype dlc reads.
Deterministic; run with the test venv after adding tests, and commit the
result (seeds are small). Crashes the fuzzers find are added by hand,
named crash-*.
"""

import glob
import hashlib
import os
import re
import sys

import numpy as np
import onnx
import onnx.parser
from onnx import TensorProto, helper, numpy_helper

here = os.path.dirname(os.path.abspath(__file__))
root = os.path.dirname(os.path.dirname(here))
sys.path.insert(0, os.path.join(root, "test", "hostile"))
import cases as hostile  # noqa: E402

MAX_SEED = 64 * 1024


def write(folder, name, data):
    if len(data) > MAX_SEED:
        return
    os.makedirs(folder, exist_ok=True)
    with open(os.path.join(folder, name), "wb") as f:
        f.write(data)


def onnx_seeds(out):
    for path in sorted(glob.glob(os.path.join(root, "test", "lit", "onnx", "*.onnxtxt"))):
        base = os.path.splitext(os.path.basename(path))[0]
        text = open(path).read()
        for k, chunk in enumerate(re.split(r"^# -----.*$", text, flags=re.M)):
            body = "\n".join(l for l in chunk.splitlines() if not l.lstrip().startswith("#"))
            if "<" not in body:
                continue
            try:
                model = onnx.parser.parse_model(body)
            except Exception:
                continue
            write(out, f"lit-{base}-{k}.onnx", model.SerializeToString())
    for c in hostile.all_cases():
        data = c.files.get("model.onnx")
        if data is not None and c.cls in ("not-a-model", "graph", "tensor", "attribute"):
            write(out, f"hostile-{c.name}.onnx", data)


def tensor_seeds(out):
    rng = np.random.default_rng(0)
    arrays = {
        "f32": rng.standard_normal((2, 3)).astype(np.float32),
        "f64": rng.standard_normal((4,)),
        "f16": rng.standard_normal((3, 2)).astype(np.float16),
        "i64": np.arange(6, dtype=np.int64).reshape(2, 3),
        "i32": np.arange(5, dtype=np.int32),
        "i8": np.arange(-3, 3, dtype=np.int8),
        "u8": np.arange(4, dtype=np.uint8),
        "bool": np.array([True, False, True]),
        "scalar": np.array(1.5, np.float32),
        "empty": np.zeros((0, 4), np.float32),
    }
    for name, a in arrays.items():
        write(out, f"valid-raw-{name}.pb", numpy_helper.from_array(a).SerializeToString())
    # The typed fields instead of raw_data.
    write(out, "valid-float-data.pb", helper.make_tensor("t", TensorProto.FLOAT, [2, 2], [1, 2, 3, 4]).SerializeToString())
    write(out, "valid-int64-data.pb", helper.make_tensor("t", TensorProto.INT64, [3], [1, -2, 3]).SerializeToString())
    write(out, "valid-bool-data.pb", helper.make_tensor("t", TensorProto.BOOL, [2], [1, 0]).SerializeToString())
    write(out, "valid-uint64-data.pb", helper.make_tensor("t", TensorProto.UINT64, [2], [1, 7]).SerializeToString())
    write(out, "valid-bf16-data.pb", helper.make_tensor("t", TensorProto.BFLOAT16, [2], [1.0, 2.0]).SerializeToString())
    for c in hostile.all_cases():
        for rel, data in c.files.items():
            if c.cls == "input" and rel.startswith("in/") and rel.endswith(".pb"):
                write(out, f"hostile-{c.name}-{os.path.basename(rel)}", data)


def main():
    onnx_seeds(os.path.join(here, "corpus", "onnx"))
    tensor_seeds(os.path.join(here, "corpus", "tensor"))
    for kind in ("onnx", "tensor"):
        files = os.listdir(os.path.join(here, "corpus", kind))
        size = sum(os.path.getsize(os.path.join(here, "corpus", kind, f)) for f in files)
        print(f"corpus/{kind}: {len(files)} files, {size} bytes")


if __name__ == "__main__":
    main()
