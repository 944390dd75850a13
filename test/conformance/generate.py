"""Writes the ONNX backend node tests to disk in the layout the ONNX repository
uses (NAME/model.onnx, NAME/test_data_set_K/{input,output}_J.pb).

The `onnx` wheel on PyPI ships the node-test *generators*
(onnx.backend.test.case.node) but not their data, so the data is generated
here from the pinned onnx version with a fixed numpy seed: the same venv gives
the same tests, byte for byte. A stamp file records the onnx version; the data
is regenerated only when it changes.

usage: generate.py OUT_DIR
"""

import os
import random
import shutil
import sys
import warnings

import numpy as np
import onnx
from onnx import TensorProto, numpy_helper
from onnx.backend.test.case import node as node_cases

STAMP = "GENERATED_BY"


def serialize(value, value_info):
    """One input/output value as a serialized proto, per its declared type."""
    t = value_info.type
    if t.HasField("sequence_type"):
        return numpy_helper.from_list(value, value_info.name).SerializeToString()
    if t.HasField("optional_type"):
        return numpy_helper.from_optional(value, value_info.name).SerializeToString()
    if t.HasField("map_type"):
        return numpy_helper.from_dict(value, value_info.name).SerializeToString()
    if isinstance(value, TensorProto):
        return value.SerializeToString()
    return numpy_helper.from_array(np.asarray(value), value_info.name).SerializeToString()


def generate(out_dir):
    stamp = f"onnx {onnx.__version__}, numpy {np.__version__}, seed 0\n"
    stamp_path = os.path.join(out_dir, STAMP)
    if os.path.exists(stamp_path) and open(stamp_path).read() == stamp:
        return
    if os.path.exists(out_dir):
        shutil.rmtree(out_dir)
    os.makedirs(out_dir)
    np.random.seed(0)
    random.seed(0)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the generators divide by zero on purpose
        cases = node_cases.collect_testcases(None)
    for case in cases:
        case_dir = os.path.join(out_dir, case.name)
        os.makedirs(case_dir)
        with open(os.path.join(case_dir, "model.onnx"), "wb") as f:
            f.write(case.model.SerializeToString())
        graph = case.model.graph
        for k, (inputs, outputs) in enumerate(case.data_sets):
            ds = os.path.join(case_dir, f"test_data_set_{k}")
            os.makedirs(ds)
            for prefix, values, infos in (("input", inputs, graph.input),
                                          ("output", outputs, graph.output)):
                for j, value in enumerate(values):
                    with open(os.path.join(ds, f"{prefix}_{j}.pb"), "wb") as f:
                        f.write(serialize(value, infos[j]))
    with open(stamp_path, "w") as f:
        f.write(stamp)
    print(f"generated {len(cases)} ONNX node tests in {out_dir} ({stamp.strip()})")


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    generate(sys.argv[1])
