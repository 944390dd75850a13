"""Runs dlc IR on the host device with `dlc run` for lit tests.

The file may hold several modules separated by lines '// -----' (as with
dlc-opt -split-input-file). Each is run on the same inputs, and this prints
'// chunk N', dlc's stderr (the file's path replaced by MODEL), '// exit C'
and each output as 'output I: DTYPE[SHAPE] VALUES', for FileCheck.

usage: host-run.py FILE.mlir [--input EXPR]... [--strip-plan] [-- DLC RUN ARGS]
  --input EXPR   a numpy expression (np is numpy) for the next input
  --strip-plan   remove dlc.offsets and dlc.arena_bytes first, so that every
                 value gets a buffer of its own (the same run without a plan)
"""
import argparse
import os
import re
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import numpy_helper


def strip_plan(text):
    text = re.sub(r"dlc\.offsets = array<i64[^>]*>", "", text)
    return re.sub(r"dlc\.arena_bytes = -?\d+ : i64", "", text)


def main():
    p = argparse.ArgumentParser()
    p.add_argument("file")
    p.add_argument("--input", action="append", default=[])
    p.add_argument("--strip-plan", action="store_true")
    argv = sys.argv[1:]
    dlc_args = argv[argv.index("--") + 1:] if "--" in argv else []
    args = p.parse_args(argv[:len(argv) - len(dlc_args) - (1 if "--" in argv else 0)])
    chunks = open(args.file).read().split("\n// -----\n")
    np.set_printoptions(precision=6, floatmode="maxprec", suppress=True)
    with tempfile.TemporaryDirectory() as tmp:
        in_dir = os.path.join(tmp, "in")
        os.mkdir(in_dir)
        for i, expr in enumerate(args.input):
            array = np.asarray(eval(expr, {"np": np}))
            with open(os.path.join(in_dir, f"input_{i}.pb"), "wb") as f:
                f.write(numpy_helper.from_array(array).SerializeToString())
        for n, chunk in enumerate(chunks):
            print(f"// chunk {n}")
            model = os.path.join(tmp, f"chunk{n}.mlir")
            with open(model, "w") as f:
                f.write(strip_plan(chunk) if args.strip_plan else chunk)
            out_dir = os.path.join(tmp, f"out{n}")
            r = subprocess.run(["dlc", "run", model, "--device", "host", "--input-dir", in_dir,
                                "--output-dir", out_dir, *dlc_args],
                               capture_output=True, text=True)
            sys.stdout.write(r.stderr.replace(model, "MODEL"))
            print(f"// exit {r.returncode}")
            for i in range(len(os.listdir(out_dir)) if r.returncode == 0 else 0):
                t = onnx.TensorProto()
                with open(os.path.join(out_dir, f"output_{i}.pb"), "rb") as f:
                    t.ParseFromString(f.read())
                a = numpy_helper.to_array(t)
                values = np.array2string(a, separator=", ").replace("\n", "")
                print(f"output {i}: {a.dtype}{list(a.shape)} {values}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
