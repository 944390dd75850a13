#!/usr/bin/env python3
"""dlc's training step against PyTorch eager and torch.compile (issue 9).

For each training model of the set (the MLP, ResNet-18 and the BERT-shaped
encoder), exports the model with torch (random seeded weights), writes one
batch of data and labels, runs `dlc bench MODEL --train --json` (the whole
training step, forward, loss, backward and optimizer update, compiled into
one executable, parameters and optimizer state resident on the device), and
times the same step in PyTorch eager and with torch.compile (the model and
the optimizer's step compiled, mode "default" and "max-autotune") on the
same batch from the same weights. Agreement: the first step's loss of every
side against eager's (relative error). One markdown table of step times and
ratios, with the geometric means the issue's goal uses ("training step: at
least 1.0x torch.compile").

    python3 bench/train_compare.py --device cuda
    python3 bench/train_compare.py --device cpu --models mlp_b64 --modes eager

Timing: dlc's number is `dlc bench --train`'s median step (CUDA events
around each step; the host's clock on the host device), the faster of its
plain and --cuda-graph runs. PyTorch's is the median of CUDA events around
one step (zero_grad, forward, loss, backward, optimizer step). fp32 without
TF32 on both sides. Rows go to OUT/train_compare.jsonl as they are measured,
the table to OUT/train_compare.md.
"""

import copy
import json
import pathlib
import subprocess
import sys
import time
import traceback
import warnings

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import compare  # noqa: E402  (the model set, timing and the machine's description)

# Relative error of the first step's loss against eager's: the same weights,
# batch and fp32 arithmetic, so only summation order differs.
TOLERANCE = 1e-4


# name -> (model factory, inputs factory(rng), classes, optimizer, settings, opset)
TRAIN_MODELS = {
    "mlp_b64": (compare.mlp, lambda rng: [rng.standard_normal((64, 784)).astype(np.float32)], 10, "sgd",
                {"lr": 0.01, "momentum": 0.9}, 17),
    "resnet18_b32": (compare.torchvision("resnet18"), compare.images(32), 1000, "sgd",
                     {"lr": 0.01, "momentum": 0.9, "weight_decay": 1e-4}, 17),
    "bert_base_b8": (compare.bert_base, compare.tokens(8, 128, 30522, True), 2, "adamw",
                     {"lr": 1e-4, "weight_decay": 0.01}, 17),
}
SMOKE = ["mlp_b64"]


def torch_optimizer(torch, name, params, settings):
    if name == "sgd":
        return torch.optim.SGD(params, lr=settings["lr"], momentum=settings.get("momentum", 0.0),
                               weight_decay=settings.get("weight_decay", 0.0))
    return torch.optim.AdamW(params, lr=settings["lr"], weight_decay=settings.get("weight_decay", 0.0))


def dlc_flags(optimizer, settings):
    flags = ["--loss", "softmax_cross_entropy", "--optimizer", optimizer]
    for key, value in settings.items():
        flags += ["--" + key.replace("_", "-"), repr(value)]
    return flags


def write_data(inputs, labels, directory):
    from onnx import numpy_helper
    directory.mkdir(parents=True, exist_ok=True)
    for i, x in enumerate(inputs):
        (directory / f"input_{i}.pb").write_bytes(numpy_helper.from_array(x).SerializeToString())
    (directory / "labels.pb").write_bytes(numpy_helper.from_array(labels).SerializeToString())


