"""Runs the ONNX backend node tests through `dlc run` and checks the result
against the exclusion list.

Every test directory (model.onnx + test_data_set_K/) is imported, compiled and
run on the host device by the dlc tool, one process per data set, and its
outputs are compared with the expected ones: floats with rtol 1e-3 and
atol 1e-5 (NaN matches NaN), integers and booleans exactly, dtypes and shapes
exactly.

--differential also runs each data set with `--no-opt` (the imported IR, no
pass) and compares the two runs of dlc with each other: floats with rtol 1e-4
and atol 1e-6, everything else exactly. The default run executes the fused,
memory-planned executable, so this checks that fusion and memory planning
(and every other pass) keep the results. A mismatch is a failure of its own
category, `differential`, reported with the output and the largest absolute
and relative errors; it is reported even for a test excluded for another
reason (the exclusion covers the reference comparison, not the passes).

exclusions.txt lists each test that is not expected to pass, with a reason
category. The run fails (exit 1) when a test that is not excluded fails, or
when an excluded test passes (the list must then be updated: --update does it,
keeping the categories of the entries that stay).

usage: run_conformance.py --dlc BIN --data DIR --exclusions FILE
                          [--differential] [--jobs N] [--filter REGEX]
                          [--update] [-v] [-- EXTRA dlc run ARGS]
"""

import argparse
import collections
import concurrent.futures
import os
import re
import subprocess
import sys
import tempfile
import time

import numpy as np
import onnx
from onnx import numpy_helper

RTOL, ATOL = 1e-3, 1e-5
# The optimised and unoptimised runs compute the same ops in the same
# precision; only reassociation by the passes may move the last bits.
DIFF_RTOL, DIFF_ATOL = 1e-4, 1e-6
DIFFERENTIAL = "differential"
TIMEOUT_S = 120
DEVICE = "host"  # --device

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
    DIFFERENTIAL: ("the optimised run and the --no-opt run differ (a pass changes the "
                   "result; checked with --differential)"),
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


def is_float(dtype):
    # bfloat16 (an ml_dtypes type) is no np.floating subtype, yet a float.
    return np.issubdtype(dtype, np.floating) or dtype.name == "bfloat16"


def mismatches(actual, expected, rtol, atol):
    """A boolean array of the elements that differ: floats under the
    tolerances (NaN matches NaN), anything else exactly."""
    if is_float(expected.dtype):
        a, e = actual.astype(np.float64), expected.astype(np.float64)
        return ~np.isclose(a, e, rtol=rtol, atol=atol, equal_nan=True)
    return actual != expected


def compare(actual, expected):
    """None if equal under the tolerances, else why not."""
    if actual.dtype != expected.dtype:
        return f"dtype {actual.dtype}, expected {expected.dtype}"
    if actual.shape != expected.shape:
        return f"shape {list(actual.shape)}, expected {list(expected.shape)}"
    bad = mismatches(actual, expected, RTOL, ATOL)
    if bad.any():
        i = tuple(int(k) for k in np.argwhere(bad)[0])
        return (f"{int(bad.sum())} of {bad.size} elements differ, "
                f"first at {list(i)}: {actual[i]!r} vs expected {expected[i]!r}")
    return None


def compare_runs(optimised, unoptimised):
    """None if the two runs agree, else the differences with the largest
    absolute and relative errors over the differing elements."""
    if optimised.dtype != unoptimised.dtype or optimised.shape != unoptimised.shape:
        return (f"{optimised.dtype}{list(optimised.shape)} optimised vs "
                f"{unoptimised.dtype}{list(unoptimised.shape)} with --no-opt")
    bad = mismatches(optimised, unoptimised, DIFF_RTOL, DIFF_ATOL)
    if not bad.any():
        return None
    a = optimised[bad].astype(np.float64)
    b = unoptimised[bad].astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        abs_err = np.where(np.isnan(a) != np.isnan(b), np.inf, np.abs(a - b))
        rel_err = abs_err / np.abs(b)
    abs_err, rel_err = np.nan_to_num(abs_err, nan=np.inf), np.nan_to_num(rel_err, nan=np.inf)
    i = tuple(int(k) for k in np.argwhere(bad)[0])
    return (f"{int(bad.sum())} of {bad.size} elements differ, max abs error {abs_err.max():.3g}, "
            f"max rel error {rel_err.max():.3g}; first at {list(i)}: {optimised[i]!r} optimised vs "
            f"{unoptimised[i]!r} with --no-opt")


