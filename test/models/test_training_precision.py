"""`dlc train --precision fp16|bf16` and fp16 loss scaling against torch
(docs/precision.md "Training"), on the host device.

The reference is written here in torch, independently of dlc's code: a
linear layer whose forward and backward products read 16-bit-rounded
operands and accumulate exactly (f64, rounded once to f32: what dlc's mixed
dot_general computes), parameters and Adam in f32, and torch's GradScaler
rules spelled out by hand (scale the loss, unscale the gradients, skip the
optimizer step on an inf/NaN and halve the scale, double it after
`interval` good steps). A very large first scale makes the first steps
overflow, so the skips, the halvings and a doubling are all compared."""

import re

import numpy as np
import pytest
import torch

from dlcutil import dlc
from test_training import mlp, mlp_onnx, trained_weights, write_data

LOW = {"fp16": torch.float16, "bf16": torch.bfloat16}


def rounded(t, dtype):
    return t.to(dtype).to(torch.float64)


class Product16(torch.autograd.Function):
    """a [B, K] @ w[N, K]^T with 16-bit operands, exact accumulation, an f32
    result; the backward products round their operands the same way."""

    @staticmethod
    def forward(ctx, a, w, dtype):
        ctx.save_for_backward(a, w)
        ctx.dtype = dtype
        return (rounded(a, dtype) @ rounded(w, dtype).T).float()

    @staticmethod
    def backward(ctx, g):
        a, w = ctx.saved_tensors
        g16 = rounded(g, ctx.dtype)
        return (g16 @ rounded(w, ctx.dtype)).float(), (g16.T @ rounded(a, ctx.dtype)).float(), None


def forward16(model, x, dtype):
    l1, l2 = model[0], model[2]
    h = torch.tanh(Product16.apply(x, l1.weight, dtype) + l1.bias)
    return Product16.apply(h, l2.weight, dtype) + l2.bias


