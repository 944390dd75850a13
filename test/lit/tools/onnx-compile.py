"""Compiles each ONNX text model of a lit test file with `dlc compile`.

A test file holds one or more models in ONNX's text format (onnx.parser),
separated by lines '# -----'; lines starting with '#' are comments there, so
RUN and CHECK lines live beside the models. For each model this prints
'// chunk N', then dlc's stdout and stderr and its exit code, so that one
FileCheck run checks them all (like dlc-opt -split-input-file).

usage: onnx-compile.py FILE [dlc compile options...]
"""
import os
import subprocess
import sys
import tempfile

import onnx
import onnx.parser


def main():
    path, extra = sys.argv[1], sys.argv[2:]
    text = open(path).read()
    chunks = text.split("\n# -----\n")
    with tempfile.TemporaryDirectory() as tmp:
        for i, chunk in enumerate(chunks):
            print(f"// chunk {i}")
            model = onnx.parser.parse_model(chunk)
            out = os.path.join(tmp, f"chunk{i}.onnx")
            onnx.save(model, out)
            r = subprocess.run(["dlc", "compile", out, "--emit", "ir", "--no-elide"] + extra,
                               capture_output=True, text=True)
            sys.stdout.write(r.stdout)
            # Paths differ per machine; the tests check what follows them.
            sys.stdout.write(r.stderr.replace(out, "MODEL"))
            print(f"// exit {r.returncode}")
            sys.stdout.flush()


if __name__ == "__main__":
    main()
