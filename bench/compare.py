#!/usr/bin/env python3
"""dlc against PyTorch eager and torch.compile, side by side (issue 9).

Exports each model of the set with torch (random seeded weights, eval mode,
fp32), runs `dlc bench --json` on it with the inputs written to disk, times
PyTorch eager and torch.compile (mode "default" and "max-autotune") on the
same inputs on the same device, checks that every output agrees with eager's
(relative L2 error, tolerance below), and prints one markdown table of
latencies and ratios with the geometric means that the issue's goals use.

    python3 bench/compare.py --device cuda                 # the whole set
    python3 bench/compare.py --device cpu --models mlp_b64 --modes eager
    python3 bench/compare.py --list

Timing: dlc's number is `dlc bench`'s median (CUDA events around its steps,
inputs already on the device; on the host device the host's clock around a
run); the faster of its plain and --cuda-graph runs counts for the ratios.
PyTorch's is the median of CUDA events around one forward call with the
inputs already on the device (the host's clock on the CPU), after warm-up,
under torch.inference_mode. TF32 is off on both sides (dlc compiles fp32
GEMMs and convolutions without it; torch.backends.*.allow_tf32 = False), so
this compares fp32 with fp32. A ratio is rival time / dlc time: above 1, dlc
is faster.

Every result row goes to OUT/compare.jsonl as it is measured (a cut-off run
keeps what it had), the table to OUT/compare.md.
"""

import argparse
import json
import math
import os
import pathlib
import statistics
import subprocess
import sys
import time
import traceback
import warnings

import numpy as np

HERE = pathlib.Path(__file__).resolve().parent
sys.path.insert(0, str(HERE.parent / "test" / "models"))

# Relative L2 error ||dlc - eager|| / ||eager|| allowed in fp32 (both sides
# fp32 without TF32: summation order alone, far below this).
TOLERANCE = 1e-3


# --- the model set -------------------------------------------------------------

def _torch():
    import torch
    return torch


def mlp():
    nn = _torch().nn
    return nn.Sequential(nn.Linear(784, 512), nn.ReLU(), nn.Linear(512, 512), nn.ReLU(),
                         nn.Linear(512, 10))