def run_dlc(args, model_path, work, batch, optimizer, settings, graph):
    """`dlc bench --train --json`; returns (result dict or None, error text)."""
    cmd = [args.dlc, "bench", str(model_path), "--train", "--data", str(work / "data"),
           "--batch-size", str(batch), "--device", "cuda" if args.device == "cuda" else "host",
           "--warmup", str(args.warmup), "--iters", str(args.iters), "--json"] + dlc_flags(optimizer, settings)
    if graph:
        cmd.append("--cuda-graph")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None, f"timed out after {args.timeout} s"
    (work / ("dlc-graph.log" if graph else "dlc.log")).write_text(" ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()
        return None, f"rc {proc.returncode}: {last[-1] if last else ''}"
    return json.loads(proc.stdout), ""


def rel(a, b):
    return abs(a - b) / max(abs(b), 1e-12)


def measure(name, args, out_root):
    torch = compare._torch()
    make_model, make_inputs, classes, optimizer, settings, opset = TRAIN_MODELS[name]
    row = {"model": name, "optimizer": optimizer}
    work = out_root / "work" / ("train-" + name)
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = make_model().eval()  # exported as inference; dlc train imports it in training form
    rng = np.random.default_rng(0)
    inputs = make_inputs(rng)
    batch = int(inputs[0].shape[0])
    labels = rng.integers(0, classes, batch).astype(np.int64)
    row["batch"] = batch
    model_path = work / f"{name}.onnx"
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(torch.from_numpy(x) for x in inputs), str(model_path), dynamo=False,
                          opset_version=opset, do_constant_folding=False)
    write_data(inputs, labels, work / "data")

    for graph in ([False, True] if args.device == "cuda" else [False]):
        key = "dlc_graph" if graph else "dlc"
        result, error = run_dlc(args, model_path, work, batch, optimizer, settings, graph)
        if result is None:
            row[key + "_error"] = error
            continue
        row[key + "_ms"] = result["latency_ms"]["median"]
        row[key + "_p90_ms"] = result["latency_ms"]["p90"]
        row[key + "_loss"] = result["train"]["first_loss"]
        if not graph:
            row["dlc_compile_cold_ms"] = result["compile_ms"]["cold"]
            row["dlc_memory_bytes"] = result["memory_bytes"]["peak"]
            row["dlc_kernels"] = result["kernels"]

    dev = torch.device(args.device)
    xs = [torch.from_numpy(x).to(dev) for x in inputs]
    ys = torch.from_numpy(labels).to(dev)
    start_state = copy.deepcopy(model.state_dict())
    loss_fn = torch.nn.CrossEntropyLoss()
    for mode in args.modes:
        try:
            m = make_model().to(dev)
            m.load_state_dict(start_state)
            m.train()
            opt = torch_optimizer(torch, optimizer, m.parameters(), settings)
            forward, update = m, opt.step
            if mode != "eager":
                torch._dynamo.reset()
                forward = torch.compile(m, mode=None if mode == "compile" else mode)
                update = torch.compile(opt.step, mode=None if mode == "compile" else mode)

            def step():
                opt.zero_grad(set_to_none=True)
                loss = loss_fn(forward(*xs), ys)
                loss.backward()
                update()
                return loss

            t = time.perf_counter()
            row[mode + "_loss"] = float(step().item())  # the first step: the agreement check
            if mode != "eager":
                row[mode + "_compile_s"] = round(time.perf_counter() - t, 2)
            row[mode + "_ms"], row[mode + "_p90_ms"] = compare.time_torch(step, args.device, args.warmup,
                                                                          args.iters)
        except Exception as e:  # a rival that fails is recorded, not fatal
            row[mode + "_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            (work / f"{mode}.error.txt").write_text(traceback.format_exc())
    if "eager_loss" in row:
        for k in [k for k in row if k.endswith("_loss") and k != "eager_loss"]:
            row[k[:-5] + "_err"] = rel(row[k], row["eager_loss"])
    return row


def table(rows, modes, device):
    lines = []
    head = ["model", "batch", "optimizer", "dlc ms", "dlc graph ms"] + [f"{m} ms" for m in modes] + \
           [f"vs {m}" for m in modes] + ["max loss rel err", "agree", "dlc compile cold ms"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(" --- " if i < 3 else " ---: " for i in range(len(head))) + "|")
    ratios = {m: [] for m in modes}
    for r in rows:
        dlc = compare.best_dlc(r)
        cells = [r["model"], str(r.get("batch", "-")), r.get("optimizer", "-"),
                 compare.fmt(r.get("dlc_ms")) if "dlc_ms" in r else
                 "fail: " + r.get("dlc_error", r.get("error", "?")).replace("|", "/")[:120],
                 compare.fmt(r.get("dlc_graph_ms")) if device == "cuda" else "-"]
        cells += [compare.fmt(r.get(f"{m}_ms")) if f"{m}_ms" in r else "fail" for m in modes]
        for m in modes:
            ratio = r[f"{m}_ms"] / dlc if dlc and r.get(f"{m}_ms") else None
            if ratio:
                ratios[m].append(ratio)
            cells.append(compare.fmt(ratio, 2) + ("x" if ratio else ""))
        errs = [r[k] for k in r if k.endswith("_err")]
        worst = max(errs) if errs else None
        cells += [compare.fmt(worst, 7) if worst is not None else "-",
                  "yes" if worst is not None and worst <= TOLERANCE else "NO",
                  compare.fmt(r.get("dlc_compile_cold_ms"), 0)]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for m in modes:
        g = compare.geomean(ratios[m])
        worst = min(ratios[m]) if ratios[m] else None
        lines.append(f"- geometric mean of {m} step time / dlc step time over {len(ratios[m])} models: "
                     f"{compare.fmt(g, 2)}x (slowest relative to {m}: {compare.fmt(worst, 2)}x)")
    lines.append(f"- agreement: the first step's loss against eager's, relative error at most {TOLERANCE:g}; "
                 "fp32, no TF32")
    return "\n".join(lines)


def main():
    return compare.run_comparison("train_compare.py", __doc__.split("\n\n")[0], TRAIN_MODELS, SMOKE, measure,
                                  table, TOLERANCE, "train_compare", "dlc training step vs PyTorch", "steps",
                                  iters=50, warmup=5)


if __name__ == "__main__":
    sys.exit(main())
