"""`dlc train` against torch: the same model, initial weights and batches
give the same trained weights (rtol 1e-4, host device), for SGD with
momentum and weight decay, Adam and AdamW, after 1 and 10 steps; and the
flag and data errors are clear exit-1 messages."""

import numpy as np
import onnx
import pytest
import torch
from onnx import helper, numpy_helper, TensorProto

from dlcutil import dlc

RTOL, ATOL = 1e-4, 1e-6


def mlp(seed=0, sizes=(6, 8, 3)):
    torch.manual_seed(seed)
    return torch.nn.Sequential(torch.nn.Linear(sizes[0], sizes[1]), torch.nn.Tanh(),
                               torch.nn.Linear(sizes[1], sizes[2]))


def mlp_onnx(model, path, batch_dim="N"):
    """The torch MLP as an ONNX graph (Gemm, Tanh, Gemm); initializers by name."""
    l1, l2 = model[0], model[2]
    inits = [numpy_helper.from_array(t.detach().numpy().copy(), name)
             for name, t in [("w1", l1.weight), ("b1", l1.bias), ("w2", l2.weight), ("b2", l2.bias)]]
    nodes = [helper.make_node("Gemm", ["x", "w1", "b1"], ["h"], transB=1, name="fc1"),
             helper.make_node("Tanh", ["h"], ["a"], name="act"),
             helper.make_node("Gemm", ["a", "w2", "b2"], ["y"], transB=1, name="fc2")]
    graph = helper.make_graph(
        nodes, "mlp",
        [helper.make_tensor_value_info("x", TensorProto.FLOAT, [batch_dim, l1.in_features])],
        [helper.make_tensor_value_info("y", TensorProto.FLOAT, [batch_dim, l2.out_features])], inits)
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]), str(path))


def write_data(directory, inputs, labels):
    directory.mkdir(parents=True, exist_ok=True)
    for i, x in enumerate(inputs):
        (directory / f"input_{i}.pb").write_bytes(numpy_helper.from_array(x).SerializeToString())
    (directory / "labels.pb").write_bytes(numpy_helper.from_array(labels).SerializeToString())


def trained_weights(path):
    return {t.name: numpy_helper.to_array(t) for t in onnx.load(str(path)).graph.initializer}