def lenet():
    nn = _torch().nn
    return nn.Sequential(
        nn.Conv2d(1, 6, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(6, 16, 5), nn.ReLU(), nn.MaxPool2d(2), nn.Flatten(),
        nn.Linear(400, 120), nn.ReLU(), nn.Linear(120, 84), nn.ReLU(), nn.Linear(84, 10))


def torchvision(name):
    import real_models
    return lambda: real_models.randomize_batchnorm(real_models.torchvision_model(name))


def bert_base():
    import real_models
    return real_models.BertEncoder(vocab=30522, d=768, heads=12, layers=12, seq=128, classes=2)


def gpt2_small():
    import real_models
    torch = _torch()
    m = real_models.GptDecoder(vocab=50257, d=768, heads=12, layers=12, seq=512)
    for blk in m.blocks:  # the test model's mask buffer is 64 long
        blk.attn.keep = torch.tril(torch.ones(512, 512, dtype=torch.bool))
    return m


def lstm():
    import real_models
    return real_models.RecurrentClassifier(_torch().nn.LSTM, features=128, hidden=256, layers=2,
                                           classes=10)


def images(batch, channels=3, size=224):
    return lambda rng: [rng.standard_normal((batch, channels, size, size)).astype(np.float32)]


def tokens(batch, seq, vocab, mask):
    def make(rng):
        ids = rng.integers(0, vocab, (batch, seq)).astype(np.int64)
        if not mask:
            return [ids]
        pad = np.ones((batch, seq), np.float32)
        for b in range(batch):
            pad[b, seq - 1 - 8 * (b % 4):] = 0.0
        return [ids, pad]
    return make


# name -> (model factory, inputs factory(rng), opset)
MODELS = {
    "mlp_b64": (mlp, lambda rng: [rng.standard_normal((64, 784)).astype(np.float32)], 17),
    "lenet_b64": (lenet, images(64, 1, 28), 17),
    "resnet18_b1": (torchvision("resnet18"), images(1), 17),
    "resnet18_b32": (torchvision("resnet18"), images(32), 17),
    "resnet50_b1": (torchvision("resnet50"), images(1), 17),
    "resnet50_b32": (torchvision("resnet50"), images(32), 17),
    "mobilenetv2_b1": (torchvision("mobilenet_v2"), images(1), 17),
    "bert_base_b8": (bert_base, tokens(8, 128, 30522, True), 17),
    "gpt2_small_b4": (gpt2_small, tokens(4, 512, 50257, False), 17),
    "lstm_b32": (lstm, lambda rng: [rng.standard_normal((32, 64, 128)).astype(np.float32)], 17),
}
SMOKE = ["mlp_b64", "lenet_b64"]
MODES = ["eager", "compile", "max-autotune"]


# --- measuring -------------------------------------------------------------------

def rel_err(a, b):
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if a.shape != b.shape:
        return math.inf
    if not np.all(np.isfinite(a)):
        return math.inf
    denom = np.linalg.norm(b)
    return float(np.linalg.norm(a - b) / (denom if denom > 0 else 1.0))


def time_torch(fn, device, warmup, iters):
    """Median and p90 of one call, ms."""
    torch = _torch()
    for _ in range(warmup):
        fn()
    samples = []
    if device == "cuda":
        torch.cuda.synchronize()
        start, end = torch.cuda.Event(enable_timing=True), torch.cuda.Event(enable_timing=True)
        for _ in range(iters):
            start.record()
            fn()
            end.record()
            end.synchronize()
            samples.append(start.elapsed_time(end))
    else:
        for _ in range(iters):
            t = time.perf_counter()
            fn()
            samples.append((time.perf_counter() - t) * 1e3)
    samples.sort()
    return statistics.median(samples), samples[math.ceil(0.9 * len(samples)) - 1]


def write_inputs(inputs, directory):
    from onnx import numpy_helper
    directory.mkdir(parents=True, exist_ok=True)
    for i, x in enumerate(inputs):
        (directory / f"input_{i}.pb").write_bytes(numpy_helper.from_array(x).SerializeToString())


def read_outputs(directory):
    import onnx
    from onnx import numpy_helper
    out = []
    for i in range(1000):
        p = directory / f"output_{i}.pb"
        if not p.exists():
            break
        t = onnx.TensorProto()
        t.ParseFromString(p.read_bytes())
        out.append(numpy_helper.to_array(t))
    return out


def run_dlc(args, model_path, work, graph):
    """`dlc bench --json`; returns (result dict or None, outputs, error text)."""
    out_dir = work / ("out-graph" if graph else "out")
    cmd = [args.dlc, "bench", str(model_path), "--device", "cuda" if args.device == "cuda" else "host",
           "--warmup", str(args.warmup), "--iters", str(args.iters), "--json",
           "--input-dir", str(work / "in"), "--output-dir", str(out_dir)]
    if graph:
        cmd.append("--cuda-graph")
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=args.timeout)
    except subprocess.TimeoutExpired:
        return None, [], f"timed out after {args.timeout} s"
    (work / ("dlc-graph.log" if graph else "dlc.log")).write_text(
        " ".join(cmd) + "\n" + proc.stdout + proc.stderr)
    if proc.returncode != 0:
        last = proc.stderr.strip().splitlines()
        return None, [], f"rc {proc.returncode}: {last[-1] if last else ''}"
    return json.loads(proc.stdout), read_outputs(out_dir), ""


def measure(name, args, out_root):
    torch = _torch()
    make_model, make_inputs, opset = MODELS[name]
    row = {"model": name}
    work = out_root / "work" / name
    work.mkdir(parents=True, exist_ok=True)
    torch.manual_seed(0)
    model = make_model().eval()
    inputs = make_inputs(np.random.default_rng(0))
    row["batch"] = int(inputs[0].shape[0])
    model_path = work / f"{name}.onnx"
    t = time.perf_counter()
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        torch.onnx.export(model, tuple(torch.from_numpy(x) for x in inputs), str(model_path), dynamo=False,
                          opset_version=opset, do_constant_folding=True)
    row["export_s"] = round(time.perf_counter() - t, 2)
    write_inputs(inputs, work / "in")

    dev = torch.device(args.device)
    model = model.to(dev)
    xs = [torch.from_numpy(x).to(dev) for x in inputs]
    with torch.inference_mode():
        reference = model(*xs).float().cpu().numpy()

    # dlc: plain, and replayed as a CUDA graph on the GPU.
    for graph in ([False, True] if args.device == "cuda" else [False]):
        key = "dlc_graph" if graph else "dlc"
        result, outs, error = run_dlc(args, model_path, work, graph)
        if result is None:
            row[key + "_error"] = error
            continue
        row[key + "_ms"] = result["latency_ms"]["median"]
        row[key + "_p90_ms"] = result["latency_ms"]["p90"]
        row[key + "_err"] = rel_err(outs[0], reference) if outs else math.inf
        if not graph:
            row["dlc_compile_cold_ms"] = result["compile_ms"]["cold"]
            row["dlc_compile_warm_ms"] = result["compile_ms"]["warm"]
            row["dlc_memory_bytes"] = result["memory_bytes"]["peak"]
            row["dlc_kernels"] = result["kernels"]

    for mode in args.modes:
        try:
            with torch.inference_mode():
                if mode == "eager":
                    fn = model
                else:
                    torch._dynamo.reset()
                    fn = torch.compile(model, mode=None if mode == "compile" else mode)
                    t = time.perf_counter()
                    fn(*xs)
                    if args.device == "cuda":
                        torch.cuda.synchronize()
                    row[mode + "_compile_s"] = round(time.perf_counter() - t, 2)
                out = fn(*xs).float().cpu().numpy()
                row[mode + "_err"] = rel_err(out, reference)
                row[mode + "_ms"], row[mode + "_p90_ms"] = time_torch(lambda: fn(*xs), args.device,
                                                                      args.warmup, args.iters)
        except Exception as e:  # a rival that fails is recorded, not fatal
            row[mode + "_error"] = f"{type(e).__name__}: {str(e).splitlines()[0][:200] if str(e) else ''}"
            (work / f"{mode}.error.txt").write_text(traceback.format_exc())
    return row


