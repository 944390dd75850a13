#include "tools/dlc/TrainStats.h"

#include <map>
#include <set>

#include "ir/Dialect.h"
#include "passes/Liveness.h"
#include "passes/MemoryPlan.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/DenseSet.h"

namespace dlc::tool {
namespace {

int64_t bytesOf(mlir::Type t) {
  auto tensor = t.cast<mlir::RankedTensorType>();
  return elementBytes(t).value_or(0) * tensor.getNumElements();
}

std::string quoted(const std::string& s) {
  std::string out = "\"";
  for (char c : s) {
    if (c == '"' || c == '\\') out += '\\';
    out += c;
  }
  return out + "\"";
}

}  // namespace

TrainStats collectTrainStats(mlir::ModuleOp module, const StepLayout& layout) {
  TrainStats s;
  s.compile = driver::collectStats(module, {}, 0);
  s.compile.passMs.clear();
  auto f = module.lookupSymbol<mlir::func::FuncOp>("main");
  if (!f) return s;
  mlir::Block& body = f.getBody().front();
  mlir::Operation* ret = body.getTerminator();
  llvm::DenseMap<mlir::Operation*, int> step;
  for (mlir::Operation& op : body)
    if (isKernel(&op)) step[&op] = static_cast<int>(step.size());

  std::map<unsigned, std::string> modes;
  for (const SignatureAlias& a : signatureAliases(f)) {
    modes[a.result] = a.mode;
    ++s.aliases;
    s.inPlace += a.mode == "in_place";
  }
  std::set<int> updateKernels;
  for (const StepLayout::Param& p : layout.params) {
    ParamUpdate u;
    u.param = p.name;
    u.oneKernel = u.inPlace = true;
    for (size_t i = 0; i < p.results.size(); ++i) {
      unsigned r = p.results[i];
      mlir::Value v = ret->getOperand(r);
      mlir::Operation* def = v.getDefiningOp();
      int k = def && step.count(def) ? step[def] : -1;
      if (k >= 0) updateKernels.insert(k);
      if (i == 0) {
        u.kernel = k;
        if (k >= 0) u.kind = stringifyFusionKind(fusionKindOf(def)).str();
        s.paramBytes += bytesOf(v.getType());
      } else {
        s.stateBytes += bytesOf(v.getType());
      }
      u.oneKernel &= k >= 0 && k == u.kernel;
      u.inPlace &= modes.count(r) && modes[r] == "in_place";
    }
    s.updates.push_back(u);
  }
  s.updateKernels = static_cast<int>(updateKernels.size());

  // Forward kernels: those the loss (result 0) depends on. A forward result
  // in the arena that another forward kernel and a non-forward kernel both
  // read is an activation kept for the backward pass.
  llvm::DenseSet<mlir::Operation*> forward;
  llvm::SmallVector<mlir::Value> work{ret->getOperand(0)};
  while (!work.empty()) {
    mlir::Operation* def = work.pop_back_val().getDefiningOp();
    if (!def || !forward.insert(def).second) continue;
    for (mlir::Value v : def->getOperands()) work.push_back(v);
  }
  for (mlir::Operation* op : forward) {
    auto offsets = op->getAttrOfType<mlir::DenseI64ArrayAttr>(kOffsetsAttr);
    for (mlir::OpResult r : op->getResults()) {
      if (!offsets || r.getResultNumber() >= offsets.size() || offsets[r.getResultNumber()] < 0) continue;
      bool readForward = false, readLater = false;
      for (mlir::Operation* user : r.getUsers()) {
        mlir::Operation* top = body.findAncestorOpInBlock(*user);
        if (!top || top == ret) continue;
        (forward.count(top) ? readForward : readLater) = true;
      }
      if (readForward && readLater) s.activationBytes += alignBuffer(bytesOf(r.getType()));
    }
  }
  return s;
}

void printTrainStatsText(const TrainStats& s, std::ostream& os) {
  os << "training step: " << s.compile.kernels << " kernels (";
  const char* sep = "";
  for (const auto& [kind, n] : s.compile.byKind) os << sep << kind << " " << n, sep = ", ";
  os << ")\nupdate kernels: " << s.updateKernels << " for " << s.updates.size() << " parameters";
  int one = 0;
  for (const ParamUpdate& u : s.updates) one += u.oneKernel;
  os << " (" << one << " updated by one kernel each)\n";
  for (const ParamUpdate& u : s.updates) {
    os << "  " << u.param << ": ";
    if (u.kernel < 0) os << "no kernel";
    else os << "kernel " << u.kernel << " (" << u.kind << ")";
    os << (u.oneKernel ? "" : ", state written by other kernels") << (u.inPlace ? ", in place" : ", copied")
       << "\n";
  }
  os << "in place: " << s.inPlace << " of " << s.aliases << " parameter, state and step updates\n";
  os << "arena peak: " << s.compile.peakBytes.value_or(0) << " bytes";
  if (s.checkpoint)
    os << " with checkpointing, " << s.peakWithoutCheckpoint.value_or(0) << " bytes without";
  os << "\nlower bound: " << s.compile.lowerBoundBytes.value_or(0)
     << " bytes\nnaive: " << s.compile.naiveBytes.value_or(0) << " bytes\nparameters: " << s.paramBytes
     << " bytes\noptimizer state: " << s.stateBytes << " bytes\nactivations kept for the backward pass: "
     << s.activationBytes << " bytes\n";
}

void printTrainStatsJson(const std::string& model, const TrainStats& s, std::ostream& os) {
  auto num = [](const std::optional<int64_t>& b) { return b ? std::to_string(*b) : std::string("null"); };
  os << "{\"model\": " << quoted(model) << ", \"kernels\": " << s.compile.kernels << ", \"kernels_by_kind\": {";
  const char* sep = "";
  for (const auto& [kind, n] : s.compile.byKind) os << sep << quoted(kind) << ": " << n, sep = ", ";
  os << "}, \"update_kernels\": " << s.updateKernels << ", \"updates\": [";
  sep = "";
  for (const ParamUpdate& u : s.updates) {
    os << sep << "{\"param\": " << quoted(u.param) << ", \"kernel\": " << u.kernel
       << ", \"kind\": " << (u.kernel < 0 ? std::string("null") : quoted(u.kind))
       << ", \"one_kernel\": " << (u.oneKernel ? "true" : "false")
       << ", \"in_place\": " << (u.inPlace ? "true" : "false") << "}";
    sep = ", ";
  }
  os << "], \"aliases\": " << s.aliases << ", \"in_place\": " << s.inPlace
     << ", \"peak_bytes\": " << num(s.compile.peakBytes) << ", \"naive_bytes\": " << num(s.compile.naiveBytes)
     << ", \"lower_bound_bytes\": " << num(s.compile.lowerBoundBytes) << ", \"param_bytes\": " << s.paramBytes
     << ", \"optimizer_state_bytes\": " << s.stateBytes << ", \"activation_bytes\": " << s.activationBytes
     << ", \"checkpoint\": " << (s.checkpoint ? "true" : "false")
     << ", \"peak_bytes_without_checkpoint\": " << num(s.peakWithoutCheckpoint) << "}\n";
}

}  // namespace dlc::tool