def reference(model, x, y, batch, steps, dtype, scale=None, interval=2000, lr=0.01):
    """Adam, and (scale given) GradScaler's rules by hand. Returns the losses
    and, per step, None or the scale after a skipped step."""
    params = list(model.parameters())
    opt = torch.optim.Adam(params, lr=lr)
    good, losses, skips = 0, [], []
    n = x.shape[0]
    for i in range(steps):
        rows = np.arange((i % (n // batch)) * batch, (i % (n // batch) + 1) * batch)
        for p in params:
            p.grad = None
        loss = torch.nn.functional.cross_entropy(forward16(model, torch.from_numpy(x[rows]), dtype),
                                                 torch.from_numpy(y[rows]))
        losses.append(loss.item())
        if scale is None:
            loss.backward()
            opt.step()
            skips.append(None)
            continue
        (loss * torch.tensor(scale, dtype=torch.float32)).backward()
        inverse = torch.tensor(1.0 / scale, dtype=torch.float32)
        grads = [p.grad * inverse for p in params]
        if all(bool(torch.isfinite(g).all()) for g in grads):
            for p, g in zip(params, grads):
                p.grad = g
            opt.step()
            good += 1
            if good == interval:
                scale, good = scale * 2.0, 0
            skips.append(None)
        else:
            scale, good = scale * 0.5, 0
            skips.append(float(np.float32(scale)))
    return losses, skips


def parse_steps(stdout):
    losses, skips = [], []
    for line in stdout.splitlines():
        m = re.match(r"step \d+/\d+: loss (\S+)(?: \(skipped: overflow, scale (\S+)\))?$", line)
        if m:
            losses.append(float(m.group(1)))
            # printed with 9 significant digits: the f32 scale round-trips
            skips.append(float(np.float32(m.group(2))) if m.group(2) else None)
    return losses, skips


def setup(tmp_path, seed=1, samples=20):
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((samples, 6)).astype(np.float32)
    y = rng.integers(0, 3, samples).astype(np.int64)
    model = mlp()
    mlp_onnx(model, tmp_path / "mlp.onnx")
    write_data(tmp_path / "data", [x], y)
    return model, x, y


def train(dlc_bin, tmp_path, *flags, steps, batch=10):
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", "--optimizer", "adam", "--lr", "0.01",
               "--batch-size", batch, "--steps", steps, "--save", tmp_path / "out.onnx", *flags)
    assert proc.returncode == 0, proc.stderr
    return proc


def compare_weights(tmp_path, model, rtol, atol):
    got = trained_weights(tmp_path / "out.onnx")
    want = {"w1": model[0].weight, "b1": model[0].bias, "w2": model[2].weight, "b2": model[2].bias}
    for name, t in want.items():
        np.testing.assert_allclose(got[name], t.detach().numpy(), rtol=rtol, atol=atol, err_msg=name)


def test_fp16_dynamic_loss_scale_matches_gradscaler_rules(dlc_bin, tmp_path):
    model, x, y = setup(tmp_path)
    steps, init, interval = 16, 2.0 ** 24, 3
    proc = train(dlc_bin, tmp_path, "--precision", "fp16", "--loss-scale-init", init,
                 "--loss-scale-growth-interval", interval, steps=steps)
    losses, skips = parse_steps(proc.stdout)
    want_losses, want_skips = reference(model, x, y, 10, steps, torch.float16, scale=init, interval=interval)
    print(proc.stdout)
    assert skips == want_skips, proc.stdout
    # The run must exercise the rules: skips, then good steps, a doubling
    # and the overflow that follows it.
    assert skips[0] is not None and skips.count(None) >= interval + 1, want_skips
    assert any(s is not None for s in skips[skips.index(None):]), want_skips
    np.testing.assert_allclose(losses, want_losses, rtol=1e-4, atol=1e-5)
    compare_weights(tmp_path, model, rtol=1e-4, atol=1e-5)


@pytest.mark.parametrize("precision", ["fp16", "bf16"])
def test_mixed_precision_training_matches_reference(dlc_bin, tmp_path, precision):
    """fp16 with its default dynamic scale (65536: no overflow on this
    model, so it is invisible in the result), bf16 with none."""
    model, x, y = setup(tmp_path, seed=2)
    proc = train(dlc_bin, tmp_path, "--precision", precision, steps=6)
    losses, skips = parse_steps(proc.stdout)
    assert skips == [None] * 6, proc.stdout
    want_losses, _ = reference(model, x, y, 10, 6, LOW[precision])
    np.testing.assert_allclose(losses, want_losses, rtol=1e-4, atol=1e-5)
    compare_weights(tmp_path, model, rtol=1e-4, atol=1e-5)


def test_bf16_close_to_torch_autocast(dlc_bin, tmp_path):
    """torch.autocast on the CPU (bf16) also rounds each linear layer's
    output and the tanh to bf16, which dlc keeps in f32: the trained weights
    agree to bf16's precision, not bit for bit."""
    model, x, y = setup(tmp_path, seed=3)
    start = {n: p.detach().clone() for n, p in model.named_parameters()}
    train(dlc_bin, tmp_path, "--precision", "bf16", steps=6)
    opt = torch.optim.Adam(model.parameters(), lr=0.01)
    for i in range(6):
        rows = np.arange((i % 2) * 10, (i % 2 + 1) * 10)
        opt.zero_grad()
        with torch.autocast("cpu", dtype=torch.bfloat16):
            logits = model(torch.from_numpy(x[rows]))
        torch.nn.functional.cross_entropy(logits.float(), torch.from_numpy(y[rows])).backward()
        opt.step()
    got = trained_weights(tmp_path / "out.onnx")
    names = {"w1": "0.weight", "b1": "0.bias", "w2": "2.weight", "b2": "2.bias"}
    for name, tname in names.items():
        want = dict(model.named_parameters())[tname].detach()
        moved = (want - start[tname]).abs().max().item()
        diff = np.abs(got[name] - want.numpy()).max()
        # Adam moves each weight by about lr per step (6e-2 in all); the two
        # roundings differ by a few bf16 ulps of the gradients.
        assert diff <= 0.1 * moved, f"{name}: dlc and autocast differ by {diff}, the weights moved {moved}"


def test_static_scale_that_overflows_skips_every_step(dlc_bin, tmp_path):
    model, _, _ = setup(tmp_path)
    proc = train(dlc_bin, tmp_path, "--precision", "fp16", "--loss-scale", "1e30", steps=3)
    _, skips = parse_steps(proc.stdout)
    assert skips == [float(np.float32(1e30))] * 3, proc.stdout
    got = trained_weights(tmp_path / "out.onnx")
    np.testing.assert_array_equal(got["w1"], model[0].weight.detach().numpy())
    np.testing.assert_array_equal(got["b2"], model[2].bias.detach().numpy())


def test_epoch_log_counts_skips(dlc_bin, tmp_path):
    setup(tmp_path)
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", 10,
               "--epochs", 1, "--precision", "fp16", "--loss-scale-init", 2.0 ** 30,
               "--save", tmp_path / "out.onnx")
    assert proc.returncode == 0, proc.stderr
    assert "2 skipped (overflow), scale 268435456" in proc.stdout, proc.stdout


@pytest.mark.parametrize("flags, message", [
    (["--precision", "fp8"], "--precision 'fp8': expected fp32, tf32, fp16 or bf16"),
    (["--loss-scale", "big"], "--loss-scale 'big': expected dynamic, none or a positive number"),
    (["--loss-scale", "0"], "--loss-scale '0': expected dynamic, none or a positive number"),
    (["--precision", "bf16", "--loss-scale-growth-interval", "10"],
     "--loss-scale-growth-interval goes with --loss-scale dynamic"),
    (["--precision", "fp16", "--loss-scale", "128", "--loss-scale-init", "4"],
     "--loss-scale-init goes with --loss-scale dynamic"),
    (["--loss-scale-growth-interval", "0"], "--loss-scale-growth-interval '0': expected an integer"),
    (["--loss-scale", "dynamic", "--loss-scale-init", "1e39"], "overflows f32"),
])
def test_flag_errors(dlc_bin, tmp_path, flags, message):
    setup(tmp_path)
    proc = dlc(dlc_bin, "train", tmp_path / "mlp.onnx", "--data", tmp_path / "data",
               "--loss", "softmax_cross_entropy", "--optimizer", "sgd", "--lr", "0.1", "--batch-size", 10,
               "--steps", 1, "--save", tmp_path / "out.onnx", *flags)
    assert proc.returncode == 1, proc.stderr
    assert message in proc.stderr, proc.stderr
    assert len(proc.stderr.strip().splitlines()) == 1, proc.stderr
