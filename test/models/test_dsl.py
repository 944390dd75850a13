"""End-to-end tests of the model DSL: `dlc export` writes an ONNX model that
ONNX's checker accepts, and `dlc run` of the .dlc agrees with onnxruntime
running that export on the same random inputs."""

import numpy as np
import onnx
import pytest

from dlcutil import dlc, read_tensor, run_onnxruntime, write_inputs

RTOL, ATOL = 1e-4, 1e-5

MODELS = {
    "mlp": """
model mlp
seed 1
input x: f32[8, 16]
fn dense(t, n_in: int, n_out: int) {
    param w: f32[n_in, n_out] = xavier
    param b: f32[n_out] = uniform(low=-0.1, high=0.1)
    return t @ w + b
}
let h = relu(dense(x, 16, 32) as fc1)
output probs = softmax(dense(h, 32, 10) as fc2)
""",
    "cnn": """
model cnn
input x: f32[2, 1, 12, 12]
param c1.w: f32[4, 1, 3, 3] = kaiming
param c1.b: f32[4] = normal(std=0.1)
param fc.w: f32[100, 5] = xavier
let h = max_pool(relu(conv2d(x, c1.w, c1.b, pads=[1, 1, 1, 1])), kernel=[2, 2], strides=[2, 2])
let a = avg_pool(h, kernel=[2, 2], strides=[1, 1])
let f = reshape(a, [2, -1])
output logits = f @ fc.w
output pooled = global_avg_pool(h)
""",
    "block": """
model block
const d = 16
input x: f32[4, 6, d]
param g: f32[d] = ones
param bta: f32[d] = zeros
fn attention(t, dim: int) {
    param wq: f32[dim, dim] = xavier
    param wk: f32[dim, dim] = xavier
    param wv: f32[dim, dim] = xavier
    let s = (t @ wq) @ transpose(t @ wk, perm=[0, 2, 1]) / sqrt(4.0 * 4.0)
    return softmax(s, axis=-1) @ (t @ wv)
}
fn mlp(t, dim: int) {
    param w1: f32[dim, 4 * dim] = xavier
    param w2: f32[4 * dim, dim] = xavier
    return gelu(t @ w1) @ w2
}
let h = x + attention(layer_norm(x, g, bta), d) as attn
let y = h + mlp(layer_norm(h, g, bta, epsilon=1e-6), d) as ffn
output out = y
output stats = mean(y, axes=[2], keepdims=0) - 0.5 * max(y, axes=[2], keepdims=0)
""",
    "mixed": """
model mixed
input x: f32[3, 5]
input k: i64[3, 5]
let m = where(x > 0, x, -x) ** 2 % 1.5
let values, indices = TopK(x, k=[2], axis=1)
output a = m + cast(k * 2 - 1, to=f32)
output top = values
output idx = indices
output ne = x != 0.25
output b = maximum(x, 0) - minimum(x, 0.5) + pow(abs(x), 0.5) + exp(-x) + log(1 + x * x)
""",
    "symbolic": """
model symbolic
input x: f32[batch, 4]
param w: f32[4, 3] = normal
output y = tanh(x @ w)
output s = sum(y, axes=[0], keepdims=1)
""",
}

# Symbolic dimensions are fixed for dlc (--input-shape) and left to
# onnxruntime, which sees the exported symbols.
INPUT_SHAPES = {"symbolic": ["x=5x4"]}


def random_inputs(model, rng, shape_flags):
    fixed = dict(f.split("=") for f in shape_flags)
    inputs = []
    for i in model.graph.input:
        if fixed.get(i.name):
            shape = [int(d) for d in fixed[i.name].split("x")]
        else:
            shape = [d.dim_value for d in i.type.tensor_type.shape.dim]
        elem = i.type.tensor_type.elem_type
        if elem == onnx.TensorProto.FLOAT:
            inputs.append(rng.standard_normal(shape).astype(np.float32))
        elif elem == onnx.TensorProto.INT64:
            inputs.append(rng.integers(-5, 5, shape).astype(np.int64))
        else:
            raise AssertionError(f"no random inputs for element type {elem}")
    return inputs


@pytest.mark.parametrize("name", sorted(MODELS))
def test_dsl_model_matches_onnxruntime(name, dlc_bin, tmp_path):
    source = tmp_path / f"{name}.dlc"
    source.write_text(MODELS[name])
    exported = tmp_path / f"{name}.onnx"
    proc = dlc(dlc_bin, "export", source, "-o", exported)
    assert proc.returncode == 0, proc.stderr
    model = onnx.load(str(exported))
    onnx.checker.check_model(model, full_check=True)

    flags = []
    for spec in INPUT_SHAPES.get(name, []):
        flags += ["--input-shape", spec]
    inputs = random_inputs(model, np.random.default_rng(len(name)), INPUT_SHAPES.get(name, []))
    in_dir, out_dir = tmp_path / "in", tmp_path / "out"
    write_inputs(inputs, in_dir)
    proc = dlc(dlc_bin, "run", source, "--device", "host", "--input-dir", in_dir,
               "--output-dir", out_dir, *flags)
    assert proc.returncode == 0, proc.stderr
    actual = [read_tensor(out_dir / f"output_{i}.pb") for i in range(len(model.graph.output))]
    expected = run_onnxruntime(exported, inputs)
    assert len(actual) == len(expected)
    for i, (a, e) in enumerate(zip(actual, expected)):
        assert a.shape == e.shape and a.dtype == e.dtype, (
            f"{name}: output {i}: {a.dtype}{list(a.shape)} vs onnxruntime {e.dtype}{list(e.shape)}")
        np.testing.assert_allclose(a, e, rtol=RTOL, atol=ATOL, err_msg=f"{name}: output {i}")


def test_export_keeps_symbolic_dimensions(dlc_bin, tmp_path):
    source = tmp_path / "s.dlc"
    source.write_text(MODELS["symbolic"])
    out = tmp_path / "s.onnx"
    assert dlc(dlc_bin, "export", source, "-o", out).returncode == 0
    model = onnx.load(str(out))
    dims = {o.name: [d.dim_param or d.dim_value for d in o.type.tensor_type.shape.dim]
            for o in model.graph.output}
    assert dims == {"y": ["batch", 3], "s": [1, 3]}


def test_export_refuses_other_models(dlc_bin, tmp_path):
    proc = dlc(dlc_bin, "export", tmp_path / "m.onnx", "-o", tmp_path / "o.onnx")
    assert proc.returncode == 1
    assert "is not a DSL model (.dlc)" in proc.stderr
    proc = dlc(dlc_bin, "export", tmp_path / "missing.dlc")
    assert proc.returncode == 1 and "no output file given" in proc.stderr


def test_export_reports_dsl_errors(dlc_bin, tmp_path):
    source = tmp_path / "bad.dlc"
    source.write_text("input x: f32[2]\noutput y = relu(x, x)\n")
    proc = dlc(dlc_bin, "export", source, "-o", tmp_path / "o.onnx")
    assert proc.returncode == 1
    assert f"{source}:2:12: error: 'relu' takes 1 positional argument(s), given 2" in proc.stderr
    assert not (tmp_path / "o.onnx").exists()
