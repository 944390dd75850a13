"""Self-test of run_conformance.py --differential: a stand-in for dlc that
perturbs the optimised run's output must be caught as a `differential`
failure with its errors, a perturbation within the tolerance must not, and a
--no-opt run that fails must be reported.

usage: selftest_differential.py DLC_BIN
"""

import os
import pathlib
import subprocess
import sys
import tempfile

import numpy as np
import onnx
from onnx import helper, numpy_helper

RUNNER = pathlib.Path(__file__).with_name("run_conformance.py")

# Runs the real dlc, then, as the environment says, perturbs element 1 of
# the optimised run's output_0 or fails the --no-opt run.
FAKE_DLC = r'''#!{python}
import os, subprocess, sys
import onnx
from onnx import numpy_helper
rc = subprocess.run([{dlc!r}, *sys.argv[1:]]).returncode
no_opt = "--no-opt" in sys.argv
if no_opt and os.environ.get("FAIL_NO_OPT"):
    sys.stderr.write("model.onnx: node 'Add_0': made to fail\n")
    sys.exit(1)
if rc == 0 and not no_opt:
    path = os.path.join(sys.argv[sys.argv.index("--output-dir") + 1], "output_0.pb")
    t = onnx.TensorProto()
    t.ParseFromString(open(path, "rb").read())
    a = numpy_helper.to_array(t).copy()
    a.flat[1] += float(os.environ["DELTA"])
    open(path, "wb").write(numpy_helper.from_array(a).SerializeToString())
sys.exit(rc)
'''


def write_test(root):
    """One node test, test_add: y = a + b on f32[2, 3]."""
    test = root / "test_add"
    data = test / "test_data_set_0"
    data.mkdir(parents=True)
    graph = helper.make_graph(
        [helper.make_node("Add", ["a", "b"], ["y"], name="Add_0")], "add",
        [helper.make_tensor_value_info(n, onnx.TensorProto.FLOAT, [2, 3]) for n in "ab"],
        [helper.make_tensor_value_info("y", onnx.TensorProto.FLOAT, [2, 3])])
    onnx.save(helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)]),
              str(test / "model.onnx"))
    a = np.arange(6, dtype=np.float32).reshape(2, 3)
    b = np.full((2, 3), 0.5, dtype=np.float32)
    for name, array in [("input_0", a), ("input_1", b), ("output_0", a + b)]:
        (data / f"{name}.pb").write_bytes(numpy_helper.from_array(array).SerializeToString())


def run(fake, root, **env):
    exclusions = root / "exclusions.txt"
    exclusions.write_text("")
    proc = subprocess.run(
        [sys.executable, str(RUNNER), "--dlc", str(fake), "--data", str(root / "tests"),
         "--exclusions", str(exclusions), "--differential", "--jobs", "1"],
        capture_output=True, text=True, env={**os.environ, **env})
    return proc.returncode, proc.stdout + proc.stderr


def expect(cond, what, output):
    if not cond:
        sys.exit(f"FAIL: {what}\n--- runner output:\n{output}")


def main():
    dlc = os.path.abspath(sys.argv[1])
    with tempfile.TemporaryDirectory(prefix="dlc-diff-selftest-") as tmp:
        root = pathlib.Path(tmp)
        write_test(root / "tests")
        fake = root / "fake-dlc"
        fake.write_text(FAKE_DLC.format(python=sys.executable, dlc=dlc))
        fake.chmod(0o755)

        rc, out = run(fake, root, DELTA="0")
        expect(rc == 0 and "1 tests compared, 0 differ" in out, "identical runs pass", out)

        rc, out = run(fake, root, DELTA="1e-7")  # within rtol 1e-4 of 1.5
        expect(rc == 0 and "0 differ" in out, "a difference within the tolerance passes", out)

        rc, out = run(fake, root, DELTA="0.01")
        expect(rc == 1, "a perturbed optimised run fails", out)
        expect("FAIL  test_add: differential: test_data_set_0: output 0: 1 of 6 elements differ, "
               "max abs error 0.01, max rel error 0.00667; first at [0, 1]" in out,
               "the differential failure names the output and its errors", out)

        rc, out = run(fake, root, DELTA="0", FAIL_NO_OPT="1")
        expect(rc == 1 and "differential: test_data_set_0: the --no-opt run failed: "
               "model.onnx: node 'Add_0': made to fail" in out, "a failing --no-opt run fails", out)
    print("run_conformance.py --differential self-test: ok")


if __name__ == "__main__":
    main()
