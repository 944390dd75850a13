"""The real-model end-to-end set (issue 3): torchvision CNNs, a BERT-style
encoder, a GPT-style causal decoder, LSTM and GRU sequence classifiers.

Each case is exported inside the test setup by torch's TorchScript exporter
(CPU, random seeded weights, eval mode) at a chosen opset, since exporters
emit different decompositions at different opsets (LayerNormalization only
from 17, Split/Squeeze/Unsqueeze with attribute axes before 13 ...). CNNs are
exported twice: with batch norm folded into the convolutions (the exporter's
default in eval mode) and kept as BatchNormalization nodes.
"""

import math
import warnings

import numpy as np
import torch
from torch import nn


# --- transformers written with plain torch ops --------------------------------

class SelfAttention(nn.Module):
    def __init__(self, d, heads, causal):
        super().__init__()
        self.heads, self.causal = heads, causal
        self.qkv = nn.Linear(d, 3 * d)
        # GPT-2 keeps the causal mask as a buffer and slices it per length.
        self.register_buffer("keep", torch.tril(torch.ones(64, 64, dtype=torch.bool)))
        self.out = nn.Linear(d, d)

    def forward(self, x, pad_mask=None):
        b, s, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        def heads(t):
            return t.reshape(b, s, self.heads, d // self.heads).transpose(1, 2)
        q, k, v = heads(q), heads(k), heads(v)
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        if self.causal:
            scores = scores.masked_fill(~self.keep[:s, :s], float("-inf"))
        if pad_mask is not None:  # [b, s], 1 = token, 0 = padding
            scores = scores + (1.0 - pad_mask[:, None, None, :]) * -10000.0
        y = torch.softmax(scores, dim=-1) @ v
        return self.out(y.transpose(1, 2).reshape(b, s, d))


class Block(nn.Module):
    def __init__(self, d, heads, causal, gelu_approx):
        super().__init__()
        self.ln1, self.ln2 = nn.LayerNorm(d), nn.LayerNorm(d)
        self.attn = SelfAttention(d, heads, causal)
        self.ff1, self.ff2 = nn.Linear(d, 4 * d), nn.Linear(4 * d, d)
        self.gelu_approx = gelu_approx

    def forward(self, x, pad_mask=None):
        x = x + self.attn(self.ln1(x), pad_mask)
        h = nn.functional.gelu(self.ff1(self.ln2(x)), approximate=self.gelu_approx)
        return x + self.ff2(h)


class BertEncoder(nn.Module):
    """Token + position embeddings, post-embedding layer norm, padding mask,
    blocks, a pooled classification head."""

    def __init__(self, vocab=100, d=64, heads=4, layers=2, seq=16, classes=3):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
        self.ln = nn.LayerNorm(d)
        self.blocks = nn.ModuleList(Block(d, heads, False, "none") for _ in range(layers))
        self.head = nn.Linear(d, classes)

    def forward(self, ids, pad_mask):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.ln(self.tok(ids) + self.pos(pos))
        for blk in self.blocks:
            x = blk(x, pad_mask)
        return self.head(torch.tanh(x[:, 0]))


class GptDecoder(nn.Module):
    """Causal self-attention, tanh-approximated GELU, final layer norm and an
    LM head tied to the token embedding."""

    def __init__(self, vocab=100, d=64, heads=4, layers=2, seq=16):
        super().__init__()
        self.tok, self.pos = nn.Embedding(vocab, d), nn.Embedding(seq, d)
        self.blocks = nn.ModuleList(Block(d, heads, True, "tanh") for _ in range(layers))
        self.ln = nn.LayerNorm(d)

    def forward(self, ids):
        pos = torch.arange(ids.shape[1]).unsqueeze(0)
        x = self.tok(ids) + self.pos(pos)
        for blk in self.blocks:
            x = blk(x)
        return self.ln(x) @ self.tok.weight.t()


class RecurrentClassifier(nn.Module):
    def __init__(self, cell, features=12, hidden=24, layers=2, classes=5):
        super().__init__()
        self.rnn = cell(features, hidden, num_layers=layers, batch_first=True)
        self.head = nn.Linear(hidden, classes)

    def forward(self, x):
        y, _ = self.rnn(x)
        return self.head(y[:, -1])


# --- the cases -----------------------------------------------------------------

def torchvision_model(name):
    import torchvision
    return getattr(torchvision.models, name)(weights=None)


def randomize_batchnorm(model):
    """Non-trivial running statistics, so a wrong batch-norm formula fails."""
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                m.running_mean.uniform_(-0.2, 0.2)
                m.running_var.uniform_(0.5, 1.5)
                m.weight.uniform_(0.8, 1.2)
                m.bias.uniform_(-0.2, 0.2)
    return model


def image(batch, rng):
    return [rng.standard_normal((batch, 3, 224, 224)).astype(np.float32)]


def tokens(batch, rng, seq=16, vocab=100, padded=False):
    ids = rng.integers(0, vocab, (batch, seq)).astype(np.int64)
    if not padded:
        return [ids]
    mask = np.ones((batch, seq), np.float32)
    for b in range(batch):
        mask[b, seq - 1 - b % 4:] = 0.0  # a few padded positions per row
    return [ids, mask]


# name -> (model factory, inputs factory(rng), opset, keep batch norm)
CASES = {}
for batch in (1, 4):
    for arch, opset in (("resnet18", 13), ("mobilenet_v2", 17), ("squeezenet1_0", 15),
                        ("vgg11", 16)):
        for keep_bn in ((False, True) if arch in ("resnet18", "mobilenet_v2") else (False,)):
            CASES[f"{arch}_b{batch}_{'bn' if keep_bn else 'folded'}_op{opset}"] = (
                lambda arch=arch: randomize_batchnorm(torchvision_model(arch)),
                lambda rng, batch=batch: image(batch, rng), opset, keep_bn)
for opset in (13, 17):
    CASES[f"bert_op{opset}"] = (BertEncoder, lambda rng: tokens(2, rng, padded=True), opset, False)
    CASES[f"gpt_op{opset}"] = (GptDecoder, lambda rng: tokens(2, rng), opset, False)
for opset in (14, 17):
    CASES[f"lstm_op{opset}"] = (lambda: RecurrentClassifier(nn.LSTM),
                                lambda rng: [rng.standard_normal((3, 10, 12)).astype(np.float32)],
                                opset, False)
    CASES[f"gru_op{opset}"] = (lambda: RecurrentClassifier(nn.GRU),
                               lambda rng: [rng.standard_normal((3, 10, 12)).astype(np.float32)],
                               opset, False)


def build_and_export(name, path, seed):
    """Exports case `name` to `path`; returns (inputs, torch outputs)."""
    make, make_inputs, opset, keep_bn = CASES[name]
    torch.manual_seed(seed)
    model = make().eval()
    inputs = make_inputs(np.random.default_rng(seed))
    args = tuple(torch.from_numpy(x) for x in inputs)
    with torch.no_grad():
        expected = model(*args).numpy()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the TorchScript exporter is deprecated
        torch.onnx.export(
            model, args, str(path), dynamo=False, opset_version=opset,
            training=(torch.onnx.TrainingMode.PRESERVE if keep_bn
                      else torch.onnx.TrainingMode.EVAL),
            do_constant_folding=not keep_bn)
    return inputs, [expected]
