// dlc: compile deep-learning models in-process and run them.
//
//   #include <dlc/dlc.h>
//   dlc::Model model = dlc::Model::fromOnnxFile("mlp.onnx");
//   dlc::Executable exe = dlc::compile(model);
//   dlc::Session session(exe);
//   std::vector<dlc::Tensor> outputs = session.run({input});
//
// See docs/api.md. Link with the CMake package: find_package(dlc) and
// target_link_libraries(app dlc::dlc).
#pragma once

#include "dlc/Compile.h"
#include "dlc/Error.h"
#include "dlc/GraphBuilder.h"
#include "dlc/Model.h"
#include "dlc/Session.h"
#include "dlc/Tensor.h"
#include "dlc/TensorIO.h"
#include "dlc/Version.h"
