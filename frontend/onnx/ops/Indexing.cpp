// ONNX gather/scatter family and index-driven ops (Gather, GatherElements, GatherND, ScatterElements, ScatterND, OneHot ...).
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {

void registerIndexingOps(ConverterTable& t) { (void)t; }

}  // namespace dlc::onnx_import
