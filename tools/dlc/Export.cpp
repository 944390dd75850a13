#include "tools/dlc/Export.h"

#include <filesystem>
#include <map>

#include "frontend/dsl/Dsl.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"
#include "onnx/onnx_pb.h"

namespace fs = std::filesystem;

namespace dlc::driver {

namespace {

// The output shapes of the model imported with each symbolic dimension set
// to the value `valueOf` gives it; empty on failure (`failure` set).
std::vector<std::vector<int64_t>> outputShapes(const std::string& source, const std::string& path,
                                               const onnx::ModelProto& model,
                                               const std::map<std::string, int64_t>& symbols, Failure& failure) {
  CompileOptions opts;
  for (const auto& in : model.graph().input()) {
    const auto& shape = in.type().tensor_type().shape();
    bool symbolic = false;
    std::vector<int64_t> dims;
    for (const auto& d : shape.dim()) {
      symbolic |= d.has_dim_param();
      dims.push_back(d.has_dim_param() ? symbols.at(d.dim_param()) : d.dim_value());
    }
    if (symbolic) opts.inputShapes[in.name()] = dims;
  }
  mlir::MLIRContext ctx;
  InMemoryModel m{ModelFormat::Dsl, source, path, fs::path(path).parent_path().string()};
  auto module = loadModel(ctx, m, opts, failure);
  if (!module) return {};
  auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
  std::vector<std::vector<int64_t>> shapes;
  if (!main) {
    failure = {2, path + ": internal error: the imported model has no @main"};
    return {};
  }
  for (mlir::Type t : main.getFunctionType().getResults()) {
    auto ranked = t.dyn_cast<mlir::RankedTensorType>();
    shapes.push_back(ranked ? std::vector<int64_t>(ranked.getShape().begin(), ranked.getShape().end())
                            : std::vector<int64_t>{});
  }
  return shapes;
}

}  // namespace

std::string exportDsl(const std::string& source, const std::string& path, Failure& failure) {
  dsl::Translation t = dsl::translateToOnnx(source, path, fs::path(path).parent_path().string());
  if (!t.ok()) {
    failure = {1, t.errors};
    return {};
  }
  onnx::ModelProto model;
  if (!model.ParseFromString(t.modelBytes)) {
    failure = {2, path + ": internal error: the translated model does not parse"};
    return {};
  }
  // Symbolic dimensions: the model is imported twice with different values
  // for them; a dimension of an output that differs between the two follows
  // a symbol (written as it when it matches one, else left unknown).
  std::map<std::string, int64_t> a, b;
  for (const auto& in : model.graph().input())
    for (const auto& d : in.type().tensor_type().shape().dim())
      if (d.has_dim_param() && !a.count(d.dim_param())) {
        int64_t k = static_cast<int64_t>(a.size());
        a[d.dim_param()] = 5 + k;
        b[d.dim_param()] = 13 + 2 * k;
      }
  auto shapesA = outputShapes(source, path, model, a, failure);
  if (failure) return {};
  std::vector<std::vector<int64_t>> shapesB = shapesA;
  if (!a.empty()) {
    shapesB = outputShapes(source, path, model, b, failure);
    if (failure) return {};
  }
  auto* outs = model.mutable_graph()->mutable_output();
  if (static_cast<size_t>(outs->size()) != shapesA.size() || shapesA.size() != shapesB.size()) {
    failure = {2, path + ": internal error: the imported model has a different number of outputs"};
    return {};
  }
  for (int i = 0; i < outs->size(); ++i) {
    auto* shape = outs->Mutable(i)->mutable_type()->mutable_tensor_type()->mutable_shape();
    shape->clear_dim();
    for (size_t k = 0; k < shapesA[i].size(); ++k) {
      auto* dim = shape->add_dim();
      int64_t da = shapesA[i][k], db = k < shapesB[i].size() ? shapesB[i][k] : -1;
      if (da == db) {
        dim->set_dim_value(da);
        continue;
      }
      for (const auto& [symbol, va] : a)
        if (va == da && b[symbol] == db) dim->set_dim_param(symbol);
    }
  }
  return model.SerializeAsString();
}

}  // namespace dlc::driver
