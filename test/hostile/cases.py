"""The hostile-input cases (issue 8): broken models, DSL files, IR text and
tensor files, each with the command that must refuse it and what the refusal
must say.

Every case is written into a folder of its own by `Case.write(dir)` and run
by run.py. All bytes are made here, deterministically (fixed seeds), with
the onnx package of the test venv; nothing is computed by dlc.

A case's `expect` lists regular expressions that must all match dlc's stderr:
the file (written as {model}, {dir} ... and filled in by the runner), the
node or value at fault, and the reason.
"""

import os
import random
import re
import struct
from dataclasses import dataclass, field

import onnx
from onnx import TensorProto, helper

# The classes of issue 8, in the order docs/robustness.md lists them.
CLASSES = {
    "not-a-model": "bytes that are not an ONNX model",
    "graph": "broken graphs",
    "tensor": "broken tensors and shapes",
    "attribute": "broken attributes and shape mismatches",
    "external": "external data outside the model's folder or file",
    "dsl": "broken DSL (.dlc) files",
    "ir": "broken IR text (dlc-opt, dlc compile x.mlir)",
    "input": "broken tensor files given to dlc run --input-dir",
    "executable": "broken .dlcx executables given to dlc run",
}


@dataclass
class Case:
    name: str
    cls: str
    # The tool and its arguments; "{dir}" is the case's folder. tool is
    # "dlc" or "dlc-opt".
    tool: str
    args: list
    expect: list                   # regexes, all must match stderr
    files: dict = field(default_factory=dict)    # relative path -> bytes
    symlinks: dict = field(default_factory=dict)  # relative path -> target
    fifos: list = field(default_factory=list)     # relative paths
    dirs: list = field(default_factory=list)      # relative paths
    why: str = ""                   # one line for the docs

    def write(self, root):
        for rel in self.dirs:
            os.makedirs(os.path.join(root, rel), exist_ok=True)
        for rel, data in self.files.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            with open(path, "wb") as f:
                f.write(data)
        for rel, target in self.symlinks.items():
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.symlink(target, path)
        for rel in self.fifos:
            path = os.path.join(root, rel)
            os.makedirs(os.path.dirname(path), exist_ok=True)
            os.mkfifo(path)


# ---------------------------------------------------------------- helpers

F = TensorProto.FLOAT
I64 = TensorProto.INT64


def vi(name, dtype=F, shape=(2, 3)):
    return helper.make_tensor_value_info(name, dtype, list(shape) if shape is not None else None)


def model_bytes(nodes, inputs, outputs, inits=(), opset=17, ir=8, domains=()):
    graph = helper.make_graph(list(nodes), "g", list(inputs), list(outputs), list(inits))
    opsets = [helper.make_opsetid("", opset)] + [helper.make_opsetid(d, 1) for d in domains]
    model = helper.make_model(graph, ir_version=ir, opset_imports=opsets, producer_name="hostile")
    return model.SerializeToString()


def relu_model(ir=8):
    return model_bytes([helper.make_node("Relu", ["x"], ["y"], name="relu")],
                       [vi("x")], [vi("y")], ir=ir)


def onnx_case(name, cls, data, expect, why, extra_files=None, ir_variants=True, **kw):
    """A `dlc compile model.onnx` case. `data` is the model's bytes, or a
    function ir -> bytes: then the case is made twice, at IR version 8 (the
    ONNX checker of Debian's libonnx sees it first) and at IR version 10
    (past that checker: dlc's own rules are the only guard)."""
    out = []
    variants = [(8, ""), (10, "-ir10")] if callable(data) and ir_variants else [(8, "")]
    for ir, suffix in variants:
        files = {"model.onnx": data(ir) if callable(data) else data}
        files.update(extra_files or {})
        out.append(Case(name + suffix, cls, "dlc", ["compile", "{dir}/model.onnx"],
                        ["{dir}/model.onnx"] + list(expect), files=files, why=why, **kw))
    return out


