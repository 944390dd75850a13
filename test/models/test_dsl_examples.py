"""The DSL examples (examples/dsl/*.dlc) against the same models in torch.

For every example: `dlc export` writes an ONNX model that ONNX's checker
accepts; its initializers, loaded by name into an nn.Module written here,
make torch agree with onnxruntime on the export and with `dlc run` on the
.dlc file itself; the export carries the train section as `dlc.train.*`
metadata; every parameter's values follow the initialiser the file declares
(docs/dsl.md, "Parameters")."""

import fnmatch
import math
import pathlib
import re
from dataclasses import dataclass, field

import numpy as np
import onnx
import pytest
import torch
import torch.nn.functional as F
from onnx import numpy_helper
from torch import nn

from dlcutil import assert_close, dlc, read_tensor, run_onnxruntime, write_inputs

EXAMPLES = pathlib.Path(__file__).resolve().parents[2] / "examples/dsl"


# --- the models in torch -----------------------------------------------------

class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 256), nn.Linear(256, 128), nn.Linear(128, 10)

    def forward(self, x):
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


class MnistCnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1, self.conv2 = nn.Conv2d(1, 32, 3), nn.Conv2d(32, 64, 3)
        self.fc1, self.fc2 = nn.Linear(1600, 128), nn.Linear(128, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(torch.flatten(x, 1))))


class LeNet5(nn.Module):
    """tanh and average pooling, as examples/dsl/lenet5.dlc says."""

    def __init__(self):
        super().__init__()
        self.c1, self.c3 = nn.Conv2d(1, 6, 5, padding=2), nn.Conv2d(6, 16, 5)
        self.c5, self.f6, self.out = nn.Linear(400, 120), nn.Linear(120, 84), nn.Linear(84, 10)

    def forward(self, x):
        x = F.avg_pool2d(torch.tanh(self.c1(x)), 2)
        x = F.avg_pool2d(torch.tanh(self.c3(x)), 2)
        x = torch.tanh(self.c5(torch.flatten(x, 1)))
        return self.out(torch.tanh(self.f6(x)))


class Transformer(nn.Module):
    """torch's own pre-LN encoder layer, so the DSL's attention, layer norm
    and GELU are checked against an implementation we did not write."""

    def __init__(self):
        super().__init__()
        layer = nn.TransformerEncoderLayer(
            d_model=64, nhead=4, dim_feedforward=256, dropout=0.0, activation="gelu",
            layer_norm_eps=1e-5, batch_first=True, norm_first=True)
        self.encoder = nn.TransformerEncoder(layer, num_layers=2, norm=nn.LayerNorm(64),
                                             enable_nested_tensor=False)

    def forward(self, x):
        return self.encoder(x)


# --- DSL parameter names -> torch state --------------------------------------

def linear(p, dsl, module):
    """A DSL dense layer (w [in, out] for x @ w) as nn.Linear (weight [out, in])."""
    return {f"{module}.weight": p[f"{dsl}.w"].T, f"{module}.bias": p[f"{dsl}.b"]}


def conv(p, dsl, module):
    """Conv filters have the same [out, in, kh, kw] layout in both."""
    return {f"{module}.weight": p[f"{dsl}.w"], f"{module}.bias": p[f"{dsl}.b"]}


def norm(p, dsl, module):
    return {f"{module}.weight": p[f"{dsl}.g"], f"{module}.bias": p[f"{dsl}.b"]}


def mlp_state(p):
    return {**linear(p, "fc1", "fc1"), **linear(p, "fc2", "fc2"), **linear(p, "fc3", "fc3")}


def mnist_cnn_state(p):
    return {**conv(p, "conv1", "conv1"), **conv(p, "conv2", "conv2"),
            **linear(p, "fc1", "fc1"), **linear(p, "fc2", "fc2")}


def lenet5_state(p):
    return {**conv(p, "c1", "c1"), **conv(p, "c3", "c3"), **linear(p, "c5", "c5"),
            **linear(p, "f6", "f6"), **linear(p, "out", "out")}


