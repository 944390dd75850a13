#!/usr/bin/env bash
# The benchmarks on the GPU machine, from the bundle scripts/gpu-bundle.sh
# packs (device tool: carry [".gpu"], command `bash .gpu/gpu-bench.sh [ARGS]`;
# ARGS go to bench/compare.py: --models, --modes, --iters, --budget-s ...;
# `bash .gpu/gpu-bench.sh --train [ARGS]` runs bench/train_compare.py, the
# training steps, instead of step 2, with ARGS going to it).
# Logs, the profile, the trace and the comparison table go to $OUT; the table
# is printed last.
#   1. dlc bench on the example MLP: plain, --cuda-graph, --profile --trace
#      (the CUDA timing path: events around the run and around every step,
#      the copy-bandwidth measurement), each checked;
#   2. bench/compare.py --device cuda: dlc, PyTorch eager, torch.compile
#      (default, max-autotune) on the model set, outputs checked.
set -uo pipefail
source "$(dirname "$0")/gpu-common.sh"  # $out, $root, $dlc, step, summary

{ date -u; nvidia-smi --query-gpu=name,driver_version,memory.total,clocks.max.sm --format=csv,noheader
  python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.version.cuda)"
  echo "dlc commit $(cat "$root/COMMIT" 2>/dev/null)"; } | tee "$out/machine.txt"

mlp=$root/examples/mlp.onnx
step bench_mlp "$dlc" bench "$mlp" --device cuda --iters 200 --json
step bench_graph "$dlc" bench "$mlp" --device cuda --iters 200 --cuda-graph --json
step bench_profile "$dlc" bench "$mlp" --device cuda --iters 50 --profile --trace "$out/mlp-trace.json"
step check_bench python3 - "$out" <<'PY'
import json, sys
out = sys.argv[1]
for name in ("bench_mlp", "bench_graph"):
    r = json.load(open(f"{out}/{name}.log"))
    lat = r["latency_ms"]
    assert r["device"] == "cuda" and lat["n"] == 200 and 0 < lat["min"] <= lat["median"] <= lat["p90"], r
    assert r["compile_ms"]["nvrtc_cold"] is not None and r["memory_bytes"]["peak"] > 0, r
    print(name, "median", lat["median"], "ms; wall", r["wall_ms"]["median"], "ms; warm cache hit",
          r["compile_ms"]["warm_cache_hit"])
spans = [e for e in json.load(open(f"{out}/mlp-trace.json"))["traceEvents"] if e["ph"] == "X"]
assert spans and all(e["dur"] >= 0 for e in spans), spans
print("bench checks passed:", len(spans), "kernels in the trace")
PY
if [[ ${1:-} == --train ]]; then
  shift
  step train_compare python3 "$root/bench/train_compare.py" --device cuda --dlc "$dlc" --out "$out" "$@"
else
  step compare python3 "$root/bench/compare.py" --device cuda --dlc "$dlc" --out "$out" --budget-s 420 "$@"
fi

printf '%s\n' "${summary[@]}" | tee "$out/bench-summary.txt"
for table in compare.md train_compare.md; do [[ -f $out/$table ]] && cat "$out/$table"; done