def _varint(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def _ld(field_number, payload):
    """A length-delimited protobuf field."""
    return _varint(field_number << 3 | 2) + _varint(len(payload)) + payload


def tensor_bytes(dims, dtype=F, raw=None, **fields):
    t = TensorProto(name="t", data_type=dtype, dims=list(dims))
    if raw is not None:
        t.raw_data = raw
    for k, v in fields.items():
        getattr(t, k).extend(v)
    return t.SerializeToString()


def floats(n):
    return struct.pack(f"<{n}f", *[float(i) for i in range(n)])


NODE = r"node '{node}'"


def node_re(name, op):
    """The node in dlc's format, or in the ONNX checker's (which speaks
    first for models within its IR version and opset)."""
    return rf"node '{re.escape(name)}' \({op}|Name: {re.escape(name)} OpType: {op}"


def value_re(name):
    """A value or tensor by name, in dlc's or the checker's words."""
    return rf"'{re.escape(name)}'|name: {re.escape(name)}\b"


# ---------------------------------------------------------------- not a model

def not_a_model():
    rng = random.Random(8)
    valid = relu_model()
    cases = []
    cases += onnx_case("empty-file", "not-a-model", b"", [r"empty"], "an empty file")
    cases += onnx_case("random-bytes", "not-a-model", bytes(rng.randrange(256) for _ in range(4096)),
                       [r"not an ONNX model"], "4 KiB of random bytes")
    cases += onnx_case("text-file", "not-a-model", b"this is not a model\n" * 20,
                       [r"not an ONNX model|no graph"], "a text file")
    # Truncated: the first cut (from the end) where protobuf itself fails.
    for cut in range(len(valid) - 1, 0, -1):
        try:
            onnx.ModelProto.FromString(valid[:cut])
        except Exception:
            break
    cases += onnx_case("truncated", "not-a-model", valid[:cut], [r"not an ONNX model"],
                       f"a valid model cut to {cut} of {len(valid)} bytes")
    cases += onnx_case("half-model", "not-a-model", valid[: len(valid) // 2],
                       [r"not an ONNX model|no graph"], "the first half of a valid model")
    cases += onnx_case("tensor-proto", "not-a-model", tensor_bytes([2, 3], raw=floats(6)),
                       [r"no graph|not an ONNX model"], "a serialised TensorProto instead of a model")
    graph = onnx.ModelProto.FromString(valid).graph.SerializeToString()
    cases += onnx_case("graph-proto", "not-a-model", graph, [r"no graph|not an ONNX model"],
                       "a serialised GraphProto instead of a ModelProto")
    cases += onnx_case("nested-groups", "not-a-model", b"\x0b" * 100000,
                       [r"not an ONNX model"], "100000 nested protobuf start-group tags")
    # Deeply nested messages: graph attributes inside graph attributes.
    # (Only the then-branch nests: both would double the size per level.)
    leaf = helper.make_graph([helper.make_node("Relu", ["x"], ["y"])], "b", [], [vi("y")])
    inner = leaf
    for _ in range(30):
        node = helper.make_node("If", ["c"], ["y"], then_branch=inner, else_branch=leaf)
        inner = helper.make_graph([node], "b", [], [vi("y")])
    deep = model_bytes([helper.make_node("If", ["c"], ["y"], name="if0", then_branch=inner,
                                         else_branch=leaf)],
                       [vi("c", TensorProto.BOOL, []), vi("x")], [vi("y")], ir=10)
    cases += onnx_case("deep-subgraphs", "not-a-model", deep,
                       [r"if0"], "If graphs nested 30 deep, each branch's condition undefined")
    # Deeper than Python's protobuf can build: encoded by hand, 5000 levels
    # of Graph -> Node(If) -> Attribute(then_branch) -> Graph.
    g = b""
    for _ in range(5000):
        attr = _ld(1, b"then_branch") + _ld(6, g) + b"\xa0\x01\x05"  # type = GRAPH (field 20)
        g = _ld(1, _ld(1, b"c") + _ld(2, b"y") + _ld(4, b"If") + _ld(5, attr))
    deepest = _ld(7, g) + b"\x08\x08" + _ld(8, b"\x10\x11")  # graph, ir_version 8, opset 17
    cases += onnx_case("deeper-subgraphs", "not-a-model", deepest, [r"not an ONNX model"],
                       "If graphs nested 5000 deep (protobuf's recursion limit)")
    # Targeted corruption: one letter of the op type, one length prefix.
    flipped = valid.replace(b"Relu", b"Relv")
    cases += onnx_case("bitflip-op-type", "not-a-model", flipped, [node_re("relu", "Relv"), "not supported|No Op registered"],
                       "one bit of the op type flipped (Relu -> Relv)")
    i = valid.index(b"Relu") - 1  # the length byte of the op_type string
    broken = bytearray(valid)
    broken[i] ^= 0x40
    cases += onnx_case("bitflip-length", "not-a-model", bytes(broken), [r"not an ONNX model|no graph|node"],
                       "one bit of a length prefix flipped")
    return cases


def bitflip_cases():
    """Random single-bit flips of a model with a Conv, a MatMul and
    initializers: the result may be another valid model (a flipped weight),
    so exit 0 is allowed here; 2, a signal or a hang never are."""
    rng = random.Random(1)
    w = helper.make_tensor("w", F, [4, 3, 3, 3], [0.1] * 108)
    m = helper.make_tensor("m", F, [6, 5], [0.2] * 30)
    shape = helper.make_tensor("s", I64, [2], [1, -1])
    nodes = [helper.make_node("Conv", ["x", "w"], ["c"], name="conv", pads=[1, 1, 1, 1]),
             helper.make_node("Relu", ["c"], ["r"], name="relu"),
             helper.make_node("Slice", ["r", "st", "en"], ["sl"], name="slice"),
             helper.make_node("Reshape", ["sl", "s"], ["f"], name="reshape"),
             helper.make_node("MatMul", ["f", "m"], ["y"], name="matmul")]
    st = helper.make_tensor("st", I64, [1], [0])
    en = helper.make_tensor("en", I64, [1], [1])
    valid = model_bytes(nodes, [vi("x", F, [1, 3, 1, 6])], [vi("y", F, [1, 5])], [w, m, shape, st, en], ir=10)
    cases = []
    for k in range(40):
        b = bytearray(valid)
        pos = rng.randrange(len(b))
        b[pos] ^= 1 << rng.randrange(8)
        cases.append(Case(f"bitflip-{k:02d}", "not-a-model", "dlc", ["compile", "{dir}/model.onnx"],
                          [], files={"model.onnx": bytes(b)}, why=f"byte {pos} of a Conv/MatMul model, one bit flipped",
                          ))
        cases[-1].accept_ok = True
    return cases


# ---------------------------------------------------------------- graphs

def graph_cases():
    c = []
    relu = lambda i, o, n="relu": helper.make_node("Relu", [i], [o], name=n)
    c += onnx_case("undefined-input", "graph",
                   lambda ir: model_bytes([relu("nope", "y")], [vi("x")], [vi("y")], ir=ir),
                   [r"nope"], "a node reads a value nothing defines")
    c += onnx_case("cycle", "graph",
                   lambda ir: model_bytes([helper.make_node("Add", ["x", "b"], ["a"], name="first"),
                                           helper.make_node("Relu", ["a"], ["b"], name="second")],
                                          [vi("x")], [vi("b")], ir=ir),
                   [r"'b'"], "two nodes that feed each other")
    c += onnx_case("self-loop", "graph",
                   lambda ir: model_bytes([helper.make_node("Add", ["x", "y"], ["y"], name="loop")],
                                          [vi("x")], [vi("y")], ir=ir),
                   [r"'y'"], "a node that reads its own output")
    c += onnx_case("two-producers", "graph",
                   lambda ir: model_bytes([relu("x", "y", "a"), relu("x", "y", "b")], [vi("x")], [vi("y")], ir=ir),
                   [r"'y'", r"already defined|more than one|SSA|twice"], "two nodes write the same value")
    c += onnx_case("output-shadows-input", "graph",
                   lambda ir: model_bytes([relu("x", "x", "a")], [vi("x")], [vi("x")], ir=ir),
                   [r"'x'", r"already defined|SSA|twice|more than one"], "a node writes a graph input")
    c += onnx_case("no-outputs", "graph",
                   lambda ir: model_bytes([relu("x", "y")], [vi("x")], [], ir=ir),
                   [r"no outputs|output"], "a graph with no outputs")
    c += onnx_case("output-not-produced", "graph",
                   lambda ir: model_bytes([relu("x", "y")], [vi("x")], [vi("z")], ir=ir),
                   [r"'z'", r"not produced|not.*defined|no producer"], "a graph output nothing produces")
    c += onnx_case("unknown-op", "graph",
                   lambda ir: model_bytes([helper.make_node("FrobnicateV9", ["x"], ["y"], name="frob")],
                                          [vi("x")], [vi("y")], ir=ir),
                   [node_re("frob", "FrobnicateV9"), r"not supported|No Op registered|unknown"],
                   "an op no ONNX opset has")
    c += onnx_case("unknown-domain", "graph",
                   lambda ir: model_bytes([helper.make_node("Relu", ["x"], ["y"], name="r", domain="com.evil")],
                                          [vi("x")], [vi("y")], ir=ir, domains=["com.evil"]),
                   [r"com\.evil", r"not supported|not registered|domain"], "a node in a domain dlc does not know")
    c += onnx_case("empty-op-type", "graph",
                   lambda ir: model_bytes([helper.make_node("", ["x"], ["y"], name="anon")],
                                          [vi("x")], [vi("y")], ir=ir),
                   [r"anon|op"], "a node with an empty op type")
    c += onnx_case("opset-too-new", "graph",
                   lambda ir: model_bytes([relu("x", "y")], [vi("x")], [vi("y")], opset=99, ir=ir),
                   [r"relu|opset 99", r"opset"], "opset 99 of the default domain")
    c += onnx_case("no-default-opset", "graph",
                   model_bytes([relu("x", "y")], [vi("x")], [vi("y")], opset=0, ir=10),
                   [r"relu|opset"], "opset 0: no version of the default domain")
    c += onnx_case("input-without-type", "graph",
                   lambda ir: model_bytes([relu("x", "y")], [helper.make_value_info("x", onnx.TypeProto())],
                                          [vi("y")], ir=ir),
                   [value_re("x")], "a graph input with no type at all")
    c += onnx_case("sequence-input", "graph",
                   lambda ir: model_bytes([relu("x", "y")],
                                          [helper.make_tensor_sequence_value_info("x", F, [2])], [vi("y")], ir=ir),
                   [r"'x'", r"sequence|not supported"], "a sequence input")
    c += onnx_case("too-many-node-inputs", "graph",
                   lambda ir: model_bytes([helper.make_node("Relu", ["x", "x", "x"], ["y"], name="relu3")],
                                          [vi("x")], [vi("y")], ir=ir),
                   [r"relu3|Relu"], "Relu with three inputs")
    c += onnx_case("missing-node-input", "graph",
                   lambda ir: model_bytes([helper.make_node("Add", ["x"], ["y"], name="add1")],
                                          [vi("x")], [vi("y")], ir=ir),
                   [r"add1|Add"], "Add with one input")
    c += onnx_case("declared-output-mismatch", "graph",
                   lambda ir: model_bytes([relu("x", "y")], [vi("x")], [vi("y", F, [7, 7])], ir=ir),
                   [r"'y'", r"declared|7"], "a graph output declared with another shape than computed")
    return c


# ---------------------------------------------------------------- tensors and shapes

def tensor_cases():
    c = []
    big = 1 << 62
    relu = helper.make_node("Relu", ["x"], ["y"], name="relu")
    c += onnx_case("negative-input-dim", "tensor",
                   lambda ir: model_bytes([relu], [vi("x", F, [2, -5])], [vi("y", F, [2, -5])], ir=ir),
                   [r"'x'", r"-5|negative"], "an input dimension of -5")
    c += onnx_case("overflowing-input-dims", "tensor",
                   lambda ir: model_bytes([relu], [vi("x", F, [big, big, 4])], [vi("y", F, [big, big, 4])], ir=ir),
                   [r"'x'", r"too large|overflow"], "input dims 2^62 x 2^62 x 4: the product overflows int64")
    c += onnx_case("huge-input", "tensor",
                   lambda ir: model_bytes([relu], [vi("x", F, [1 << 30, 1 << 30])], [vi("y", F, [1 << 30, 1 << 30])], ir=ir),
                   [r"'x'", r"too large|overflow|bytes"], "an input of 2^60 floats (4 EiB)")
    c += Case("overflowing-input-shape-flag", "tensor", "dlc",
              ["compile", "{dir}/model.onnx", "--input-shape", f"x={big}x{big}"],
              ["{dir}/model.onnx", r"'x'|x=", r"too large|overflow"],
              files={"model.onnx": model_bytes([relu], [vi("x", F, ["N", "M"])], [vi("y", F, ["N", "M"])], ir=10)},
              why="--input-shape with dims whose product overflows"),
    w_over = TensorProto(name="w", data_type=F, dims=[1 << 40, 1 << 40, 1 << 40])
    ident = helper.make_node("Identity", ["w"], ["y"], name="id")
    c += onnx_case("overflowing-initializer", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)], [w_over], ir=ir),
                   [r"initializer 'w'|'w'", r"too large|overflow"], "an initializer whose dims overflow int64")
    w_huge = TensorProto(name="w", data_type=F, dims=[1 << 20, 1 << 20])
    c += onnx_case("huge-initializer-no-data", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)], [w_huge], ir=ir),
                   [value_re("w"), r"holds 0|data|size"], "2^40 floats declared, no data")
    w_raw = TensorProto(name="w", data_type=F, dims=[4, 4], raw_data=floats(3))
    c += onnx_case("raw-data-size-mismatch", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)], [w_raw], ir=ir),
                   [r"'w'", r"12 bytes|raw_data|size"], "raw_data of 12 bytes for a 4x4 float tensor")
    w_typed = helper.make_tensor("w", F, [3], [1.0, 2.0, 3.0])
    w_typed.dims[:] = [5]
    c += onnx_case("typed-data-count-mismatch", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)], [w_typed], ir=ir),
                   [r"'w'", r"float_data holds 3|3 values|size"], "3 floats for a tensor of 5")
    w_neg = TensorProto(name="w", data_type=F, dims=[-1, 3])
    c += onnx_case("negative-initializer-dim", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)], [w_neg], ir=ir),
                   [value_re("w"), r"negative|-1"], "an initializer dim of -1")
    w_str = helper.make_tensor("w", TensorProto.STRING, [2], [b"a", b"b"])
    c += onnx_case("string-initializer", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", TensorProto.STRING, None)], [w_str], ir=ir),
                   [r"'w'", r"string", r"not supported"], "a string initializer")
    c += onnx_case("string-input", "tensor",
                   lambda ir: model_bytes([relu], [vi("x", TensorProto.STRING, [2])], [vi("y", F, [2])], ir=ir),
                   [r"'x'", r"string|not supported|type"], "a string graph input")
    c += onnx_case("complex-input", "tensor",
                   lambda ir: model_bytes([relu], [vi("x", TensorProto.COMPLEX64, [2])], [vi("y", F, [2])], ir=ir),
                   [r"'x'", r"complex64|not supported|type"], "a complex64 graph input")
    c += onnx_case("undefined-dtype", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)],
                                          [TensorProto(name="w", data_type=0, dims=[1])], ir=ir),
                   [value_re("w"), r"type"], "an initializer with data type 0")
    c += onnx_case("dtype-out-of-range", "tensor",
                   lambda ir: model_bytes([ident], [], [vi("y", F, None)],
                                          [TensorProto(name="w", data_type=1000, dims=[1])], ir=ir),
                   [value_re("w"), r"type"], "an initializer with data type 1000")
    # Shapes made by ops: the sizes come from constants, not from a declaration.
    shape = helper.make_tensor("s", I64, [3], [1 << 31, 1 << 31, 1 << 31])
    c += onnx_case("constant-of-shape-overflow", "tensor",
                   lambda ir: model_bytes([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
                                          [], [vi("y", F, None)], [shape], ir=ir),
                   [r"cos", r"too large|overflow|elements"], "ConstantOfShape of 2^93 elements")
    shape2 = helper.make_tensor("s", I64, [2], [1 << 20, 1 << 20])
    c += onnx_case("constant-of-shape-huge", "tensor",
                   lambda ir: model_bytes([helper.make_node("ConstantOfShape", ["s"], ["y"], name="cos")],
                                          [], [vi("y", F, None)], [shape2], ir=ir),
                   [r"cos", r"too large|elements|bytes"], "ConstantOfShape of 2^40 floats (4 TiB)")
    c += onnx_case("expand-overflow", "tensor",
                   lambda ir: model_bytes([helper.make_node("Expand", ["x", "s"], ["y"], name="expand")],
                                          [vi("x", F, [1, 1, 1])], [vi("y", F, None)], [shape], ir=ir),
                   [r"expand", r"too large|overflow|elements"], "Expand to 2^31 x 2^31 x 2^31")
    reps = helper.make_tensor("r", I64, [2], [1 << 40, 1 << 40])
    c += onnx_case("tile-overflow", "tensor",
                   lambda ir: model_bytes([helper.make_node("Tile", ["x", "r"], ["y"], name="tile")],
                                          [vi("x")], [vi("y", F, None)], [reps], ir=ir),
                   [r"tile", r"too large|overflow|elements"], "Tile by 2^40 x 2^40")
    rs = helper.make_tensor("s", I64, [2], [-1, -1])
    c += onnx_case("reshape-two-minus-one", "tensor",
                   lambda ir: model_bytes([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
                                          [vi("x")], [vi("y", F, None)], [rs], ir=ir),
                   [r"reshape", r"-1"], "Reshape with two -1 dimensions")
    rs2 = helper.make_tensor("s", I64, [2], [5, 7])
    c += onnx_case("reshape-count-mismatch", "tensor",
                   lambda ir: model_bytes([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
                                          [vi("x")], [vi("y", F, None)], [rs2], ir=ir),
                   [r"reshape", r"6|35|elements"], "Reshape of 6 elements to 5x7")
    rs3 = helper.make_tensor("s", I64, [3], [0, 1 << 62, 8])
    c += onnx_case("reshape-overflow", "tensor",
                   lambda ir: model_bytes([helper.make_node("Reshape", ["x", "s"], ["y"], name="reshape")],
                                          [vi("x")], [vi("y", F, None)], [rs3], ir=ir),
                   [r"reshape", r"elements|too large|overflow"], "Reshape to [0, 2^62, 8] (product overflows)")
    rng = helper.make_tensor("lim", F, [], [1e30])
    zero = helper.make_tensor("z", F, [], [0.0])
    one = helper.make_tensor("one", F, [], [1.0])
    c += onnx_case("range-huge", "tensor",
                   lambda ir: model_bytes([helper.make_node("Range", ["z", "lim", "one"], ["y"], name="range")],
                                          [], [vi("y", F, None)], [zero, rng, one], ir=ir),
                   [r"range", r"too large|elements|count"], "Range(0, 1e30, 1)")
    return c


# ---------------------------------------------------------------- attributes

def attribute_cases():
    c = []
    x4 = vi("x", F, [1, 3, 8, 8])
    w = helper.make_tensor("w", F, [4, 3, 3, 3], [0.0] * 108)

    def conv(ir, **attrs):
        return model_bytes([helper.make_node("Conv", ["x", "w"], ["y"], name="conv", **attrs)],
                           [x4], [vi("y", F, None)], [w], ir=ir)

    c += onnx_case("conv-zero-stride", "attribute", lambda ir: conv(ir, strides=[0, 0]),
                   [node_re("conv", "Conv"), r"stride"], "Conv with strides 0")
    c += onnx_case("conv-negative-stride", "attribute", lambda ir: conv(ir, strides=[-1, 1]),
                   [node_re("conv", "Conv"), r"stride"], "Conv with stride -1")
    c += onnx_case("conv-zero-dilation", "attribute", lambda ir: conv(ir, dilations=[0, 1]),
                   [node_re("conv", "Conv"), r"dilation"], "Conv with dilation 0")
    c += onnx_case("conv-negative-pads", "attribute", lambda ir: conv(ir, pads=[-9, -9, -9, -9]),
                   [node_re("conv", "Conv"), r"pad|empty|larger|size"], "Conv whose negative pads leave no input")
    c += onnx_case("conv-huge-pads", "attribute", lambda ir: conv(ir, pads=[1 << 62] * 4),
                   [node_re("conv", "Conv"), r"overflow"], "Conv with pads of 2^62")
    c += onnx_case("conv-huge-dilation", "attribute", lambda ir: conv(ir, dilations=[1 << 62, 1]),
                   [node_re("conv", "Conv"), r"overflow"], "Conv with a dilation of 2^62")
    c += onnx_case("conv-kernel-larger-than-input", "attribute",
                   lambda ir: model_bytes([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                                          [vi("x", F, [1, 3, 2, 2])], [vi("y", F, None)], [w], ir=ir),
                   [node_re("conv", "Conv"), r"larger|kernel|empty|size"], "a 3x3 kernel on a 2x2 input")
    c += onnx_case("conv-channel-mismatch", "attribute",
                   lambda ir: model_bytes([helper.make_node("Conv", ["x", "w"], ["y"], name="conv")],
                                          [vi("x", F, [1, 5, 8, 8])], [vi("y", F, None)], [w], ir=ir),
                   [node_re("conv", "Conv"), r"channel|5|3"], "Conv: 5 input channels, weight for 3")
    c += onnx_case("conv-group-zero", "attribute", lambda ir: conv(ir, group=0),
                   [node_re("conv", "Conv"), r"group"], "Conv with group 0")
    c += onnx_case("conv-wrong-kernel-shape", "attribute", lambda ir: conv(ir, kernel_shape=[5, 5]),
                   [node_re("conv", "Conv"), r"kernel"], "Conv whose kernel_shape disagrees with the weight")
    c += onnx_case("conv-pads-wrong-length", "attribute", lambda ir: conv(ir, pads=[1, 1, 1]),
                   [node_re("conv", "Conv"), r"pads"], "Conv with 3 pads for 2 spatial dims")

    def pool(ir, op="MaxPool", **attrs):
        return model_bytes([helper.make_node(op, ["x"], ["y"], name="pool", **attrs)],
                           [x4], [vi("y", F, None)], ir=ir)

    c += onnx_case("maxpool-zero-kernel", "attribute", lambda ir: pool(ir, kernel_shape=[0, 0]),
                   [node_re("pool", "MaxPool"), r"kernel"], "MaxPool with a 0x0 kernel")
    c += onnx_case("maxpool-zero-stride", "attribute", lambda ir: pool(ir, kernel_shape=[2, 2], strides=[0, 0]),
                   [node_re("pool", "MaxPool"), r"stride"], "MaxPool with strides 0")
    c += onnx_case("maxpool-kernel-too-large", "attribute", lambda ir: pool(ir, kernel_shape=[9, 9]),
                   [node_re("pool", "MaxPool"), r"larger|kernel|empty|size"], "a 9x9 window on an 8x8 input")
    c += onnx_case("averagepool-huge-kernel", "attribute",
                   lambda ir: pool(ir, "AveragePool", kernel_shape=[1 << 62, 1 << 62]),
                   [node_re("pool", "AveragePool"), r"kernel|larger|too large"], "AveragePool with a 2^62 window")
    c += onnx_case("maxpool-no-kernel", "attribute", lambda ir: pool(ir),
                   [node_re("pool", "MaxPool"), r"kernel_shape"], "MaxPool without its required kernel_shape")
    c += onnx_case("attribute-wrong-type", "attribute",
                   lambda ir: model_bytes([helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=1.5)],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("tr", "Transpose"), r"perm"], "Transpose with a float perm")
    c += onnx_case("attribute-string-for-int", "attribute",
                   lambda ir: model_bytes([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis="zero")],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("cat", "Concat"), r"axis"], "Concat with a string axis")
    c += onnx_case("transpose-bad-perm", "attribute",
                   lambda ir: model_bytes([helper.make_node("Transpose", ["x"], ["y"], name="tr", perm=[0, 7])],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("tr", "Transpose"), r"perm"], "Transpose with perm [0, 7] for rank 2")
    c += onnx_case("concat-axis-out-of-range", "attribute",
                   lambda ir: model_bytes([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=5)],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("cat", "Concat"), r"axis"], "Concat on axis 5 of rank-2 inputs")
    c += onnx_case("concat-huge-axis", "attribute",
                   lambda ir: model_bytes([helper.make_node("Concat", ["x", "x"], ["y"], name="cat", axis=-(1 << 62))],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("cat", "Concat"), r"axis"], "Concat on axis -2^62")
    c += onnx_case("concat-shape-mismatch", "attribute",
                   lambda ir: model_bytes([helper.make_node("Concat", ["x", "z"], ["y"], name="cat", axis=0)],
                                          [vi("x"), vi("z", F, [2, 4])], [vi("y", F, None)], ir=ir),
                   [node_re("cat", "Concat"), r"3|4|dimension|shape"], "Concat of 2x3 and 2x4 on axis 0")
    c += onnx_case("matmul-mismatch", "attribute",
                   lambda ir: model_bytes([helper.make_node("MatMul", ["x", "z"], ["y"], name="mm")],
                                          [vi("x"), vi("z", F, [4, 5])], [vi("y", F, None)], ir=ir),
                   [node_re("mm", "MatMul"), r"3|4|contract|dimension|shape"], "MatMul of 2x3 by 4x5")
    c += onnx_case("add-not-broadcastable", "attribute",
                   lambda ir: model_bytes([helper.make_node("Add", ["x", "z"], ["y"], name="add")],
                                          [vi("x"), vi("z", F, [4])], [vi("y", F, None)], ir=ir),
                   [node_re("add", "Add"), r"broadcast|3|4"], "Add of 2x3 and 4")
    c += onnx_case("add-dtype-mismatch", "attribute",
                   lambda ir: model_bytes([helper.make_node("Add", ["x", "z"], ["y"], name="add")],
                                          [vi("x"), vi("z", I64)], [vi("y", F, None)], ir=ir),
                   [node_re("add", "Add"), r"type|f32|i64|float|int64"], "Add of float and int64")
    c += onnx_case("gather-axis-out-of-range", "attribute",
                   lambda ir: model_bytes([helper.make_node("Gather", ["x", "i"], ["y"], name="gather", axis=3)],
                                          [vi("x")], [vi("y", F, None)], [helper.make_tensor("i", I64, [1], [0])], ir=ir),
                   [node_re("gather", "Gather"), r"axis"], "Gather on axis 3 of a rank-2 input")
    # ONNX leaves out-of-range indices to run time: dlc run refuses them there.
    c.append(Case("gather-index-out-of-range", "attribute", "dlc",
                  ["run", "{dir}/model.onnx", "--input-dir", "{dir}/in", "--output-dir", "{dir}/out"],
                  ["{dir}/model.onnx", r"gather", r"index|range|bounds"],
                  files={"model.onnx": model_bytes(
                      [helper.make_node("Gather", ["x", "i"], ["y"], name="gather", axis=0)],
                      [vi("x")], [vi("y", F, None)], [helper.make_tensor("i", I64, [1], [1 << 40])], ir=10),
                      "in/input_0.pb": tensor_bytes([2, 3], raw=floats(6))},
                  why="Gather with an index of 2^40, run"))
    c += onnx_case("slice-zero-step", "attribute",
                   lambda ir: model_bytes([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"], name="slice")],
                                          [vi("x")], [vi("y", F, None)],
                                          [helper.make_tensor("s", I64, [1], [0]), helper.make_tensor("e", I64, [1], [2]),
                                           helper.make_tensor("a", I64, [1], [0]), helper.make_tensor("st", I64, [1], [0])],
                                          ir=ir),
                   [node_re("slice", "Slice"), r"step"], "Slice with step 0")
    c += onnx_case("slice-extreme-values", "attribute",
                   lambda ir: model_bytes([helper.make_node("Slice", ["x", "s", "e", "a", "st"], ["y"], name="slice")],
                                          [vi("x")], [vi("y", F, None)],
                                          [helper.make_tensor("s", I64, [1], [-(1 << 63)]),
                                           helper.make_tensor("e", I64, [1], [(1 << 63) - 1]),
                                           helper.make_tensor("a", I64, [1], [-(1 << 63)]),
                                           helper.make_tensor("st", I64, [1], [-(1 << 63)])], ir=ir),
                   [node_re("slice", "Slice"), r"axes|axis|step"], "Slice with INT64_MIN axis and step")
    c += onnx_case("split-sizes-mismatch", "attribute",
                   lambda ir: model_bytes([helper.make_node("Split", ["x", "sp"], ["a", "b"], name="split", axis=1)],
                                          [vi("x")], [vi("a", F, None)], [helper.make_tensor("sp", I64, [2], [2, 2])], ir=ir),
                   [node_re("split", "Split"), r"split|sum|3|4"], "Split of 3 into 2+2")
    c += onnx_case("split-negative-size", "attribute",
                   lambda ir: model_bytes([helper.make_node("Split", ["x", "sp"], ["a", "b"], name="split", axis=1)],
                                          [vi("x")], [vi("a", F, None)], [helper.make_tensor("sp", I64, [2], [5, -2])], ir=ir),
                   [node_re("split", "Split"), r"split|negative|-2"], "Split of 3 into 5 and -2")
    c += onnx_case("reduce-axis-out-of-range", "attribute",
                   lambda ir: model_bytes([helper.make_node("ReduceSum", ["x", "ax"], ["y"], name="rs")],
                                          [vi("x")], [vi("y", F, None)], [helper.make_tensor("ax", I64, [1], [9])], ir=ir),
                   [node_re("rs", "ReduceSum"), r"axis|axes|9"], "ReduceSum over axis 9 of a rank-2 input")
    c += onnx_case("softmax-axis-out-of-range", "attribute",
                   lambda ir: model_bytes([helper.make_node("Softmax", ["x"], ["y"], name="sm", axis=-9)],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("sm", "Softmax"), r"axis"], "Softmax on axis -9")
    c += onnx_case("pad-huge", "attribute",
                   lambda ir: model_bytes([helper.make_node("Pad", ["x", "p"], ["y"], name="pad")],
                                          [vi("x")], [vi("y", F, None)],
                                          [helper.make_tensor("p", I64, [4], [1 << 62, 0, 1 << 62, 0])], ir=ir),
                   [node_re("pad", "Pad"), r"overflow"], "Pad by 2^62 on both sides")
    c += onnx_case("pad-negative-below-zero", "attribute",
                   lambda ir: model_bytes([helper.make_node("Pad", ["x", "p"], ["y"], name="pad")],
                                          [vi("x")], [vi("y", F, None)],
                                          [helper.make_tensor("p", I64, [4], [-5, 0, 0, 0])], ir=ir),
                   [node_re("pad", "Pad"), r"pad|negative|size"], "Pad that removes more rows than exist")
    c += onnx_case("topk-k-too-large", "attribute",
                   lambda ir: model_bytes([helper.make_node("TopK", ["x", "k"], ["v", "i"], name="topk")],
                                          [vi("x")], [vi("v", F, None)], [helper.make_tensor("k", I64, [1], [1 << 40])], ir=ir),
                   [node_re("topk", "TopK"), r"k|larger"], "TopK with k = 2^40 on 3 elements")
    c += onnx_case("cast-to-string", "attribute",
                   lambda ir: model_bytes([helper.make_node("Cast", ["x"], ["y"], name="cast", to=TensorProto.STRING)],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("cast", "Cast"), r"string|not supported|type"], "Cast to string")
    c += onnx_case("cast-to-garbage", "attribute",
                   lambda ir: model_bytes([helper.make_node("Cast", ["x"], ["y"], name="cast", to=12345)],
                                          [vi("x")], [vi("y", F, None)], ir=ir),
                   [node_re("cast", "Cast"), r"type|not supported|12345"], "Cast to data type 12345")
    c += onnx_case("depth-to-space-zero-block", "attribute",
                   lambda ir: model_bytes([helper.make_node("DepthToSpace", ["x"], ["y"], name="d2s", blocksize=0)],
                                          [x4], [vi("y", F, None)], ir=ir),
                   [node_re("d2s", "DepthToSpace"), r"block"], "DepthToSpace with blocksize 0")
    c += onnx_case("onehot-huge-depth", "attribute",
                   lambda ir: model_bytes([helper.make_node("OneHot", ["i", "d", "v"], ["y"], name="onehot")],
                                          [vi("i", I64, [4])], [vi("y", F, None)],
                                          [helper.make_tensor("d", I64, [], [1 << 62]),
                                           helper.make_tensor("v", F, [2], [0.0, 1.0])], ir=ir),
                   [node_re("onehot", "OneHot"), r"depth|too large|elements|overflow"], "OneHot with depth 2^62")
    # Found by onnx_loader_fuzzer: a reflect pad of 2^57 built its index
    # table (2^60 bytes) before any size check.
    c += onnx_case("pad-reflect-huge", "attribute",
                   lambda ir: model_bytes([helper.make_node("Pad", ["x", "p"], ["y"], name="pad", mode="reflect")],
                                          [vi("x")], [vi("y", F, None)],
                                          [helper.make_tensor("p", I64, [4], [0, 2, 255, (1 << 57) - 1])], ir=ir),
                   [node_re("pad", "Pad"), r"larger than|overflow"], "Pad in reflect mode by 2^57")
    # Found by onnx_loader_fuzzer: a scale of 3e20 made floor(scale * size)
    # a double past int64 (undefined conversion).
    c += onnx_case("upsample-huge-scale", "attribute",
                   lambda ir: model_bytes([helper.make_node("Constant", [], ["s"], name="scales",
                                                            value=helper.make_tensor("v", F, [4], [1, 1, 3e20, 2])),
                                           helper.make_node("Upsample", ["x", "s"], ["y"], name="up")],
                                          [vi("x", F, [1, 1, 2, 2])], [vi("y", F, None)], opset=9, ir=ir),
                   [node_re("up", "Upsample"), r"scale|too large"], "Upsample by a scale of 3e20")
    # Found by onnx_loader_fuzzer: libonnx 1.12's shape inference SEGVs on it.
    c += onnx_case("stft-scalar-signal", "attribute",
                   lambda ir: model_bytes([helper.make_node("Constant", [], ["step"], name="step",
                                                            value=helper.make_tensor("v", I64, [], [3])),
                                           helper.make_node("STFT", ["step", "w"], ["y"], name="stft")],
                                          [vi("w", F, [4])], [vi("y", F, None)], ir=ir),
                   [node_re("stft", "STFT"), r"signal"], "STFT of a scalar int64 signal")
    return c


# ---------------------------------------------------------------- external data

def external_cases():
    c = []

    def ext_model(location, offset=None, length=None, dims=(2, 3)):
        t = TensorProto(name="w", data_type=F, dims=list(dims))
        t.data_location = TensorProto.EXTERNAL
        for k, v in (("location", location), ("offset", offset), ("length", length)):
            if v is not None:
                e = t.external_data.add()
                e.key, e.value = k, str(v)
        return model_bytes([helper.make_node("Identity", ["w"], ["y"], name="id")], [], [vi("y", F, None)],
                           [t], ir=10)

    def case(name, model, expect, why, files=None, **kw):
        f = {"m/model.onnx": model}
        f.update(files or {})
        return Case(name, "external", "dlc", ["compile", "{dir}/m/model.onnx"],
                    ["{dir}/m/model.onnx", r"initializer 'w'"] + expect, files=f, why=why, **kw)

    data = floats(6)
    secret = {"secret.bin": data}
    c.append(case("ext-dotdot", ext_model("../secret.bin"), [r"\.\.|leaves"], "location '../secret.bin'",
                  files=secret))
    c.append(case("ext-dotdot-inner", ext_model("sub/../../secret.bin"), [r"leaves|outside"],
                  "location 'sub/../../secret.bin'", files=secret, dirs=["m/sub"]))
    c.append(case("ext-absolute", ext_model("/etc/passwd"), [r"absolute"], "location '/etc/passwd'"))
    c.append(case("ext-symlink-out", ext_model("link.bin"), [r"outside|leaves"],
                  "a symlink in the model folder to a file outside it", files=secret,
                  symlinks={"m/link.bin": "../secret.bin"}))
    c.append(case("ext-symlink-dir-out", ext_model("d/secret.bin"), [r"outside|leaves"],
                  "a symlinked folder that leaves the model folder", files=secret,
                  symlinks={"m/d": ".."}))
    c.append(case("ext-symlink-absolute", ext_model("passwd"), [r"outside|leaves"],
                  "a symlink to /etc/passwd", symlinks={"m/passwd": "/etc/passwd"}))
    c.append(case("ext-missing-file", ext_model("nope.bin"), [r"nope\.bin"], "a location that does not exist"))
    c.append(case("ext-no-location", ext_model(None), [r"location"], "external data without a location"))
    c.append(case("ext-offset-past-end", ext_model("w.bin", offset=1000), [r"outside|lies"],
                  "offset 1000 in a 24-byte file", files={"m/w.bin": data}))
    c.append(case("ext-length-past-end", ext_model("w.bin", offset=8, length=24), [r"outside|lies"],
                  "offset 8 + length 24 in a 24-byte file", files={"m/w.bin": data}))
    c.append(case("ext-negative-offset", ext_model("w.bin", offset=-8), [r"outside|lies|negative"],
                  "offset -8", files={"m/w.bin": data}))
    c.append(case("ext-huge-length", ext_model("w.bin", offset=0, length=(1 << 63) - 1), [r"outside|lies"],
                  "length 2^63-1", files={"m/w.bin": data}))
    c.append(case("ext-offset-overflow", ext_model("w.bin", offset=(1 << 63) - 1, length=(1 << 63) - 1),
                  [r"outside|lies"], "offset and length 2^63-1 (their sum overflows)", files={"m/w.bin": data}))
    c.append(case("ext-offset-not-number", ext_model("w.bin", offset="12abc"), [r"offset '12abc' is not a number"],
                  "offset '12abc'", files={"m/w.bin": data}))
    c.append(case("ext-offset-too-big-number", ext_model("w.bin", offset="99999999999999999999999"),
                  [r"offset|number"], "an offset past int64", files={"m/w.bin": data}))
    c.append(case("ext-length-mismatch", ext_model("w.bin", length=12), [r"12|bytes"],
                  "12 bytes for a 24-byte tensor", files={"m/w.bin": data}))
    c.append(case("ext-directory", ext_model("sub"), [r"sub", r"not a (regular )?file|directory|cannot"],
                  "a location that is a folder", dirs=["m/sub"]))
    c.append(case("ext-fifo", ext_model("pipe"), [r"pipe", r"not a (regular )?file|cannot"],
                  "a location that is a named pipe (must not block)", fifos=["m/pipe"]))
    c.append(case("ext-huge-dims", ext_model("w.bin", dims=(1 << 40, 1 << 40)), [r"outside|lies|too large"],
                  "2^80 floats declared over a 24-byte file", files={"m/w.bin": data}))
    c.append(case("ext-empty-location", ext_model(""), [r"location"], "an empty location"))
    c.append(case("ext-nul-in-location", ext_model("w.bin\0../../etc/passwd"), [r"location|cannot|outside|leaves"],
                  "a location with a NUL byte", files={"m/w.bin": data}))
    return c


# ---------------------------------------------------------------- DSL

def dsl_case(name, source, expect, why, files=None, **kw):
    f = {"m/model.dlc": source if isinstance(source, bytes) else source.encode()}
    f.update(files or {})
    return Case(name, "dsl", "dlc", ["compile", "{dir}/m/model.dlc"], ["{dir}/m/model.dlc"] + expect,
                files=f, why=why, **kw)


def dsl_cases():
    rng = random.Random(3)
    ok = "input x: f32[2, 3]\noutput y = relu(x)\n"
    c = [
        dsl_case("dsl-empty", "", [r"output|empty|no"], "an empty file"),
        dsl_case("dsl-random-bytes", bytes(rng.randrange(256) for _ in range(2048)), [r"error"],
                 "2 KiB of random bytes"),
        dsl_case("dsl-nul-bytes", ok.replace("relu", "re\0lu"), [r":2:", r"error"], "a NUL byte in a name"),
        dsl_case("dsl-invalid-utf8", "input x: f32[2, 3]\noutput y = \xff\xfe(x)\n".encode("latin-1"), [r":2:", r"error"],
                 "bytes that are not UTF-8"),
        dsl_case("dsl-deep-parens", "input x: f32[2]\noutput y = " + "(" * 100000 + "x" + ")" * 100000 + "\n",
                 [r"nested too deeply|deep"], "100000 nested parentheses"),
        dsl_case("dsl-deep-unary", "input x: f32[2]\noutput y = " + "-" * 100000 + "x\n",
                 [r"nested too deeply|deep"], "100000 nested unary minus"),
        dsl_case("dsl-long-chain", "input x: f32[2]\noutput y = x" + " + x" * 200000 + "\n",
                 [r"deep|too many|limit|nodes"], "an expression of 200000 additions"),
        dsl_case("dsl-huge-number", "input x: f32[2]\noutput y = x * " + "9" * 5000 + "\n",
                 [r":2:", r"number|range|large"], "a 5000-digit number"),
        dsl_case("dsl-huge-param", "input x: f32[4]\nparam w: f32[1000000, 1000000] = zeros\noutput y = x\n",
                 [r":2:", r"large|limit|elements"], "a parameter of 10^12 floats"),
        dsl_case("dsl-overflow-dims", "input x: f32[9223372036854775807, 9223372036854775807]\noutput y = x\n",
                 [r":1:", r"large|overflow|limit"], "input dims whose product overflows"),
        dsl_case("dsl-negative-dim", "input x: f32[-3]\noutput y = x\n", [r":1:", r"error"],
                 "a negative input dim"),
        dsl_case("dsl-unterminated-string", 'input x: f32[2]\nparam w: f32[2] = load("w.pb\noutput y = x\n',
                 [r":2:", r"error"], "an unterminated string"),
        dsl_case("dsl-recursion", "input x: f32[2]\nfn f(a) {\n  return f(a)\n}\noutput y = f(x)\n",
                 [r"recurs|deep|nest"], "a function that calls itself"),
        dsl_case("dsl-load-dotdot", 'input x: f32[2]\nparam w: f32[2] = load("../w.pb")\noutput y = x * w\n',
                 [r":2:", r"\.\.|leaves|outside"], "load('../w.pb')", files={"w.pb": tensor_bytes([2], raw=floats(2))}),
        dsl_case("dsl-load-absolute", 'input x: f32[2]\nparam w: f32[2] = load("/etc/passwd")\noutput y = x * w\n',
                 [r":2:", r"absolute|outside|leaves"], "load('/etc/passwd')"),
        dsl_case("dsl-load-symlink-out", 'input x: f32[2]\nparam w: f32[2] = load("link.pb")\noutput y = x * w\n',
                 [r":2:", r"outside|leaves"], "load() of a symlink that leaves the folder",
                 files={"w.pb": tensor_bytes([2], raw=floats(2))}, symlinks={"m/link.pb": "../w.pb"}),
        dsl_case("dsl-load-fifo", 'input x: f32[2]\nparam w: f32[2] = load("pipe")\noutput y = x * w\n',
                 [r":2:", r"pipe"], "load() of a named pipe (must not block)", fifos=["m/pipe"]),
        dsl_case("dsl-load-directory", 'input x: f32[2]\nparam w: f32[2] = load("sub")\noutput y = x * w\n',
                 [r":2:", r"sub"], "load() of a folder", dirs=["m/sub"]),
        dsl_case("dsl-load-huge-tensor", 'input x: f32[2]\nparam w: f32[2] = load("w.pb")\noutput y = x * w\n',
                 [r":2:", r"w\.pb", r"too large|overflow"], "load() of a tensor file whose dims overflow",
                 files={"m/w.pb": tensor_bytes([1 << 62, 1 << 62, 4])}),
        dsl_case("dsl-shape-mismatch", "input x: f32[2, 3]\ninput z: f32[4, 5]\noutput y = x @ z\n",
                 [r":3:", r"3|4|contract|shape"], "a matmul of 2x3 by 4x5"),
        # Attributes and shapes that the ONNX importer refuses, reached
        # through the DSL: the message points at the DSL line.
        dsl_case("dsl-conv-zero-stride", "input x: f32[1, 1, 8, 8]\nparam w: f32[2, 1, 3, 3] = zeros\n"
                 "output y = conv2d(x, w, strides=[0, 0])\n", [r":3:", r"stride"], "conv2d with strides 0"),
        dsl_case("dsl-conv-kernel-too-large", "input x: f32[1, 1, 4, 4]\nparam w: f32[2, 1, 9, 9] = zeros\n"
                 "output y = conv2d(x, w)\n", [r":3:", r"kernel|larger|size"], "a 9x9 kernel over a 4x4 input"),
        dsl_case("dsl-conv-channels", "input x: f32[1, 3, 8, 8]\nparam w: f32[2, 1, 3, 3] = zeros\n"
                 "output y = conv2d(x, w)\n", [r":3:", r"channel|group|3|1"], "3 input channels, a 1-channel kernel"),
        dsl_case("dsl-max-pool-zero-kernel", "input x: f32[1, 1, 8, 8]\noutput y = max_pool(x, kernel=[0, 0])\n",
                 [r":2:", r"kernel|window"], "max_pool with a 0x0 kernel"),
        dsl_case("dsl-reshape-count", "input x: f32[2, 3]\noutput y = reshape(x, [4, 2])\n",
                 [r":2:", r"6|8|element|reshape"], "reshape of 6 elements to 4x2"),
        dsl_case("dsl-reshape-overflow", "input x: f32[2, 3]\noutput y = reshape(x, [4611686018427387904, 8, -1])\n",
                 [r":2:", r"overflow|too large|element|reshape"], "reshape to [2^62, 8, -1]"),
        dsl_case("dsl-concat-mismatch", "input x: f32[2, 3]\ninput z: f32[4, 5]\noutput y = concat(x, z, axis=0)\n",
                 [r":3:", r"3|5|shape|concat"], "concat of 2x3 and 4x5 on axis 0"),
        dsl_case("dsl-transpose-perm", "input x: f32[2, 3]\noutput y = transpose(x, perm=[0, 5])\n",
                 [r":2:", r"perm"], "transpose with a perm out of range"),
        dsl_case("dsl-softmax-axis", "input x: f32[2, 3]\noutput y = softmax(x, axis=9)\n",
                 [r":2:", r"axis"], "softmax on axis 9 of a rank-2 tensor"),
        dsl_case("dsl-no-output", "input x: f32[2, 3]\nlet y = relu(x)\n",
                 [r"output"], "a model with no output"),
        dsl_case("dsl-long-line", "input x: f32[2]\noutput y = " + "a" * 1000000 + "\n",
                 [r":2:", r"unknown|undefined|not defined"], "a 1 MB identifier"),
    ]
    return c


# ---------------------------------------------------------------- IR text

def ir_case(name, text, expect, why, tool="dlc-opt", passes=("--dlc-pipeline",)):
    f = {"x.mlir": text.encode() if isinstance(text, str) else text}
    if tool == "dlc-opt":
        args = ["{dir}/x.mlir", *passes]
    else:
        args = ["compile", "{dir}/x.mlir"]
    return Case(name, "ir", tool, args, ["x.mlir"] + expect, files=f, why=why)


def ir_cases():
    rng = random.Random(5)
    good = ("func.func @main(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {\n"
            "  %0 = dlc.exp %x : tensor<2x3xf32>\n  return %0 : tensor<2x3xf32>\n}\n")
    big = 1 << 62
    over = (f"func.func @main(%x: tensor<{big}x{big}xf32>) -> tensor<{big}x{big}xf32> {{\n"
            f"  %0 = dlc.exp %x : tensor<{big}x{big}xf32>\n  return %0 : tensor<{big}x{big}xf32>\n}}\n")
    huge = ("func.func @main(%x: tensor<1073741824x1073741824xf32>) -> tensor<1073741824x1073741824xf32> {\n"
            "  %0 = dlc.exp %x : tensor<1073741824x1073741824xf32>\n"
            "  return %0 : tensor<1073741824x1073741824xf32>\n}\n")
    c = []
    # (An empty file is a valid empty module for dlc-opt; dlc needs @main.)
    c.append(ir_case("ir-empty-module-dlc", "", [r"no func\.func @main"], "an empty file", tool="dlc"))
    for tool in ("dlc-opt", "dlc"):
        t = "" if tool == "dlc-opt" else "-dlc"
        c += [
            ir_case("ir-random-bytes" + t, bytes(rng.randrange(256) for _ in range(1024)), [r"error"],
                    "1 KiB of random bytes", tool=tool),
            ir_case("ir-truncated" + t, good[: len(good) // 2], [r"error"], "a function cut in half", tool=tool),
            ir_case("ir-unknown-op" + t, good.replace("dlc.exp", "dlc.frobnicate"), [r"frobnicate"],
                    "an op the dialect does not have", tool=tool),
            ir_case("ir-verifier" + t, good.replace("%0 = dlc.exp %x : tensor<2x3xf32>",
                                                     "%0 = dlc.transpose %x, perm = [0, 0] : tensor<2x3xf32> -> tensor<2x3xf32>"),
                    [r"perm|permutation"], "a transpose that fails its verifier", tool=tool),
            ir_case("ir-overflowing-dims" + t, over, [r"too large|overflow|elements"],
                    "tensor<2^62 x 2^62 x f32>: the element count overflows int64", tool=tool),
            ir_case("ir-huge-tensor" + t, huge, [r"too large|bytes|elements"],
                    "a tensor of 2^60 floats through the whole pipeline", tool=tool),
            ir_case("ir-dynamic-dims" + t, good.replace("2x3", "?x3"), [r"static|dynamic|\?"],
                    "a dynamic dimension", tool=tool),
            ir_case("ir-deep-nesting" + t, "func.func @main() {\n" + "\"test.r\"() ({\n" * 3000 + "}) : () -> ()\n" * 3000 + "return\n}\n",
                    [r"error"], "3000 nested regions", tool=tool),
        ]
    c += [
            ir_case("ir-huge-constant-splat-dlc",
                    "func.func @main() -> tensor<1073741824x1073741824xf32> {\n"
                    "  %0 = dlc.constant dense<1.0> : tensor<1073741824x1073741824xf32>\n"
                    "  return %0 : tensor<1073741824x1073741824xf32>\n}\n",
                    [r"too large|bytes|elements"], "a splat constant of 2^60 floats (dlc-opt keeps it a splat)",
                    tool="dlc"),
        ]
    return c


# ---------------------------------------------------------------- input tensor files

def input_cases():
    c = []
    model = relu_model(ir=10)

    def case(name, inputs, expect, why, **kw):
        files = {"model.onnx": model}
        files.update({f"in/{k}": v for k, v in inputs.items()})
        return Case(name, "input", "dlc",
                    ["run", "{dir}/model.onnx", "--device", "host", "--input-dir", "{dir}/in", "--output-dir", "{dir}/out"],
                    expect, files=files, why=why, **kw)

    rng = random.Random(9)
    good = tensor_bytes([2, 3], raw=floats(6))
    c += [
        case("input-empty-file", {"input_0.pb": b""}, [r"input_0\.pb", r"type|not"], "an empty input_0.pb"),
        case("input-random-bytes", {"input_0.pb": bytes(rng.randrange(256) for _ in range(512))},
             [r"input_0\.pb"], "512 random bytes"),
        case("input-truncated", {"input_0.pb": good[:-5]}, [r"input_0\.pb"], "a tensor file cut short"),
        case("input-overflowing-dims", {"input_0.pb": tensor_bytes([1 << 62, 1 << 62, 4])},
             [r"input_0\.pb", r"too large|overflow"], "dims whose product overflows"),
        case("input-huge-no-data", {"input_0.pb": tensor_bytes([1 << 20, 1 << 20])},
             [r"input_0\.pb", r"holds 0|data"], "2^40 floats declared, no data"),
        case("input-negative-dim", {"input_0.pb": tensor_bytes([-2, 3], raw=floats(6))},
             [r"input_0\.pb", r"negative"], "a dim of -2"),
        case("input-raw-size-mismatch", {"input_0.pb": tensor_bytes([2, 3], raw=floats(5))},
             [r"input_0\.pb", r"raw_data|bytes"], "20 bytes for 6 floats"),
        case("input-string", {"input_0.pb": helper.make_tensor("t", TensorProto.STRING, [1], [b"x"]).SerializeToString()},
             [r"input_0\.pb", r"string"], "a string tensor"),
        case("input-wrong-dtype", {"input_0.pb": tensor_bytes([2, 3], I64, raw=b"\0" * 48)},
             [r"input 0|'x'", r"f32|i64|float|int64"], "int64 where the model takes float"),
        case("input-wrong-shape", {"input_0.pb": tensor_bytes([3, 2], raw=floats(6))},
             [r"input 0|'x'", r"2x3|3x2|\[2, 3\]|\[3, 2\]"], "3x2 where the model takes 2x3"),
        case("input-missing", {"other.pb": good}, [r"input_0\.pb", r"missing"], "no input_0.pb"),
        case("input-too-many", {"input_0.pb": good, "input_1.pb": good}, [r"input_1\.pb", r"only 1"],
             "two inputs for a model of one"),
        case("input-directory", {"input_0.pb/x": good}, [r"input_0\.pb", r"not a (regular )?file|directory|cannot"],
             "input_0.pb is a folder"),
        case("input-fifo", {}, [r"input_0\.pb", r"not a (regular )?file|cannot"],
             "input_0.pb is a named pipe (must not block)", fifos=["in/input_0.pb"]),
        case("input-external-dotdot", {"input_0.pb": _external_tensor("../secret.bin")},
             [r"input_0\.pb", r"\.\.|leaves"], "a tensor file with external data in '../'",
             ),
        case("input-external-absolute", {"input_0.pb": _external_tensor("/etc/passwd")},
             [r"input_0\.pb", r"absolute"], "a tensor file with external data at an absolute path"),
    ]
    c.append(Case("input-dir-missing", "input", "dlc",
                  ["run", "{dir}/model.onnx", "--input-dir", "{dir}/nope", "--output-dir", "{dir}/out"],
                  [r"nope", r"not a directory"], files={"model.onnx": model}, why="--input-dir that does not exist"))
    c.append(Case("output-dir-is-file", "input", "dlc",
                  ["run", "{dir}/model.onnx", "--input-dir", "{dir}/in", "--output-dir", "{dir}/out"],
                  [r"out"], files={"model.onnx": model, "in/input_0.pb": good, "out": b"a file"},
                  why="--output-dir is a file"))
    return c


# ---------------------------------------------------------------- executables

_M64 = (1 << 64) - 1
_P1, _P2, _P3 = 0x9E3779B185EBCA87, 0xC2B2AE3D27D4EB4F, 0x165667B19E3779F9
_P4, _P5 = 0x85EBCA77C2B2AE63, 0x27D4EB2F165667C5


def _rotl(x, r):
    return ((x << r) | (x >> (64 - r))) & _M64


def _lane(acc, word):
    return (_rotl((acc + word * _P2) & _M64, 31) * _P1) & _M64


def checksum64(data, seed=0):
    """runtime/Checksum.cpp's checksum64, to write files whose damage the
    reader sees past the checksum."""
    n, p = len(data), 0
    word = lambda i: int.from_bytes(data[i:i + 8], "little")
    if n >= 32:
        a, b, c, d = (seed + _P1 + _P2) & _M64, (seed + _P2) & _M64, seed, (seed - _P1) & _M64
        while n - p >= 32:
            a, b, c, d = _lane(a, word(p)), _lane(b, word(p + 8)), _lane(c, word(p + 16)), _lane(d, word(p + 24))
            p += 32
        h = (_rotl(a, 1) + _rotl(b, 7) + _rotl(c, 12) + _rotl(d, 18)) & _M64
        for acc in (a, b, c, d):
            h = ((h ^ _lane(0, acc)) * _P1 + _P4) & _M64
    else:
        h = (seed + _P5) & _M64
    h = (h + n) & _M64
    while n - p >= 8:
        h = (_rotl(h ^ _lane(0, word(p)), 27) * _P1 + _P4) & _M64
        p += 8
    while p < n:
        h = (_rotl(h ^ ((data[p] * _P5) & _M64), 11) * _P1) & _M64
        p += 1
    h ^= h >> 33
    h = (h * _P2) & _M64
    h ^= h >> 29
    h = (h * _P3) & _M64
    h ^= h >> 32
    return h


def executable_cases():
    """A valid executable (test/fuzz/corpus/executable/mlp.dlcx, host
    target) damaged in its header, checksum, section table and sections.
    Where the damage lies past the checksum, the checksum is written again
    so that the reader meets the damage itself (docs/executable.md)."""
    here = os.path.dirname(os.path.abspath(__file__))
    with open(os.path.join(here, "..", "fuzz", "corpus", "executable", "mlp.dlcx"), "rb") as f:
        good = f.read()
    count, table = struct.unpack_from("<IQ", good, 28)
    entries = [list(struct.unpack_from("<IIQQ", good, table + 32 * i)) for i in range(count)]

    def put(data, offset, fmt, *values):
        b = bytearray(data)
        struct.pack_into(fmt, b, offset, *values)
        return bytes(b)

    def sealed(data):  # the checksum over [16, end), at byte 8
        return put(data, 8, "<Q", checksum64(data[16:]))

    def with_entry(i, **fields):
        e = dict(zip(("id", "flags", "offset", "size"), entries[i]))
        e.update(fields)
        return sealed(put(good, table + 32 * i, "<IIQQ", e["id"], e["flags"], e["offset"], e["size"]))

    def section(sid):
        return next(i for i, e in enumerate(entries) if e[0] == sid)

    def case(name, data, expect, why):
        return Case(name, "executable", "dlc",
                    ["run", "{dir}/m.dlcx", "--device", "host", "--input-dir", "{dir}/in", "--output-dir", "{dir}/out"],
                    ["{dir}/m.dlcx"] + expect, files={"m.dlcx": data}, dirs=["in"], why=why)

    values = section(2)
    return [
        case("exe-header-truncated", good[:24], [r"truncated", r"header"], "the magic and 20 bytes of the header"),
        case("exe-version-0", sealed(put(good, 4, "<I", 0)), [r"format version 0"], "format version 0"),
        case("exe-version-newer", put(good, 4, "<I", 999), [r"format version 999 is newer"],
             "format version 999"),
        case("exe-truncated", good[:len(good) // 2], [r"truncated"], "the first half of the file"),
        case("exe-trailing-bytes", good + bytes(16), [r"after the end"], "16 bytes appended"),
        case("exe-checksum", good[:-1] + bytes([good[-1] ^ 1]), [r"checksum mismatch"],
             "one bit of the last section flipped"),
        case("exe-header-size", sealed(put(good, 24, "<I", 32)), [r"header size 32"], "a header size of 32"),
        case("exe-table-outside", sealed(put(good, 28, "<I", 1 << 31)), [r"section table", r"outside"],
             "2^31 sections declared"),
        case("exe-section-outside", with_entry(values, size=1 << 40), [r"section 'values'", r"outside"],
             "a section of 2^40 bytes"),
        case("exe-section-offset-outside", with_entry(values, offset=(1 << 64) - 8),
             [r"section 'values'", r"outside"], "a section at offset 2^64 - 8"),
        case("exe-section-twice", with_entry(values, id=entries[0][0]), [r"appears twice"],
             "two sections with one id"),
        case("exe-unknown-required-section", with_entry(values, id=99, flags=1),
             [r"section 99|required but unknown"], "a required section this dlc does not know"),
        case("exe-missing-section", with_entry(values, id=99, flags=0), [r"section 'values' is missing"],
             "the values section renamed to an unknown optional one"),
        case("exe-sections-overlap", with_entry(values, offset=entries[section(1)][2]), [r"overlap"],
             "two sections at one offset"),
        case("exe-values-truncated", with_entry(values, size=entries[values][3] - 8), [r"values"],
             "the values section 8 bytes short"),
    ]



def _external_tensor(location):
    t = TensorProto(name="t", data_type=F, dims=[2, 3])
    t.data_location = TensorProto.EXTERNAL
    e = t.external_data.add()
    e.key, e.value = "location", location
    return t.SerializeToString()


def all_cases():
    cases = (not_a_model() + bitflip_cases() + graph_cases() + tensor_cases() + attribute_cases()
             + external_cases() + dsl_cases() + ir_cases() + input_cases() + executable_cases())
    names = [c.name for c in cases]
    dup = {n for n in names if names.count(n) > 1}
    assert not dup, f"duplicate case names: {dup}"
    return cases