def transformer_state(p):
    state = norm(p, "ln_f", "encoder.norm")
    for i in range(2):
        dsl, mod = f"layer{i}", f"encoder.layers.{i}"
        attn = f"{dsl}.attn"
        # nn.MultiheadAttention packs the q, k and v projections in one
        # [3d, d] matrix (rows: outputs) and one [3d] bias.
        state[f"{mod}.self_attn.in_proj_weight"] = np.concatenate(
            [p[f"{attn}.{n}.w"].T for n in "qkv"])
        state[f"{mod}.self_attn.in_proj_bias"] = np.concatenate(
            [p[f"{attn}.{n}.b"] for n in "qkv"])
        state.update(linear(p, f"{attn}.o", f"{mod}.self_attn.out_proj"))
        state.update(norm(p, f"{dsl}.ln1", f"{mod}.norm1"))
        state.update(norm(p, f"{dsl}.ln2", f"{mod}.norm2"))
        state.update(linear(p, f"{dsl}.ff1", f"{mod}.linear1"))
        state.update(linear(p, f"{dsl}.ff2", f"{mod}.linear2"))
    return state


class Recording(dict):
    """The exported parameters, remembering which ones the mapping used."""

    def __init__(self, *args):
        super().__init__(*args)
        self.used = set()

    def __getitem__(self, key):
        self.used.add(key)
        return super().__getitem__(key)


# --- what each example declares ----------------------------------------------

@dataclass
class Example:
    module: type
    state: object                      # exported params -> the module's state_dict
    inputs: dict                       # graph input name -> shape (all f32)
    outputs: dict                      # graph output name -> shape (all f32)
    # (pattern over parameter names, initialiser, its keywords), first match wins:
    # what the .dlc file declares, written out again here.
    inits: list
    # The train section: loss and its arguments, label inputs, optimizer and
    # its keywords, the other numbers (batch_size, epochs or steps).
    train: dict = field(default_factory=dict)


SQRT2 = math.sqrt(2.0)

EXAMPLE_SPECS = {
    "mlp": Example(
        Mlp, mlp_state, {"x": [64, 784]}, {"logits": [64, 10]},
        [("fc1.w", "kaiming", {}), ("fc2.w", "kaiming", {}),
         ("fc3.w", "normal", {"std": 0.01}), ("*.b", "zeros", {})],
        dict(loss="softmax_cross_entropy", loss_args=["logits", "labels"],
             labels={"labels": ("i64", [64])},
             optimizer="sgd", optimizer_args={"lr": 0.1, "momentum": 0.9},
             numbers={"batch_size": 64, "epochs": 5})),
    "mnist_cnn": Example(
        MnistCnn, mnist_cnn_state, {"x": [64, 1, 28, 28]}, {"logits": [64, 10]},
        [("conv*.w", "kaiming", {}), ("fc*.w", "xavier", {}), ("*.b", "zeros", {})],
        dict(loss="softmax_cross_entropy", loss_args=["logits", "labels"],
             labels={"labels": ("i64", [64])},
             optimizer="adam", optimizer_args={"lr": 0.001},
             numbers={"batch_size": 64, "epochs": 3})),
    "lenet5": Example(
        LeNet5, lenet5_state, {"x": [64, 1, 28, 28]}, {"logits": [64, 10]},
        [("c1.w", "kaiming", {"gain": 1.0}), ("c3.w", "kaiming", {"gain": 1.0}),
         ("*.w", "xavier", {}), ("*.b", "zeros", {})],
        dict(loss="softmax_cross_entropy", loss_args=["logits", "labels"],
             labels={"labels": ("i64", [64])},
             optimizer="sgd", optimizer_args={"lr": 0.05, "momentum": 0.9,
                                              "weight_decay": 0.0005},
             numbers={"batch_size": 64, "epochs": 10})),
    "transformer": Example(
        Transformer, transformer_state, {"x": [2, 16, 64]}, {"y": [2, 16, 64]},
        [("*.w", "xavier", {}), ("*.g", "ones", {}), ("*.b", "zeros", {})],
        dict(loss="mse", loss_args=["y", "target"],
             labels={"target": ("f32", [2, 16, 64])},
             optimizer="adamw", optimizer_args={"lr": 0.0003, "weight_decay": 0.01},
             numbers={"batch_size": 2, "steps": 1000})),
}
NAMES = list(EXAMPLE_SPECS)


