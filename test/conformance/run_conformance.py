"""Runs the ONNX backend node tests through `dlc run` and checks the result
against the exclusion list.

Every test directory (model.onnx + test_data_set_K/) is imported, compiled and
run on the host device by the dlc tool, one process per data set, and its
outputs are compared with the expected ones: floats with rtol 1e-3 and
atol 1e-5 (NaN matches NaN), integers and booleans exactly, dtypes and shapes
exactly.

exclusions.txt lists each test that is not expected to pass, with a reason
category. The run fails (exit 1) when a test that is not excluded fails, or
when an excluded test passes (the list must then be updated: --update does it,
keeping the categories of the entries that stay).

usage: run_conformance.py --dlc BIN --data DIR --exclusions FILE
                          [--jobs N] [--filter REGEX] [--update] [-v]
                          [-- EXTRA dlc run ARGS]
"""

import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-5
TIMEOUT_S = 120

# Reason categories of exclusions.txt: the list, plus "precision"
# for an expected output that the ONNX reference computes in reduced
# precision (dlc accumulates f16/bf16 in f32, and the two differ by more than
# the tolerance), and "bug" for a failure that is ours to fix and is tracked
# here rather than hidden.
CATEGORIES = {
    "op": "op not supported yet",
    "dtype": "dtype not supported (string, float8, float4, int4/int2, sequence/optional/map types)",
    "training": "training op",
    "random": "non-deterministic (random ops)",
    "dynamic-shape": "dynamic shape needing data-dependent output sizes",
    "control-flow": "control flow (If, Loop, Scan) without a compile-time structure",
    "precision": ("the reference computes in reduced precision (sums a bf16/f16 softmax one "
                  "addition at a time); dlc accumulates in f32"),
    "bug": "a known dlc bug, to be fixed",
}


def read_exclusions(path):
    """{test name: (category, note)}; malformed lines are errors."""
    table = {}
    with open(path) as f:
        for lineno, line in enumerate(f, 1):
            text = line.split("#", 1)[0].strip()
            if not text:
                continue
            parts = text.split(None, 2)
            if len(parts) < 2 or parts[1] not in CATEGORIES:
                sys.exit(f"{path}:{lineno}: expected 'TEST CATEGORY [note]' with CATEGORY "
                         f"one of {', '.join(CATEGORIES)}: {line.rstrip()}")
            if parts[0] in table:
                sys.exit(f"{path}:{lineno}: {parts[0]} is listed twice")
            table[parts[0]] = (parts[1], parts[2] if len(parts) > 2 else "")
    return table


def write_exclusions(path, table):
    header = ["# ONNX backend node tests that dlc is not expected to pass yet.",
              "# Format: TEST CATEGORY [note]. Maintained by run_conformance.py --update;",
              "# categories:"]
    header += [f"#   {name:14} {text}" for name, text in CATEGORIES.items()]
    by_cat = collections.defaultdict(list)
    for name, (cat, note) in table.items():
        by_cat[cat].append((name, note))
    lines = header
    for cat in CATEGORIES:
        if by_cat[cat]:
            lines += ["", f"# --- {cat}: {CATEGORIES[cat]} ({len(by_cat[cat])})"]
            width = max(len(n) for n, _ in by_cat[cat])
            lines += [f"{n:{width}} {cat} {note}".rstrip() for n, note in sorted(by_cat[cat])]
    with open(path, "w") as f:
        f.write("\n".join(lines) + "\n")


def load_tensor(path):
    proto = onnx.TensorProto()
    with open(path, "rb") as f:
        proto.ParseFromString(f.read())
    return numpy_helper.to_array(proto)


def compare(actual, expected):
    """None if equal under the tolerances, else why not."""
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    # bfloat16 (an ml_dtypes type) is no np.floating subtype, yet a float.
    if np.issubdtype(expected.dtype, np.floating) or expected.dtype.name == "bfloat16":
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        bad = ~np.isclose(a, e, rtol=RTOL, atol=ATOL, equal_nan=True)
    else:
        bad = actual != expected
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return (f"{int(bad.sum())} of {bad.size} elements differ, "
                f"first at {list(i)}: {actual[i]!r} vs expected {expected[i]!r}")
    return None


def classify(message):
    """A category for a new failure, from dlc's error message (for --update).
    "precision" is never guessed: a numeric mismatch is a "bug" until someone
    has shown that the reference is the less precise side."""
    if re.search(r"\((If|Loop|Scan), opset", message):
        return "control-flow"
    if re.search(r"op '(RandomNormal|RandomUniform|RandomNormalLike|RandomUniformLike|"
                 r"Bernoulli|Multinomial)' is not supported|\brandom\b", message):
        return "random"
    if re.search(r"domain ai\.onnx\.preview\.training\)", message):
        return "training"
    if re.search(r"output size depends on|op 'NonMaxSuppression' is not supported", message):
        return "dynamic-shape"
    if re.search(r"dtype|element type|not a tensor|data type|is a sequence|is an optional|"
                 r"op '(SplitToSequence|SequenceConstruct|Optional\w*)' is not supported", message):
        return "dtype"
    if re.search(r"op '\w+' is not supported|the domain is not supported", message):
        return "op"
    return "bug"