def classify(message):
    """A category for a new failure, from dlc's error message (for --update).
    "precision" is never guessed: a numeric mismatch is a "bug" until someone
    has shown that the reference is the less precise side."""
    if message.startswith(DIFFERENTIAL + ":"):
        return DIFFERENTIAL
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


def run_dlc(dlc, model, ds_dir, out, flags):
    """None if `dlc run` wrote its outputs to `out`, else why not."""
    cmd = [dlc, "run", model, "--device", DEVICE, "--input-dir", ds_dir, "--output-dir", out, *flags]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=TIMEOUT_S)
    except subprocess.TimeoutExpired:
        return f"timed out after {TIMEOUT_S}s"
    if proc.returncode < 0:
        return f"CRASH: killed by signal {-proc.returncode}: {proc.stderr.strip()[-300:]}"
    if proc.returncode != 0:
        msg = proc.stderr.strip().splitlines()
        return msg[0] if msg else f"exit {proc.returncode}"
    return None


def read_outputs(out, n_out, ds):
    """The outputs of one run, or the reason they are missing."""
    outs = []
    for j in range(n_out):
        path = os.path.join(out, f"output_{j}.pb")
        if not os.path.exists(path):
            return None, f"{ds}: output_{j}.pb was not written"
        outs.append(load_tensor(path))
    return outs, None


def run_test(dlc, test_dir, extra, differential):
    """(passed, message, compared) for one test directory; compared: the
    optimised and --no-opt runs were compared. A differential failure's
    message starts with 'differential:' and comes before a mismatch with the
    reference (the passes changing results is the graver fault)."""
    model = os.path.join(test_dir, "model.onnx")
    data_sets = sorted(d for d in os.listdir(test_dir) if d.startswith("test_data_set_"))
    if not data_sets:
        return False, "no test data sets", False
    n_out = len(onnx.load(model, load_external_data=False).graph.output)
    reference_failure, compared = None, False
    for ds in data_sets:
        ds_dir = os.path.join(test_dir, ds)
        with tempfile.TemporaryDirectory(prefix="dlc-conf-") as out:
            why = run_dlc(dlc, model, ds_dir, out, extra)
            if why:
                return False, why, compared
            got, why = read_outputs(out, n_out, ds)
            if why:
                return False, why, compared
        for j in range(n_out):
            why = compare(got[j], load_tensor(os.path.join(ds_dir, f"output_{j}.pb")))
            if why and not reference_failure:
                reference_failure = f"{ds}: output {j}: {why}"
        if not differential:
            continue
        with tempfile.TemporaryDirectory(prefix="dlc-conf-noopt-") as out:
            why = run_dlc(dlc, model, ds_dir, out, [*extra, "--no-opt"])
            if why:
                return False, f"{DIFFERENTIAL}: {ds}: the --no-opt run failed: {why}", compared
            plain, why = read_outputs(out, n_out, ds)
            if why:
                return False, f"{DIFFERENTIAL}: {why} by the --no-opt run", compared
        compared = True
        for j in range(n_out):
            why = compare_runs(got[j], plain[j])
            if why:
                return False, f"{DIFFERENTIAL}: {ds}: output {j}: {why}", compared
    if reference_failure:
        return False, reference_failure, compared
    return True, "", compared


def is_differential(message):
    return message.startswith(DIFFERENTIAL + ":")