def export(dlc_bin, name, out_path):
    source = EXAMPLES / f"{name}.dlc"
    proc = dlc(dlc_bin, "export", source, "-o", out_path)
    assert proc.returncode == 0, f"dlc export {source} exited {proc.returncode}:\n{proc.stderr}"
    return onnx.load(str(out_path))


class Exports:
    """name -> (path of the export, its ModelProto), each exported once, on
    first use: an example that fails to export fails its own tests only."""

    def __init__(self, dlc_bin, directory):
        self.dlc_bin, self.directory, self.done = dlc_bin, directory, {}

    def __getitem__(self, name):
        if name not in self.done:
            path = self.directory / f"{name}.onnx"
            self.done[name] = (path, export(self.dlc_bin, name, path))
        return self.done[name]


@pytest.fixture(scope="module")
def exports(dlc_bin, tmp_path_factory):
    return Exports(dlc_bin, tmp_path_factory.mktemp("dsl_exports"))


def initializers(model):
    return {t.name: numpy_helper.to_array(t) for t in model.graph.initializer}


def parameters(model):
    """The DSL's `param`s: exactly the initializers (anonymous constants such
    as reshape shapes and number literals are Constant nodes)."""
    return initializers(model)


def constants(model):
    return {n.output[0]: numpy_helper.to_array(n.attribute[0].t)
            for n in model.graph.node if n.op_type == "Constant"}


def value_info(v):
    t = v.type.tensor_type
    return t.elem_type, [d.dim_value if d.HasField("dim_value") else d.dim_param
                         for d in t.shape.dim]


def test_every_example_is_tested():
    assert sorted(p.stem for p in EXAMPLES.glob("*.dlc")) == sorted(NAMES)


@pytest.mark.parametrize("name", NAMES)
def test_export_passes_the_checker(exports, name):
    path, model = exports[name]
    onnx.checker.check_model(model, full_check=True)
    assert model.graph.name == name, "the graph is named after `model NAME`"


@pytest.mark.parametrize("name", NAMES)
def test_export_signature(exports, name):
    """Inputs and outputs as declared (label inputs of `train` are not
    inputs of the inference graph); parameters are initializers under their
    DSL names, exactly the ones the torch model needs."""
    _, model = exports[name]
    spec = EXAMPLE_SPECS[name]
    params = parameters(model)
    for k, v in constants(model).items():  # shapes and scalars, not weights in disguise
        assert v.size <= 4, f"{name}: constant {k} has {v.size} elements"
    inputs = {v.name: value_info(v) for v in model.graph.input if v.name not in params}
    assert inputs == {n: (onnx.TensorProto.FLOAT, s) for n, s in spec.inputs.items()}
    outputs = {v.name: value_info(v) for v in model.graph.output}
    assert outputs == {n: (onnx.TensorProto.FLOAT, s) for n, s in spec.outputs.items()}
    recording = Recording(params)
    state = spec.state(recording)
    assert recording.used == set(params), (
        f"{name}: parameters the torch model does not use: {set(params) - recording.used}")
    expected = {k: tuple(v.shape) for k, v in spec.module().state_dict().items()}
    assert {k: v.shape for k, v in state.items()} == expected


