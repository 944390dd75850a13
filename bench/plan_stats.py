"""Kernels and memory of the real models, fused and unfused.

Exports every case of test/models/real_models.py (and the transformer
models with 2 and 3 blocks, for the per-block kernel count), compiles each
with `dlc compile --stats --json` (the whole pipeline) and with
`--no-opt`-style unfused planning (`dlc compile --emit ir` then
`dlc-opt --dlc-plan-memory`), and prints a markdown table: kernels, arena
peak, lower bound and naive bytes. Deterministic: no timing is involved.

usage: .venv/bin/python bench/plan_stats.py [--dlc build/tools/dlc/dlc]
       [--dlc-opt build/tools/dlc-opt/dlc-opt] [--filter REGEX]
"""

import argparse
import json
import pathlib
import re
import subprocess
import sys
import tempfile

ROOT = pathlib.Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "test" / "models"))
import real_models  # noqa: E402


def run(*cmd, stdin=None):
    proc = subprocess.run([str(c) for c in cmd], capture_output=True, text=True, input=stdin)
    if proc.returncode != 0:
        sys.exit(f"failed: {' '.join(map(str, cmd))}\n{proc.stderr}")
    return proc.stdout


def stats(dlc, model):
    return json.loads(run(dlc, "compile", model, "--stats", "--json"))


def unfused(dlc, dlc_opt, model):
    ir = run(dlc, "compile", model, "--emit", "ir")
    planned = run(dlc_opt, "--dlc-plan-memory", "--dlc-verify-memory-plan", stdin=ir)
    main = re.search(r"func\.func @main[^{]*\{", planned).group(0)
    get = lambda k: int(re.search(k + r" = (\d+)", planned).group(1))
    body = planned.split(main, 1)[1]
    kernels = len(re.findall(r"^    %\S+ = dlc\.(?!constant)", body, re.M))
    return kernels, get("dlc.arena_bytes"), get("dlc.lower_bound_bytes"), get("dlc.naive_bytes")


def per_block(dlc, directory, name):
    cls = real_models.BertEncoder if name.startswith("bert") else real_models.GptDecoder
    counts = []
    for layers in (2, 3):
        case = f"{name}_L{layers}"
        make, inputs, opset, keep = real_models.CASES[name]
        real_models.CASES[case] = (lambda cls=cls, layers=layers: cls(layers=layers), inputs, opset, keep)
        path = directory / f"{case}.onnx"
        real_models.build_and_export(case, path, 0)
        del real_models.CASES[case]
        counts.append(stats(dlc, path)["kernels"])
    return counts[1] - counts[0]


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--dlc", default=ROOT / "build/tools/dlc/dlc")
    p.add_argument("--dlc-opt", default=ROOT / "build/tools/dlc-opt/dlc-opt")
    p.add_argument("--filter", default="")
    a = p.parse_args()
    directory = pathlib.Path(tempfile.mkdtemp(prefix="dlc-plan-stats-"))
    print("| model | kernels | per block | peak | lower bound | naive | peak / bound "
          "| unfused: kernels | peak | lower bound | naive |")
    print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |")
    for name in sorted(real_models.CASES):
        if not re.search(a.filter, name):
            continue
        path = directory / f"{name}.onnx"
        real_models.build_and_export(name, path, sorted(real_models.CASES).index(name))
        s = stats(a.dlc, path)
        u = unfused(a.dlc, a.dlc_opt, path)
        block = per_block(a.dlc, directory, name) if name.startswith(("bert", "gpt")) else ""
        ratio = s["peak_bytes"] / s["lower_bound_bytes"]
        print(f"| {name} | {s['kernels']} | {block} | {s['peak_bytes']:,} | {s['lower_bound_bytes']:,} "
              f"| {s['naive_bytes']:,} | {ratio:.3f} | {u[0]} | {u[1]:,} | {u[2]:,} | {u[3]:,} |",
              flush=True)


if __name__ == "__main__":
    main()
