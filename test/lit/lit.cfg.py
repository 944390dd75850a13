# lit configuration of dlc's FileCheck tests.
import os
import lit.formats

config.name = "dlc"
config.test_format = lit.formats.ShTest(execute_external=False)
config.suffixes = [".mlir", ".onnxtxt", ".dlc"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(os.path.dirname(config.dlc_tools_dir), "test", "lit")
config.excludes = ["Inputs", "tools", "CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py.in"]

config.environment["PATH"] = os.pathsep.join([
    os.path.join(config.dlc_tools_dir, "dlc"),
    os.path.join(config.dlc_tools_dir, "dlc-opt"),
    config.filecheck_dir,
    config.environment.get("PATH", os.environ.get("PATH", "")),
])
# ONNX test models are written by small Python scripts (onnx.helper) at test
# time with the test venv's onnx package.
config.substitutions.append(("%python", config.venv_python))
config.substitutions.append(("%inputs", os.path.join(config.test_source_root, "Inputs")))
config.substitutions.append(("%onnx-compile", config.venv_python + " " +
                             os.path.join(config.test_source_root, "tools", "onnx-compile.py")))
if os.path.exists(config.venv_python):
    config.available_features.add("onnx")
