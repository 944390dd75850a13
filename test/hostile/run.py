#!/usr/bin/env python3
"""Runs the hostile-input suite (cases.py): writes every case into WORK/NAME,
runs its command with a timeout and requires exit code 1 (never 0, 2, a
signal or a hang) and a stderr that matches every expected pattern (the
file, the node or value, the reason).

  run.py --dlc BIN --dlc-opt BIN --work DIR [-k SUBSTRING] [-j N] [--timeout S]
  run.py --list            # the cases by class, as docs/robustness.md lists them

Exit 0 when every case passes; otherwise each failure is printed with its
command, exit code and stderr.
"""

import argparse
import concurrent.futures
import os
import re
import resource
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import cases as hostile  # noqa: E402


def limit_memory(mb):
    """A bound on the address space of each command: a small hostile file
    that makes dlc allocate gigabytes is a bug (and must not take the
    machine down). Off (0) under AddressSanitizer, which reserves terabytes
    of shadow memory."""
    if mb <= 0:
        return None
    return lambda: resource.setrlimit(resource.RLIMIT_AS, (mb << 20, mb << 20))


def run_case(case, tools, work, timeout, mem_mb):
    root = os.path.join(work, case.name)
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(root)
    case.write(root)
    fill = lambda s: s.replace("{dir}", root)
    cmd = [tools[case.tool]] + [fill(a) for a in case.args]
    start = time.monotonic()
    try:
        proc = subprocess.run(cmd, stdin=subprocess.DEVNULL, capture_output=True, timeout=timeout,
                              preexec_fn=limit_memory(mem_mb))
    except subprocess.TimeoutExpired:
        return case, cmd, f"hung: no exit after {timeout}s", "", timeout
    seconds = time.monotonic() - start
    err = proc.stderr.decode("utf-8", "replace")
    rc = proc.returncode
    accept_ok = getattr(case, "accept_ok", False)
    if rc < 0:
        return case, cmd, f"killed by signal {-rc}", err, seconds
    if rc == 0 and accept_ok:
        return case, cmd, None, err, seconds
    if rc != 1:
        return case, cmd, f"exit code {rc}, expected 1", err, seconds
    if "internal error" in err:
        return case, cmd, "exit code 1 but the message says 'internal error'", err, seconds
    if not err.strip():
        return case, cmd, "exit code 1 with an empty stderr", err, seconds
    for pattern in case.expect:
        p = fill(pattern) if "{dir}" in pattern else pattern
        if "{dir}" in pattern:
            p = re.escape(fill(pattern))
        if not re.search(p, err):
            return case, cmd, f"stderr does not match /{p}/", err, seconds
    return case, cmd, None, err, seconds


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--dlc")
    ap.add_argument("--dlc-opt")
    ap.add_argument("--work")
    ap.add_argument("-k", default="", help="run only the cases whose name contains this")
    ap.add_argument("-j", type=int, default=2)
    ap.add_argument("--timeout", type=float, default=60)
    ap.add_argument("--mem-limit-mb", type=int, default=4096,
                    help="address-space limit of each command (0: none; use 0 under ASan)")
    ap.add_argument("--list", action="store_true", help="print the cases by class (markdown) and exit")
    ap.add_argument("-v", action="store_true", help="print every case's stderr")
    args = ap.parse_args()

    cases = hostile.all_cases()
    if args.list:
        for cls, title in hostile.CLASSES.items():
            mine = [c for c in cases if c.cls == cls]
            print(f"- **{cls}** ({title}, {len(mine)} cases): " +
                  "; ".join(f"`{c.name}` {c.why}" for c in mine if not c.name.startswith("bitflip-")
                            or not c.name[-1].isdigit()))
        return 0
    if not (args.dlc and args.dlc_opt and args.work):
        ap.error("--dlc, --dlc-opt and --work are required")
    tools = {"dlc": os.path.abspath(args.dlc), "dlc-opt": os.path.abspath(args.dlc_opt)}
    selected = [c for c in cases if args.k in c.name]
    os.makedirs(args.work, exist_ok=True)
    failures = []
    slowest = (0, "")
    with concurrent.futures.ThreadPoolExecutor(max_workers=args.j) as pool:
        for case, cmd, problem, err, seconds in pool.map(
                lambda c: run_case(c, tools, args.work, args.timeout, args.mem_limit_mb), selected):
            slowest = max(slowest, (seconds, case.name))
            if args.v:
                print(f"--- {case.name} ({case.cls}): {err.strip()}")
            if problem:
                failures.append((case, cmd, problem, err))
    for case, cmd, problem, err in failures:
        print(f"FAIL {case.name} ({case.cls}: {case.why}): {problem}\n  $ {' '.join(cmd)}\n"
              + "".join(f"  | {line}\n" for line in err.strip().splitlines()[:20]))
    by_class = {}
    for c in selected:
        by_class[c.cls] = by_class.get(c.cls, 0) + 1
    print(f"hostile inputs: {len(selected) - len(failures)} of {len(selected)} cases refused as expected "
          f"({', '.join(f'{k} {v}' for k, v in by_class.items())}); slowest {slowest[1]} {slowest[0]:.1f}s")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