def torch_train(model, make_opt, loss_fn, x, y, batch, steps):
    opt = make_opt(model.parameters())
    n = x.shape[0]
    losses = []
    for i in range(steps):
        rows = np.arange((i % (n // batch)) * batch, (i % (n // batch) + 1) * batch)
        opt.zero_grad()
        loss = loss_fn(model(torch.from_numpy(x[rows])), torch.from_numpy(y[rows]))
        loss.backward()
        opt.step()
        losses.append(loss.item())
    return losses


OPTIMIZERS = {
    "sgd": (["--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9", "--weight-decay", "0.01"],
            lambda p: torch.optim.SGD(p, lr=0.1, momentum=0.9, weight_decay=0.01)),
    "adam": (["--optimizer", "adam", "--lr", "0.01"], lambda p: torch.optim.Adam(p, lr=0.01)),
    "adamw": (["--optimizer", "adamw", "--lr", "0.01", "--weight-decay", "0.1"],
              lambda p: torch.optim.AdamW(p, lr=0.01, weight_decay=0.1)),
}


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("optimizer", sorted(OPTIMIZERS))
def test_mlp_matches_torch(dlc_bin, tmp_path, optimizer, steps):
    rng = np.random.default_rng(1)
    x = rng.standard_normal((20, 6)).astype(np.float32)
    y = rng.integers(0, 3, 20).astype(np.int64)
    model = mlp()
    mlp_onnx(model, tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [x], y)
    flags, make_opt = OPTIMIZERS[optimizer]
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", *flags, "--batch-size", 4, "--steps", steps,
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    losses = torch_train(model, make_opt, torch.nn.CrossEntropyLoss(), x, y, 4, steps)
    printed = [float(line.split("loss ")[1]) for line in proc.stdout.splitlines() if line.startswith("step ")]
    np.testing.assert_allclose(printed, losses, rtol=RTOL, atol=1e-5)
    got = trained_weights(tmp_path / "out.onnx")
    want = {"w1": model[0].weight, "b1": model[0].bias, "w2": model[2].weight, "b2": model[2].bias}
    for name, t in want.items():
        np.testing.assert_allclose(got[name], t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


@pytest.mark.parametrize("loss", ["mse", "bce"])
def test_regression_losses_match_torch(dlc_bin, tmp_path, loss):
    rng = np.random.default_rng(2)
    x = rng.standard_normal((12, 6)).astype(np.float32)
    y = (rng.random((12, 3)) > 0.5).astype(np.float32) if loss == "bce" else \
        rng.standard_normal((12, 3)).astype(np.float32)
    model = mlp(seed=3)
    mlp_onnx(model, tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [x], y)
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", "--loss", loss,
               "--optimizer", "sgd", "--lr", "0.05", "--batch-size", 6, "--steps", 4,
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    fn = torch.nn.BCEWithLogitsLoss() if loss == "bce" else torch.nn.MSELoss()
    torch_train(model, lambda p: torch.optim.SGD(p, lr=0.05), fn, x, y, 6, 4)
    got = trained_weights(tmp_path / "out.onnx")
    np.testing.assert_allclose(got["w1"], model[0].weight.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["b2"], model[2].bias.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_freeze_keeps_initializer(dlc_bin, tmp_path):
    rng = np.random.default_rng(4)
    x = rng.standard_normal((8, 6)).astype(np.float32)
    y = rng.integers(0, 3, 8).astype(np.int64)
    model = mlp()
    mlp_onnx(model, tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [x], y)
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1",
               "--batch-size", 4, "--epochs", 2, "--shuffle", "--seed", 7, "--freeze", "w1,b1",
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.count("epoch ") == 2, proc.stdout
    got = trained_weights(tmp_path / "out.onnx")
    np.testing.assert_array_equal(got["w1"], model[0].weight.detach().numpy())
    assert not np.allclose(got["w2"], model[2].weight.detach().numpy())


@pytest.mark.parametrize("flags, message", [
    (["--loss", "hinge"], "--loss 'hinge': expected softmax_cross_entropy, mse or bce"),
    (["--optimizer", "rmsprop"], "--optimizer 'rmsprop': expected sgd, adam or adamw"),
    (["--lr", "-1"], "--lr '-1': expected a non-negative number"),
    (["--batch-size", "0"], "--batch-size '0': expected a positive integer"),
    (["--batch-size", "100"], "--batch-size 100 is larger than the data set (8 samples)"),
    (["--epochs", "2"], "give --steps or --epochs, not both"),
    (["--freeze", "w9"], "--freeze names 'w9', which is not an initializer"),
    (["--momentum", "0.9", "--optimizer", "adam"], "--momentum goes with sgd"),
    (["--bogus"], "unknown option '--bogus'"),
])
def test_flag_errors(dlc_bin, tmp_path, flags, message):
    rng = np.random.default_rng(5)
    mlp_onnx(mlp(), tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [rng.standard_normal((8, 6)).astype(np.float32)],
               rng.integers(0, 3, 8).astype(np.int64))
    base = {"--loss": "softmax_cross_entropy", "--optimizer": "sgd", "--lr": "0.1",
            "--batch-size": "4", "--steps": "1"}
    args = []
    overridden = set(flags[0::2])
    for k, v in base.items():
        if k not in overridden:
            args += [k, v]
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", *args, *flags,
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr


def test_data_errors(dlc_bin, tmp_path):
    rng = np.random.default_rng(6)
    mlp_onnx(mlp(), tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [rng.standard_normal((8, 6)).astype(np.float32)],
               rng.integers(0, 3, 7).astype(np.int64))
    common = ["--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", 4,
              "--steps", 1, "--save", tmp_path / "out.onnx"]
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", *common)
    assert proc.returncode == 1 and "8 samples, but labels.pb has 7" in proc.stderr, proc.stderr
    (tmp_path / "data" / "labels.pb").unlink()
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", *common)
    assert proc.returncode == 1 and "labels.pb: missing" in proc.stderr, proc.stderr
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "nowhere", *common)
    assert proc.returncode == 1 and "is not a directory" in proc.stderr, proc.stderr


# --- real architectures, exported by torch ---------------------------------
# dlc trains an exported model as torch's model.train() does: BatchNorm with
# batch statistics and running-statistic updates, so the running mean and
# var are compared too.

def cnn(seed=0):
    """Convolutions without bias before BatchNorm, as in ResNet: BatchNorm
    removes a bias, whose gradient is then zero up to rounding, which Adam
    would scale up to steps of size lr in a direction set by rounding noise."""
    torch.manual_seed(seed)
    return torch.nn.Sequential(
        torch.nn.Conv2d(1, 4, 3, padding=1, bias=False), torch.nn.BatchNorm2d(4), torch.nn.ReLU(),
        torch.nn.MaxPool2d(2),
        torch.nn.Conv2d(4, 6, 3, bias=False), torch.nn.BatchNorm2d(6), torch.nn.ReLU(), torch.nn.AvgPool2d(2),
        torch.nn.Flatten(), torch.nn.Linear(6, 3))


class Block(torch.nn.Module):
    """A pre-norm transformer block and a classification head."""

    def __init__(self, d=8, heads=2, classes=3):
        super().__init__()
        self.ln1 = torch.nn.LayerNorm(d)
        self.attn = torch.nn.MultiheadAttention(d, heads, batch_first=True)
        self.ln2 = torch.nn.LayerNorm(d)
        self.fc1 = torch.nn.Linear(d, 4 * d)
        self.fc2 = torch.nn.Linear(4 * d, d)
        self.head = torch.nn.Linear(d, classes)

    def forward(self, x):
        h = self.ln1(x)
        x = x + self.attn(h, h, h, need_weights=False)[0]
        x = x + self.fc2(torch.nn.functional.gelu(self.fc1(self.ln2(x))))
        return self.head(x.mean(dim=1))


def transformer(seed=0):
    torch.manual_seed(seed)
    return Block()


def export(model, example, path, mode="eval"):
    """torch's ONNX export with a symbolic batch. In eval mode constant
    folding would fold BatchNorm into the Conv before it, so it is off (as a
    user exporting for training turns it off); "train" exports the training
    form (BatchNormalization training_mode=1)."""
    training = torch.onnx.TrainingMode.TRAINING if mode == "train" else torch.onnx.TrainingMode.EVAL
    model.train(mode == "train")
    torch.onnx.export(model, example, str(path), input_names=["x"], output_names=["y"],
                      dynamic_axes={"x": {0: "N"}, "y": {0: "N"}}, dynamo=False,
                      do_constant_folding=False, training=training)
    model.train()


def compare_state(got, model, skip=()):
    """Every parameter and buffer of the torch model (BatchNorm's running
    statistics included) against the saved initializer of its name."""
    state = {k: v for k, v in model.state_dict().items() if not k.endswith("num_batches_tracked")}
    missing = [k for k in state if k not in got and k not in skip]
    assert not missing, f"not in the saved model: {missing}; it has {sorted(got)}"
    for name, t in state.items():
        if name in skip:
            continue
        np.testing.assert_allclose(got[name], t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


ARCH_OPTIMIZERS = {
    "sgd": (["--optimizer", "sgd", "--lr", "0.05", "--momentum", "0.9"],
            lambda p: torch.optim.SGD(p, lr=0.05, momentum=0.9)),
    "adam": (["--optimizer", "adam", "--lr", "0.01"], lambda p: torch.optim.Adam(p, lr=0.01)),
}


def train_both(dlc_bin, tmp_path, model, x, y, optimizer, steps, batch, mode="eval"):
    export(model, torch.from_numpy(x[:batch]), tmp_path / "model.onnx", mode)
    write_data(tmp_path / "data", [x], y)
    flags, make_opt = ARCH_OPTIMIZERS[optimizer]
    proc = dlc(dlc_bin, "train", tmp_path / "model.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", *flags, "--batch-size", batch, "--steps", steps,
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    losses = torch_train(model, make_opt, torch.nn.CrossEntropyLoss(), x, y, batch, steps)
    printed = [float(line.split("loss ")[1]) for line in proc.stdout.splitlines() if line.startswith("step ")]
    np.testing.assert_allclose(printed, losses, rtol=RTOL, atol=1e-5)
    return proc, trained_weights(tmp_path / "out.onnx")


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("optimizer", sorted(ARCH_OPTIMIZERS))
def test_cnn_batchnorm_matches_torch(dlc_bin, tmp_path, optimizer, steps):
    rng = np.random.default_rng(7)
    x = rng.standard_normal((24, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 24).astype(np.int64)
    model = cnn()
    proc, got = train_both(dlc_bin, tmp_path, model, x, y, optimizer, steps, batch=6)
    assert "4 running statistics" in proc.stdout, proc.stdout
    compare_state(got, model)


def test_cnn_exported_in_training_mode(dlc_bin, tmp_path):
    """training_mode=1 BatchNormalization (and running statistics that the
    exporter did not share with the weights) trains the same way."""
    rng = np.random.default_rng(8)
    x = rng.standard_normal((12, 1, 8, 8)).astype(np.float32)
    y = rng.integers(0, 3, 12).astype(np.int64)
    model = cnn(seed=1)
    with torch.no_grad():  # running statistics of a trained model
        for bn in (model[1], model[5]):
            bn.running_mean.uniform_(-1, 1)
            bn.running_var.uniform_(0.5, 2)
    _, got = train_both(dlc_bin, tmp_path, model, x, y, "sgd", 3, batch=4, mode="train")
    compare_state(got, model)


@pytest.mark.parametrize("steps", [1, 10])
@pytest.mark.parametrize("optimizer", sorted(ARCH_OPTIMIZERS))
def test_transformer_block_matches_torch(dlc_bin, tmp_path, optimizer, steps):
    rng = np.random.default_rng(9)
    x = rng.standard_normal((16, 5, 8)).astype(np.float32)
    y = rng.integers(0, 3, 16).astype(np.int64)
    model = transformer()
    _, got = train_both(dlc_bin, tmp_path, model, x, y, optimizer, steps, batch=4)
    # The key bias (the middle third of in_proj_bias) moves every score of a
    # query by the same amount, which softmax removes: its gradient is zero
    # up to rounding, and Adam scales rounding noise up to steps of size lr.
    # Under Adam only that it stays within steps * lr of 0 is checked.
    skip = ("attn.in_proj_bias",) if optimizer == "adam" else ()
    compare_state(got, model, skip)
    if skip:
        d = model.attn.embed_dim
        want = model.attn.in_proj_bias.detach().numpy()
        mine = got["attn.in_proj_bias"]
        for part in (slice(0, d), slice(2 * d, 3 * d)):
            np.testing.assert_allclose(mine[part], want[part], rtol=RTOL, atol=ATOL)
        assert np.all(np.abs(mine[d:2 * d]) <= steps * 0.01 * 1.001)


# --- Dropout ---------------------------------------------------------------
# The mask of element i (row-major) of Dropout node number `stream` at step
# s under --seed S, as docs/training.md specifies it, written out here
# independently of dlc's code: key = splitmix64(splitmix64(S) + s) as two
# u32 words (k0 low, k1 high); h = fmix32(fmix32(i ^ (k0 + stream *
# 0x9e3779b9)) + k1); the element is kept when h >= ratio * 2^32.
M32, M64 = 0xFFFFFFFF, 0xFFFFFFFFFFFFFFFF


def splitmix64(x):
    x = (x + 0x9E3779B97F4A7C15) & M64
    x = ((x ^ (x >> 30)) * 0xBF58476D1CE4E5B9) & M64
    x = ((x ^ (x >> 27)) * 0x94D049BB133111EB) & M64
    return x ^ (x >> 31)


def fmix32(h):
    h = h ^ (h >> 16)
    h = (h * 0x85EBCA6B) & M32
    h = h ^ (h >> 13)
    h = (h * 0xC2B2AE35) & M32
    return h ^ (h >> 16)


def dropout_keep(seed, step, shape, ratio, stream=0):
    key = splitmix64((splitmix64(seed) + step) & M64)
    k0, k1 = key & M32, key >> 32
    i = np.arange(int(np.prod(shape)), dtype=np.uint64)
    h = fmix32(i ^ ((k0 + stream * 0x9E3779B9) & M32))
    h = fmix32((h + k1) & M32)
    return (h >= round(ratio * 2.0 ** 32)).reshape(shape)


def dropout_mlp_onnx(model, path, ratio):
    """Gemm, Tanh, Dropout(ratio), Gemm; as a model exported in training mode."""
    mlp_onnx(model, path)
    m = onnx.load(str(path))
    g = m.graph
    g.node[2].input[0] = "d"
    g.node.insert(2, helper.make_node("Dropout", ["a", "ratio", "training"], ["d"], name="drop"))
    g.initializer.extend([numpy_helper.from_array(np.array(ratio, np.float32), "ratio"),
                          numpy_helper.from_array(np.array(True), "training")])
    onnx.save(m, str(path))


def test_reference_mask_keep_rate():
    """The reference itself keeps 1 - ratio of the elements, and differs
    from step to step and from stream to stream as independent draws do."""
    a = dropout_keep(3, 0, (200, 100), 0.3)
    b = dropout_keep(3, 1, (200, 100), 0.3)
    c = dropout_keep(3, 0, (200, 100), 0.3, stream=1)
    n, sigma = a.size, np.sqrt(0.7 * 0.3 / a.size)
    for m in (a, b, c):
        assert abs(m.mean() - 0.7) < 5 * sigma
    for m in (b, c):  # both kept: 0.49 for independent masks
        assert abs((a & m).mean() - 0.49) < 5 * np.sqrt(0.49 * 0.51 / n)


@pytest.mark.parametrize("seed", [0, 5])
def test_dropout_matches_torch_with_the_same_masks(dlc_bin, tmp_path, seed):
    """dlc's masks are the specified ones, step by step (a new one each
    step), and the gradient is zero where an element was dropped: dlc train
    gives the weights of torch trained with those masks."""
    rng = np.random.default_rng(10)
    x = rng.standard_normal((16, 6)).astype(np.float32)
    y = rng.integers(0, 3, 16).astype(np.int64)
    ratio, batch, steps = 0.4, 4, 6
    model = mlp(seed=2)
    dropout_mlp_onnx(model, tmp_path / "mlp.onnx", ratio)
    write_data(tmp_path / "data", [x], y)
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", "--seed", seed,
               "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--momentum", "0.9",
               "--batch-size", batch, "--steps", steps, "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    opt = torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9)
    for i in range(steps):
        rows = slice((i % 4) * batch, (i % 4 + 1) * batch)
        keep = torch.from_numpy(dropout_keep(seed, i, (batch, 8), ratio).astype(np.float32))
        opt.zero_grad()
        h = torch.tanh(model[0](torch.from_numpy(x[rows])))
        loss = torch.nn.functional.cross_entropy(model[2](h * keep * (1 / (1 - ratio))), torch.from_numpy(y[rows]))
        loss.backward()
        opt.step()
    got = trained_weights(tmp_path / "out.onnx")
    want = {"w1": model[0].weight, "b1": model[0].bias, "w2": model[2].weight, "b2": model[2].bias}
    for name, t in want.items():
        np.testing.assert_allclose(got[name], t.detach().numpy(), rtol=RTOL, atol=ATOL, err_msg=name)


def test_dropout_is_reproducible_and_seeded(dlc_bin, tmp_path):
    rng = np.random.default_rng(11)
    write_data(tmp_path / "data", [rng.standard_normal((8, 6)).astype(np.float32)],
               rng.integers(0, 3, 8).astype(np.int64))
    dropout_mlp_onnx(mlp(), tmp_path / "mlp.onnx", 0.5)

    def train(seed, out):
        proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", "--seed", seed,
                   "--loss", "softmax_cross_entropy", "--optimizer", "adam", "--lr", "0.01",
                   "--batch-size", 4, "--steps", 3, "--save", tmp_path / out)
        assert proc.returncode == 0, proc.stderr
        return trained_weights(tmp_path / out)

    a, b, c = train(1, "a.onnx"), train(1, "b.onnx"), train(2, "c.onnx")
    for name in a:
        np.testing.assert_array_equal(a[name], b[name], err_msg=name)
    assert not np.array_equal(a["w1"], c["w1"])


def test_dropout_is_the_identity_in_dlc_run(dlc_bin, tmp_path):
    """A model with Dropout in inference form (no training_mode, as
    exporters write it) runs as the identity, before and after training."""
    model = mlp()
    mlp_onnx(model, tmp_path / "mlp.onnx")
    m = onnx.load(str(tmp_path / "mlp.onnx"))
    m.graph.node[2].input[0] = "d"
    m.graph.node.insert(2, helper.make_node("Dropout", ["a"], ["d"], name="drop"))
    onnx.save(m, str(tmp_path / "mlp.onnx"))
    rng = np.random.default_rng(12)
    x = rng.standard_normal((4, 6)).astype(np.float32)
    write_data(tmp_path / "data", [x], rng.integers(0, 3, 4).astype(np.int64))
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data", "--loss",
               "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", 4,
               "--steps", 2, "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    for path in ("mlp.onnx", "out.onnx"):
        w = trained_weights(tmp_path / path)
        want = np.tanh(x @ w["w1"].T + w["b1"]) @ w["w2"].T + w["b2"]
        (tmp_path / "in").mkdir(exist_ok=True)
        (tmp_path / "in" / "input_0.pb").write_bytes(numpy_helper.from_array(x).SerializeToString())
        proc = dlc(dlc_bin, "run", tmp_path / path, "--device", "host", "--input-shape", "x=4x6",
                   "--input-dir", tmp_path / "in",
                   "--output-dir", tmp_path / ("out_" + path))
        assert proc.returncode == 0, proc.stderr
        got = numpy_helper.to_array(onnx.load_tensor(str(tmp_path / ("out_" + path) / "output_0.pb")))
        np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)


# --- the DSL's train section: the loss target ------------------------------

DSL_HEAD = """const batch = 4
input x: f32[batch, 3]
param w: f32[3, 3] = normal(std=0.5)
param b: f32[3] = zeros
output y = x @ w + b
"""


def dsl_model(tmp_path, train):
    path = tmp_path / "model.dlc"
    path.write_text(DSL_HEAD + "train {\n" + train + "\n}\n")
    return path


def test_dsl_target_is_an_input(dlc_bin, tmp_path):
    """mse(y, x): the input's own samples are the target (no labels.pb)."""
    model = dsl_model(tmp_path, "loss = mse(y, x)\noptimizer = sgd(lr=0.1)\nbatch_size = batch\nsteps = 3")
    proc = dlc(dlc_bin, "export", model, "-o", tmp_path / "init.onnx")
    assert proc.returncode == 0, proc.stderr
    init = trained_weights(tmp_path / "init.onnx")
    x = np.random.default_rng(13).standard_normal((8, 3)).astype(np.float32)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "input_0.pb").write_bytes(numpy_helper.from_array(x).SerializeToString())
    proc = dlc(dlc_bin, "train", model, "--data", tmp_path / "data", "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    w = torch.tensor(init["w"], requires_grad=True)
    b = torch.tensor(init["b"], requires_grad=True)
    opt = torch.optim.SGD([w, b], lr=0.1)
    for i in range(3):
        xb = torch.from_numpy(x[(i % 2) * 4:(i % 2 + 1) * 4])
        opt.zero_grad()
        torch.nn.functional.mse_loss(xb @ w + b, xb).backward()
        opt.step()
    got = trained_weights(tmp_path / "out.onnx")
    np.testing.assert_allclose(got["w"], w.detach().numpy(), rtol=RTOL, atol=ATOL)
    np.testing.assert_allclose(got["b"], b.detach().numpy(), rtol=RTOL, atol=ATOL)


def test_dsl_target_label_type_is_checked(dlc_bin, tmp_path):
    model = dsl_model(tmp_path, "labels: f32[batch, 3]\nloss = mse(y, labels)\noptimizer = sgd(lr=0.1)\n"
                                "batch_size = batch\nsteps = 1")
    rng = np.random.default_rng(14)
    x = rng.standard_normal((8, 3)).astype(np.float32)
    write_data(tmp_path / "good", [x], rng.standard_normal((8, 3)).astype(np.float32))
    proc = dlc(dlc_bin, "train", model, "--data", tmp_path / "good", "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    write_data(tmp_path / "bad", [x], rng.integers(0, 3, (8, 2)).astype(np.int64))
    proc = dlc(dlc_bin, "train", model, "--data", tmp_path / "bad", "--save", tmp_path / "out.onnx")
    assert proc.returncode == 1, proc.stderr
    assert "labels.pb: i64[8, 2] does not fit the label 'labels' that the train section declares as f32[4, 3]" \
        in proc.stderr, proc.stderr


def test_dsl_target_output_is_refused(dlc_bin, tmp_path):
    path = tmp_path / "model.dlc"
    path.write_text(DSL_HEAD + "output z = y * 2.0\ntrain {\nloss = mse(y, z)\noptimizer = sgd(lr=0.1)\n"
                               "batch_size = batch\nsteps = 1\n}\n")
    write_data(tmp_path / "data", [np.zeros((8, 3), np.float32)], np.zeros((8, 3), np.float32))
    proc = dlc(dlc_bin, "train", path, "--data", tmp_path / "data", "--save", tmp_path / "out.onnx")
    assert proc.returncode == 1, proc.stderr
    assert "the train section's loss target 'z' is a model output" in proc.stderr, proc.stderr