def run_test(dlc, test_dir, extra):
    """(passed, message) for one test directory."""
    model = os.path.join(test_dir, "model.onnx")
    data_sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
    if not data_sets:
        return False, "no test data sets"
    n_out = len(onnx.load(model, load_external_data=False).graph.output)
    for ds in data_sets:
        ds_dir = os.path.join(test_dir, ds)
        with tempfile.TemporaryDirectory(prefix="dlc-conf-") as out:
            cmd = [dlc, "run", model, "--device", "host", "--input-dir", ds_dir,
                   "--output-dir", out, *extra]
            try:
                proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
            except subprocess.TimeoutExpired:
                return False, f"timed out after {TIMEOUT_S}s"
            if proc.returncode < 0:
                return False, f"CRASH: killed by signal {-proc.returncode}: {proc.stderr.strip()[-300:]}"
            if proc.returncode != 0:
                msg = proc.stderr.strip().splitlines()
                return False, (msg[0] if msg else f"exit {proc.returncode}")
            for j in range(n_out):
                got = os.path.join(out, f"output_{j}.pb")
                if not os.path.exists(got):
                    return False, f"{ds}: output_{j}.pb was not written"
                why = compare(load_tensor(got), load_tensor(os.path.join(ds_dir, f"output_{j}.pb")))
                if why:
                    return False, f"{ds}: output {j}: {why}"
    return True, ""


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dlc", required=True)
    p.add_argument("--data", required=True, help="directory of generated node tests")
    p.add_argument("--exclusions", required=True)
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--filter", default="", help="only tests whose name matches this regex")
    p.add_argument("--update", action="store_true", help="rewrite the exclusion list")
    p.add_argument("-v", "--verbose", action="store_true", help="print every failure's message")
    p.add_argument("extra", nargs="*", help="extra arguments for dlc run (after --)")
    args = p.parse_args()

    excluded = read_exclusions(args.exclusions)
    tests = sorted(d for d in os.listdir(args.data)
                   if os.path.isdir(os.path.join(args.data, d)) and re.search(args.filter, d))
    if not tests:
        sys.exit(f"no tests in {args.data} match '{args.filter}'")
    unknown = sorted(set(excluded) - set(os.listdir(args.data)))
    if unknown and not args.filter:
        print(f"exclusions name {len(unknown)} tests that do not exist: {', '.join(unknown[:10])}")

    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(tests, pool.map(
            lambda t: run_test(args.dlc, os.path.join(args.data, t), args.extra), tests)))

    passed = [t for t in tests if results[t][0]]
    unexpected_fail = [t for t in tests if not results[t][0] and t not in excluded]
    unexpected_pass = [t for t in tests if results[t][0] and t in excluded]
    crashes = [t for t in tests if results[t][1].startswith(("CRASH", "timed out"))]
    by_cat = collections.Counter(excluded[t][0] for t in tests
                                 if t in excluded and not results[t][0])

    if args.verbose:
        for t in tests:
            if not results[t][0]:
                tag = f"excluded:{excluded[t][0]}" if t in excluded else "FAIL"
                print(f"{tag:22} {t}: {results[t][1]}")
    for t in unexpected_fail:
        print(f"FAIL  {t}: {results[t][1]}")
    for t in unexpected_pass:
        print(f"UNEXPECTED PASS  {t} (excluded as {excluded[t][0]})")
    for t in crashes:
        print(f"CRASH/HANG  {t}: {results[t][1]}")

    n = len(tests)
    print(f"\nONNX node tests: {n} run, {len(passed)} passed ({100.0 * len(passed) / n:.1f}%), "
          f"{len(unexpected_fail)} failed, {sum(by_cat.values())} excluded, "
          f"{len(unexpected_pass)} excluded but passing")
    for cat in CATEGORIES:
        if by_cat[cat]:
            print(f"  excluded {cat:14} {by_cat[cat]:5}  ({CATEGORIES[cat]})")

    if args.update:
        def note(t):
            return results[t][1].split("model.onnx: ", 1)[-1][:160].replace("\n", " ")
        # Entries that still fail keep their category and get today's message.
        table = {t: (cat, note(t) if t in results else old)
                 for t, (cat, old) in excluded.items() if t not in results or not results[t][0]}
        for t in unexpected_fail:
            table[t] = (classify(note(t)), note(t))
        write_exclusions(args.exclusions, table)
        print(f"updated {args.exclusions}: {len(table)} entries")
        return 0
    ok = not unexpected_fail and not unexpected_pass and not crashes
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
