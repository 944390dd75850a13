"""Prints what the DSL lit tests check in an exported model: its initializers
(name, dtype, shape), nodes (name, op), outputs and metadata, after running
ONNX's checker on it."""
import sys

import onnx
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
onnx.checker.check_model(model, full_check=True)
print("checker: ok")
for t in model.graph.initializer:
    a = numpy_helper.to_array(t)
    print(f"init {t.name} {a.dtype} {list(a.shape)}")
for n in model.graph.node:
    print(f"node {n.name} {n.op_type}")
for o in model.graph.output:
    dims = [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
    print(f"output {o.name} {o.type.tensor_type.elem_type} {dims}")
for p in model.metadata_props:
    print(f"meta {p.key} = {p.value}")