def check_initialiser(name, values, init, kwargs):
    """`values` follow docs/dsl.md's initialiser `init`. Statistical bounds
    are 5 standard errors wide, so a correct generator fails with
    probability ~1e-6 per check (and the seed is fixed, so never flakily)."""
    what = f"{name} ({init}{kwargs or ''})"
    x = values.astype(np.float64).ravel()
    n = x.size
    shape = values.shape
    if init in ("zeros", "ones", "constant"):
        v = {"zeros": 0.0, "ones": 1.0}.get(init, kwargs.get("value"))
        assert np.all(x == v), f"{what}: not all {v}"
        return
    if len(shape) >= 3:   # filters [out, in, k...]
        receptive = int(np.prod(shape[2:]))
        fan_in, fan_out = shape[1] * receptive, shape[0] * receptive
    else:                 # [in, out] for x @ w; a 1-D parameter: its size twice
        fan_in, fan_out = shape[0], shape[-1]
    if init == "xavier":
        bound = kwargs.get("gain", 1.0) * math.sqrt(6.0 / (fan_in + fan_out))
        assert np.all(np.abs(x) <= bound), f"{what}: values outside [-{bound}, {bound}]"
        # n uniform draws all stay below (1 - e) * bound with probability (1 - e)^n.
        assert np.abs(x).max() > bound * (1 - min(0.5, 14.0 / n)), f"{what}: range too narrow"
        mean, std = 0.0, bound / math.sqrt(3.0)
        std_error = 0.45 / math.sqrt(n)   # relative standard error of a uniform's std
    else:
        if init == "kaiming":
            mean, std = 0.0, kwargs.get("gain", SQRT2) / math.sqrt(fan_in)
        elif init == "normal":
            mean, std = kwargs.get("mean", 0.0), kwargs.get("std", 1.0)
        else:
            raise AssertionError(f"{what}: the test knows no initialiser {init}")
        std_error = 1.0 / math.sqrt(2 * n)
        if n >= 500:  # a normal, not a uniform of the same spread: tails beyond 2 std
            assert np.abs(x - mean).max() > 2 * std, f"{what}: no tail beyond 2 std"
    assert abs(x.mean() - mean) < 5 * std / math.sqrt(n), (
        f"{what}: mean {x.mean():.4g}, expected {mean}")
    assert abs(x.std() / std - 1) < 5 * std_error, (
        f"{what}: std {x.std():.4g}, expected {std:.4g}")


@pytest.mark.parametrize("name", NAMES)
def test_parameters_follow_their_initialisers(exports, name):
    _, model = exports[name]
    params = parameters(model)
    for pname, values in params.items():
        assert values.dtype == np.float32, f"{pname}: {values.dtype}"
        match = [(i, kw) for pattern, i, kw in EXAMPLE_SPECS[name].inits
                 if fnmatch.fnmatchcase(pname, pattern)]
        assert match, f"{name}: the test declares no initialiser for {pname}"
        check_initialiser(pname, values, *match[0])
    # Random parameters are drawn per name: no two are the same numbers
    # (layer0 and layer1 of the transformer have their own weights).
    random = sorted(k for k, v in params.items() if np.unique(v).size > 1)
    for i, a in enumerate(random):
        for b in random[i + 1:]:
            if params[a].shape == params[b].shape:
                assert not np.array_equal(params[a], params[b]), f"{a} == {b}"


@pytest.mark.parametrize("name", NAMES)
def test_export_is_reproducible(exports, dlc_bin, tmp_path, name):
    """Same file, same seed: the same parameters (docs/dsl.md: the values are
    the same on every machine)."""
    again = export(dlc_bin, name, tmp_path / f"{name}.onnx")
    first, second = parameters(exports[name][1]), parameters(again)
    assert first.keys() == second.keys()
    for k in first:
        np.testing.assert_array_equal(first[k], second[k], err_msg=k)


# The optimizers' documented defaults (docs/dsl.md, "Training"), which the
# metadata spells out where the file leaves them out.
OPTIMIZER_DEFAULTS = {
    "sgd": {"momentum": 0.0, "weight_decay": 0.0},
    "adam": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
    "adamw": {"beta1": 0.9, "beta2": 0.999, "eps": 1e-8, "weight_decay": 0.0},
}