def main():
    p = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    p.add_argument("--dlc", required=True)
    p.add_argument("--data", required=True, help="directory of generated node tests")
    p.add_argument("--exclusions", required=True)
    p.add_argument("--differential", action="store_true",
                   help="also run each test with --no-opt and compare the two runs")
    p.add_argument("--device", default="host", choices=["host", "cuda"],
                   help="the device dlc runs the tests on (the GPU suite uses cuda)")
    p.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    p.add_argument("--filter", default="", help="only tests whose name matches this regex")
    p.add_argument("--update", action="store_true", help="rewrite the exclusion list")
    p.add_argument("-v", "--verbose", action="store_true", help="print every failure's message")
    p.add_argument("extra", nargs="*", help="extra arguments for dlc run (after --)")
    args = p.parse_args()
    global DEVICE
    DEVICE = args.device

    all_excluded = read_exclusions(args.exclusions)
    # Without --differential nothing checks the entries of that category.
    excluded = {t: e for t, e in all_excluded.items()
                if args.differential or e[0] != DIFFERENTIAL}
    tests = sorted(d for d in os.listdir(args.data)
                   if os.path.isdir(os.path.join(args.data, d)) and re.search(args.filter, d))
    if not tests:
        sys.exit(f"no tests in {args.data} match '{args.filter}'")
    unknown = sorted(set(all_excluded) - set(os.listdir(args.data)))
    if unknown and not args.filter:
        print(f"exclusions name {len(unknown)} tests that do not exist: {', '.join(unknown[:10])}")

    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        results = dict(zip(tests, pool.map(
            lambda t: run_test(args.dlc, os.path.join(args.data, t), args.extra, args.differential),
            tests)))
    elapsed = time.monotonic() - start

    def expected_failure(t):
        """An exclusion covers a failure of its own kind only: a differential
        mismatch is never hidden by an entry for the reference comparison."""
        return (t in excluded and not results[t][0] and
                (excluded[t][0] == DIFFERENTIAL) == is_differential(results[t][1]))

    passed = [t for t in tests if results[t][0]]
    unexpected_fail = [t for t in tests if not results[t][0] and not expected_failure(t)]
    unexpected_pass = [t for t in tests if results[t][0] and t in excluded]
    crashes = [t for t in tests
               if re.search(r"(^|: )(CRASH: killed by signal|timed out after)", results[t][1])]
    by_cat = collections.Counter(excluded[t][0] for t in tests if expected_failure(t))

    if args.verbose:
        for t in tests:
            if not results[t][0]:
                tag = f"excluded:{excluded[t][0]}" if expected_failure(t) else "FAIL"
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
          f"{len(unexpected_pass)} excluded but passing ({elapsed:.0f}s, {args.jobs} jobs)")
    if args.differential:
        compared = sum(1 for t in tests if results[t][2])
        differ = sum(1 for t in tests if is_differential(results[t][1]))
        print(f"  differential (default pipeline vs --no-opt): {compared} tests compared, "
              f"{differ} differ")
    for cat in CATEGORIES:
        if by_cat[cat]:
            print(f"  excluded {cat:14} {by_cat[cat]:5}  ({CATEGORIES[cat]})")

    if args.update:
        def note(t):
            return re.sub(r"\S*model\.onnx: ", "", results[t][1], count=1)[:160].replace("\n", " ")
        # Entries that still fail as listed keep their category and get
        # today's message; entries this run did not check stay as they are.
        table = {}
        for t, (cat, old) in all_excluded.items():
            if t not in results or t not in excluded:
                table[t] = (cat, old)
            elif expected_failure(t):
                table[t] = (cat, note(t))
        for t in unexpected_fail:
            table[t] = (classify(note(t)), note(t))
        write_exclusions(args.exclusions, table)
        print(f"updated {args.exclusions}: {len(table)} entries")
        return 0
    ok = not unexpected_fail and not unexpected_pass and not crashes
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
