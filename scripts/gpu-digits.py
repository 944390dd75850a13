#!/usr/bin/env python3
"""dlc train on the GPU with a real data set (scikit-learn's handwritten
digits), for scripts/gpu-suite.sh.

  gpu-digits.py make OUT     (here, by scripts/gpu-bundle.sh, with the test
                              venv: scikit-learn and torch) writes the digits
                              CNN of test/models/test_training_digits.py as
                              OUT/cnn.onnx, the 1400 training digits as
                              OUT/train/{input_0,labels}.pb and the 397
                              held-out ones as OUT/test/input_0.pb and
                              OUT/test_labels.pb, the same split as the test;
  gpu-digits.py accuracy OUTPUT_0.pb TEST_LABELS.pb
                              (there: numpy and onnx only) the share of
                              held-out digits whose largest logit is the
                              label; exit 1 below 95%;
  gpu-digits.py parity A.onnx B.onnx
                              the trained initializers of two runs of the same
                              training (host and cuda) agree within rtol 1e-3,
                              atol 1e-5: both compute in fp32 (TF32 is off
                              unless --precision tf32), so only the order of
                              summation differs (cuBLASLt/cuDNN and the
                              generated kernels against the host's reference
                              kernels), which a few SGD steps keep near 1e-5
                              relative; exit 1 beyond.
"""
import sys

import numpy as np
import onnx
from onnx import numpy_helper

MIN_ACCURACY = 0.95
RTOL, ATOL = 1e-3, 1e-5


def make(out):
    import os
    import pathlib
    here = pathlib.Path(__file__).resolve().parent.parent / "test" / "models"
    sys.path.insert(0, str(here))
    import sklearn.datasets
    from test_training_digits import cnn_onnx
    digits = sklearn.datasets.load_digits()
    x = (digits.images / 16.0).astype(np.float32)[:, None, :, :]
    y = digits.target.astype(np.int64)
    order = np.random.default_rng(0).permutation(len(y))
    x, y = x[order], y[order]
    out = pathlib.Path(out)
    for d in ("train", "test"):
        os.makedirs(out / d, exist_ok=True)
    save = lambda a, p: p.write_bytes(numpy_helper.from_array(a).SerializeToString())
    save(x[:1400], out / "train" / "input_0.pb")
    save(y[:1400], out / "train" / "labels.pb")
    save(x[1400:], out / "test" / "input_0.pb")
    save(y[1400:], out / "test_labels.pb")
    cnn_onnx(out / "cnn.onnx")


def load(path):
    return numpy_helper.to_array(onnx.load_tensor(path))


def accuracy(logits_path, labels_path):
    logits, labels = load(logits_path), load(labels_path)
    acc = float(np.mean(np.argmax(logits, axis=1) == labels))
    print(f"test accuracy {acc:.4f} on {len(labels)} held-out digits (at least {MIN_ACCURACY} needed)")
    return 0 if acc >= MIN_ACCURACY else 1


def parity(a_path, b_path):
    a = {t.name: numpy_helper.to_array(t) for t in onnx.load(a_path).graph.initializer}
    b = {t.name: numpy_helper.to_array(t) for t in onnx.load(b_path).graph.initializer}
    if a.keys() != b.keys():
        print(f"different initializers: {sorted(a)} and {sorted(b)}")
        return 1
    bad = 0
    for name in sorted(a):
        x, y = a[name].astype(np.float64), b[name].astype(np.float64)
        rel = float(np.max(np.abs(x - y) / np.maximum(np.abs(x), 1e-12))) if x.size else 0.0
        ok = np.allclose(y, x, rtol=RTOL, atol=ATOL)
        bad += not ok
        print(f"{name}: max abs diff {float(np.max(np.abs(x - y))) if x.size else 0:.3g}, "
              f"max rel diff {rel:.3g} {'ok' if ok else f'BEYOND rtol {RTOL} atol {ATOL}'}")
    print(f"host and cuda agree on {len(a) - bad} of {len(a)} initializers (rtol {RTOL}, atol {ATOL})")
    return 1 if bad else 0


if __name__ == "__main__":
    cmd, *args = sys.argv[1:] or ["help"]
    if cmd == "make" and len(args) == 1:
        make(args[0])
    elif cmd == "accuracy" and len(args) == 2:
        sys.exit(accuracy(*args))
    elif cmd == "parity" and len(args) == 2:
        sys.exit(parity(*args))
    else:
        print(__doc__)
        sys.exit(2)