def measure_all(script, names, measure_fn, args, out, log_path, budget_s=None):
    """measure_fn(name, args, out) for each name in turn; a model that raises is
    a row with "error". Each row is appended to log_path (JSON lines) as soon
    as it is measured, so that a run cut off keeps its rows. With budget_s, no
    model is started after that many seconds."""
    rows = []
    start = time.perf_counter()
    with open(log_path, "a") as log:
        for name in names:
            if budget_s is not None and time.perf_counter() - start > budget_s:
                print(f"{script}: --budget-s {budget_s:g} spent; not started: "
                      f"{', '.join(names[names.index(name):])}", file=sys.stderr)
                break
            print(f"{script}: {name} ...", file=sys.stderr, flush=True)
            try:
                row = measure_fn(name, args, out)
            except Exception as e:
                row = {"model": name, "error": f"{type(e).__name__}: {e}"}
                traceback.print_exc()
            rows.append(row)
            log.write(json.dumps(row) + "\n")
            log.flush()
            print(json.dumps(row), file=sys.stderr, flush=True)
    return rows


def failed_rows(rows, tolerance):
    """The models that failed, have no dlc time, or disagree beyond tolerance."""
    return [r["model"] for r in rows
            if "error" in r or "dlc_ms" not in r or max((r[k] for k in r if k.endswith("_err")),
                                                         default=math.inf) > tolerance]


# --- the table -------------------------------------------------------------------

def best_dlc(row):
    ms = [row[k] for k in ("dlc_ms", "dlc_graph_ms") if k in row]
    return min(ms) if ms else None


def geomean(xs):
    xs = [x for x in xs if x and x > 0 and math.isfinite(x)]
    return math.exp(sum(map(math.log, xs)) / len(xs)) if xs else None


def fmt(x, digits=3):
    if x is None:
        return "-"
    if isinstance(x, float) and not math.isfinite(x):
        return "inf"
    return f"{x:.{digits}f}" if isinstance(x, float) else str(x)


def table(rows, modes, device):
    lines = []
    head = ["model", "batch", "dlc ms", "dlc graph ms"] + [f"{m} ms" for m in modes] + \
           [f"vs {m}" for m in modes] + ["max rel err", "agree", "dlc compile cold/warm ms"] + \
           [f"{m} build s" for m in modes if m != "eager"]
    lines.append("| " + " | ".join(head) + " |")
    lines.append("|" + "|".join(" --- " if i == 0 else " ---: " for i in range(len(head))) + "|")
    ratios = {m: [] for m in modes}
    for r in rows:
        dlc = best_dlc(r)
        cells = [r["model"], str(r.get("batch", "-")),
                 fmt(r.get("dlc_ms")) if "dlc_ms" in r else
                 "fail: " + r.get("dlc_error", r.get("error", "?")).replace("|", "/")[:120],
                 fmt(r.get("dlc_graph_ms")) if device == "cuda" else "-"]
        cells += [fmt(r.get(f"{m}_ms")) if f"{m}_ms" in r else "fail" for m in modes]
        for m in modes:
            ratio = r[f"{m}_ms"] / dlc if dlc and r.get(f"{m}_ms") else None
            if ratio:
                ratios[m].append(ratio)
            cells.append(fmt(ratio, 2) + ("x" if ratio else ""))
        errs = [r[k] for k in r if k.endswith("_err")]
        worst = max(errs) if errs else None
        cells += [fmt(worst, 7) if worst is not None else "-",
                  "yes" if worst is not None and worst <= TOLERANCE else "NO"]
        cells.append(f"{fmt(r.get('dlc_compile_cold_ms'), 0)}/{fmt(r.get('dlc_compile_warm_ms'), 0)}")
        cells += [fmt(r.get(f"{m}_compile_s"), 1) for m in modes if m != "eager"]
        lines.append("| " + " | ".join(cells) + " |")
    lines.append("")
    for m in modes:
        g = geomean(ratios[m])
        worst = min(ratios[m]) if ratios[m] else None
        lines.append(f"- geometric mean of {m} time / dlc time over {len(ratios[m])} models: "
                     f"{fmt(g, 2)}x (slowest relative to {m}: {fmt(worst, 2)}x)")
    lines.append(f"- dlc time: the faster of its plain and CUDA-graph medians; agreement: relative L2 "
                 f"error against eager (and of the rivals against eager) at most {TOLERANCE:g}; fp32, no TF32")
    return "\n".join(lines)


