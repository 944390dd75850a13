// dlc.fusion: the verifier that keeps a fusion one kernel of its kind.
#include "ir/Dialect.h"

using namespace mlir;

namespace dlc {

std::optional<FusionKind> heroKind(Operation* op) {
  if (isa<ReduceOp>(op)) return FusionKind::Reduction;
  if (isa<DotGeneralOp>(op)) return FusionKind::Gemm;
  if (isa<ConvolutionOp>(op)) return FusionKind::Conv;
  if (isa<ArgsortOp>(op)) return FusionKind::Sort;
  if (isa<dlc::ScatterOp>(op)) return FusionKind::Scatter;
  return std::nullopt;
}

FusionKind fusionKindOf(Operation* op) {
  if (auto fusion = dyn_cast<FusionOp>(op)) return fusion.getKind();
  return heroKind(op).value_or(FusionKind::Loop);
}

Operation* FusionOp::getHero() {
  for (Operation& op : getBlock().without_terminator())
    if (heroKind(&op)) return &op;
  return nullptr;
}

LogicalResult FusionOp::verify() {
  Block& block = getBlock();
  if (block.getNumArguments() != getInputs().size())
    return emitOpError() << "has " << getInputs().size() << " inputs but its body takes "
                         << block.getNumArguments() << " arguments";
  for (auto [i, pair] : llvm::enumerate(llvm::zip(getInputs(), block.getArguments())))
    if (std::get<0>(pair).getType() != std::get<1>(pair).getType())
      return emitOpError() << "input " << i << " has type " << std::get<0>(pair).getType()
                           << " but body argument " << i << " has type "
                           << std::get<1>(pair).getType();
  auto yield = cast<YieldOp>(block.getTerminator());
  if (yield.getValues().getTypes() != getResultTypes())
    return emitOpError() << "yields " << yield.getValues().size()
                         << " value(s) whose types differ from its results";
  if (getNumResults() == 0) return emitOpError() << "has no results";

  // Count the heroes: a loop fusion has none, the others exactly one (a
  // reduction fusion may chain several reduces over the same rows).
  int heroes = 0;
  for (Operation& op : block.without_terminator()) {
    if (!isa<DlcOp>(op))
      return op.emitOpError() << "cannot be inside a dlc.fusion (only core ops can)";
    std::optional<FusionKind> k = heroKind(&op);
    if (!k) continue;
    if (*k != getKind())
      return op.emitOpError() << "cannot be inside a '" << stringifyFusionKind(getKind())
                              << "' fusion";
    ++heroes;
  }
  if (getKind() == FusionKind::Loop) return success();
  if (heroes == 0)
    return emitOpError() << "is a '" << stringifyFusionKind(getKind())
                         << "' fusion without its " << stringifyFusionKind(getKind()) << " op";
  if (heroes > 1 && getKind() != FusionKind::Reduction)
    return emitOpError() << "is a '" << stringifyFusionKind(getKind()) << "' fusion with "
                         << heroes << " contractions/sorts/scatters; one kernel runs one";
  return success();
}

}  // namespace dlc
