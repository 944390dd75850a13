"""Exports the end-to-end test models (test/models: real_models.CASES and
model_zoo.MODELS) as ONNX files into OUT_DIR, for the CUDA compile check.
The same factories and seeds as the pytest suite; a stamp holding the hash
of the model definitions skips the export when nothing changed."""

import hashlib
import pathlib
import sys

HERE = pathlib.Path(__file__).resolve().parent
MODELS = HERE.parent / "models"
sys.path.insert(0, str(MODELS))


def main():
    out = pathlib.Path(sys.argv[1])
    out.mkdir(parents=True, exist_ok=True)
    digest = hashlib.sha256()
    for f in ("real_models.py", "model_zoo.py", "../cuda/export_models.py"):
        digest.update((MODELS / f).read_bytes())
    stamp = out / "stamp"
    if stamp.exists() and stamp.read_text() == digest.hexdigest():
        return
    import model_zoo
    import real_models
    for seed, name in enumerate(model_zoo.MODELS):
        model_zoo.build_and_export(name, out / f"zoo_{name}.onnx", seed)
    for name in sorted(real_models.CASES):
        seed = sorted(real_models.CASES).index(name)
        real_models.build_and_export(name, out / f"{name}.onnx", seed)
    stamp.write_text(digest.hexdigest())


if __name__ == "__main__":
    main()