def machine(device):
    torch = _torch()
    info = {"date": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "torch": torch.__version__,
            "device": device}
    if device == "cuda":
        info["gpu"] = torch.cuda.get_device_name(0)
        try:
            info["driver"] = subprocess.run(["nvidia-smi", "--query-gpu=driver_version", "--format=csv,noheader"],
                                            capture_output=True, text=True).stdout.strip()
        except OSError:
            pass
    return info


def run_comparison(script, description, models, smoke, measure_fn, table_fn, tolerance, stem, title, unit,
                   iters, warmup):
    """The command line and the whole run of a comparison script (this one and
    train_compare.py): parse and check the flags, turn TF32 off, measure every
    model (measure_all), write OUT/STEM.md (`title` on ... , then
    table_fn(rows, modes, device)) and OUT/machine.json. Returns the exit code:
    1 when a model failed or disagreed beyond `tolerance`."""
    ap = argparse.ArgumentParser(description=description)
    ap.add_argument("--models", default=None,
                    help="comma-separated names (default: all on cuda, %s on cpu)" % ",".join(smoke))
    ap.add_argument("--device", choices=["cuda", "cpu"], default="cuda",
                    help="cuda: dlc's CUDA device and torch on the GPU; cpu: dlc's host device and torch on the CPU")
    ap.add_argument("--modes", default=",".join(MODES),
                    help="the PyTorch rivals, comma-separated from %s" % ",".join(MODES))
    ap.add_argument("--iters", type=int, default=iters)
    ap.add_argument("--warmup", type=int, default=warmup)
    ap.add_argument("--dlc", default=os.environ.get("DLC_BIN", "dlc"), help="the dlc tool ($DLC_BIN)")
    ap.add_argument("--out", default=os.environ.get("OUT", "bench-out"), help="where logs and the table go ($OUT)")
    ap.add_argument("--timeout", type=int, default=900, help="seconds for one dlc bench run")
    ap.add_argument("--budget-s", type=float, default=None,
                    help="start no new model after this many seconds (the table covers those done)")
    ap.add_argument("--list", action="store_true", help="list the model set and exit")
    args = ap.parse_args()
    if args.list:
        print("\n".join(models))
        return 0
    names = args.models.split(",") if args.models else (list(models) if args.device == "cuda" else smoke)
    unknown = [n for n in names if n not in models]
    if unknown:
        ap.error(f"unknown model(s) {', '.join(unknown)}; --list shows the set")
    args.modes = [m for m in args.modes.split(",") if m]
    bad = [m for m in args.modes if m not in MODES]
    if bad:
        ap.error(f"unknown mode(s) {', '.join(bad)}: expected some of {', '.join(MODES)}")
    torch = _torch()
    if args.device == "cuda" and not torch.cuda.is_available():
        print(f"{script}: --device cuda but torch sees no GPU", file=sys.stderr)
        return 1
    torch.backends.cuda.matmul.allow_tf32 = False
    torch.backends.cudnn.allow_tf32 = False

    out = pathlib.Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    info = machine(args.device)
    info["command"] = " ".join(sys.argv)
    (out / "machine.json").write_text(json.dumps(info, indent=1))
    rows = measure_all(script, names, measure_fn, args, out, out / f"{stem}.jsonl", args.budget_s)
    text = (f"{title} on {info.get('gpu', 'the CPU')} ({info['date']}, torch {info['torch']}"
            f"{', driver ' + info['driver'] if 'driver' in info else ''}), {args.iters} timed {unit} after "
            f"{args.warmup} warm-up\n\n" + table_fn(rows, args.modes, args.device) + "\n")
    (out / f"{stem}.md").write_text(text)
    print(text)
    bad = failed_rows(rows, tolerance)
    if bad:
        print(f"{script}: failed or disagreeing: {', '.join(bad)}", file=sys.stderr)
        return 1
    return 0


def main():
    return run_comparison("compare.py", __doc__.split("\n\n")[0], MODELS, SMOKE, measure, table, TOLERANCE,
                          "compare", "dlc vs PyTorch", "runs", iters=100, warmup=10)


if __name__ == "__main__":
    sys.exit(main())