@pytest.mark.parametrize("name", NAMES)
def test_train_section_is_stored(exports, name):
    """The train section as metadata_props, in the key layout that
    frontend/dsl/Train.cpp writes: dlc.train.loss (+ .prediction, .target),
    dlc.train.optimizer (+ .KEYWORD for each of its settings), the numbers
    (batch_size, epochs or steps), dlc.train.labels and dlc.train.label.NAME."""
    _, model = exports[name]
    expected = EXAMPLE_SPECS[name].train
    meta = {p.key: p.value for p in model.metadata_props}
    train = {k: v for k, v in meta.items() if k.startswith("dlc.train.")}
    assert train, f"{name}: no dlc.train.* metadata; metadata: {meta}"
    assert train.pop("dlc.train.loss") == expected["loss"]
    assert [train.pop("dlc.train.loss.prediction"),
            train.pop("dlc.train.loss.target")] == expected["loss_args"]
    optimizer = train.pop("dlc.train.optimizer")
    assert optimizer == expected["optimizer"]
    settings = {**OPTIMIZER_DEFAULTS[optimizer], **expected["optimizer_args"]}
    prefix = "dlc.train.optimizer."
    stored = {k[len(prefix):]: float(train.pop(k)) for k in list(train) if k.startswith(prefix)}
    assert stored == pytest.approx(settings), f"{name}: optimizer settings"
    labels = expected["labels"]
    assert train.pop("dlc.train.labels").split(",") == list(labels)
    for label, (dtype, shape) in labels.items():
        assert train.pop(f"dlc.train.label.{label}").replace(" ", "") == (
            f"{dtype}{shape}".replace(" ", ""))
    assert {k: int(v) for k, v in train.items()} == {
        f"dlc.train.{k}": v for k, v in expected["numbers"].items()}, f"{name}: the rest"


def random_inputs(name):
    rng = np.random.default_rng(sorted(NAMES).index(name))
    return [rng.standard_normal(shape).astype(np.float32)
            for shape in EXAMPLE_SPECS[name].inputs.values()]


def run_torch(name, params, inputs):
    spec = EXAMPLE_SPECS[name]
    module = spec.module()
    state = {k: torch.from_numpy(np.array(v, copy=True)) for k, v in spec.state(params).items()}
    module.load_state_dict(state, strict=True)
    module.eval()
    # Autograd stays on: nn.TransformerEncoder's inference fast path (fused
    # kernels, other rounding) is taken only without it.
    out = module(*(torch.from_numpy(x) for x in inputs))
    return [out.detach().numpy()]


def run_dlc_source(dlc_bin, source, inputs, n_outputs, workdir):
    """`dlc run FILE --device host` (FILE a .dlc or an .onnx) on the ONNX
    test-data layout."""
    in_dir, out_dir = workdir / "in", workdir / "out"
    write_inputs(inputs, in_dir)
    out_dir.mkdir(parents=True)
    proc = dlc(dlc_bin, "run", source, "--device", "host",
               "--input-dir", in_dir, "--output-dir", out_dir)
    assert proc.returncode == 0, f"dlc run {source} exited {proc.returncode}:\n{proc.stderr}"
    names = sorted(p.name for p in out_dir.iterdir())
    assert names == [f"output_{i}.pb" for i in range(n_outputs)], names
    return [read_tensor(out_dir / f"output_{i}.pb") for i in range(n_outputs)]


@pytest.mark.parametrize("name", NAMES)
def test_torch_onnxruntime_and_dlc_agree(exports, dlc_bin, tmp_path, name):
    path, model = exports[name]
    inputs = random_inputs(name)
    expected = run_torch(name, parameters(model), inputs)
    assert_close(run_onnxruntime(path, inputs), expected, f"{name}: onnxruntime vs torch")
    n = len(model.graph.output)
    got = run_dlc_source(dlc_bin, EXAMPLES / f"{name}.dlc", inputs, n, tmp_path / "dlc")
    assert_close(got, expected, f"{name}: dlc run {name}.dlc vs torch")
    # The export is the model dlc compiled: running it gives the same numbers.
    again = run_dlc_source(dlc_bin, path, inputs, n, tmp_path / "onnx")
    for i, (a, b) in enumerate(zip(again, got)):
        np.testing.assert_array_equal(a, b, err_msg=f"{name}: output {i}, export vs .dlc")
