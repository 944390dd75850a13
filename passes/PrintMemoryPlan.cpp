// Reading a memory plan back out of the IR: the numbers for --stats and the
// listing for --emit plan.
#include <optional>

#include "passes/Liveness.h"
#include "passes/MemoryPlan.h"

#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace dlc {

std::optional<MemoryStats> memoryStats(func::FuncOp f) {
  auto get = [&](const char* name) -> std::optional<int64_t> {
    if (auto a = f->getAttrOfType<IntegerAttr>(name)) return a.getInt();
    return std::nullopt;
  };
  std::optional<int64_t> peak = get(kArenaBytesAttr), naive = get(kNaiveBytesAttr),
                         bound = get(kLowerBoundBytesAttr);
  if (!peak || !naive || !bound) return std::nullopt;
  return MemoryStats{*peak, *naive, *bound};
}

void printMemoryPlan(func::FuncOp f, raw_ostream& os) {
  std::optional<MemoryStats> stats = memoryStats(f);
  std::optional<KernelSchedule> s = stats ? KernelSchedule::build(f) : std::nullopt;
  if (!s) {
    os << "@" << f.getSymName() << " has no memory plan\n";
    return;
  }
  os << "memory plan of @" << f.getSymName() << ": arena " << stats->peakBytes
     << " bytes, naive " << stats->naiveBytes << " bytes, lower bound "
     << stats->lowerBoundBytes << " bytes, " << s->kernels().size() << " kernels\n";
  for (int step = 0; step < static_cast<int>(s->kernels().size()); ++step) {
    Operation* op = s->kernels()[step];
    auto offsets = op->getAttrOfType<DenseI64ArrayAttr>(kOffsetsAttr);
    auto reuses = op->getAttrOfType<DenseI64ArrayAttr>(kReusesAttr);
    os << "  " << step << ": " << describeOp(op) << " ->";
    for (unsigned r = 0; r < op->getNumResults(); ++r) {
      const Buffer& b = s->buffers()[s->firstBufferOf(step) + r];
      os << (r ? "; " : " ") << b.value.getType() << " " << b.bytes << " bytes ";
      if (!b.inArena)
        os << "output";
      else if (offsets && r < offsets.size())
        os << "at " << offsets[r];
      else
        os << "unplaced";
      os << ", live [" << b.firstStep << ", " << b.lastStep << "]";
      if (reuses && r < reuses.size() && reuses[r] >= 0)
        os << ", in place of operand " << reuses[r];
    }
    os << "\n";
  }
  for (const SignatureAlias& a : signatureAliases(f)) {
    os << "  result " << a.result << " -> argument " << a.arg << ": ";
    if (a.mode == "in_place") {
      os << "in place\n";
      continue;
    }
    os << (a.mode.empty() ? "unplanned" : a.mode);
    if (a.arg >= 0 && a.arg < static_cast<int64_t>(f.getNumArguments()) && a.result < f.getNumResults())
      if (std::optional<std::string> why = aliasRefusal(*s, f, a.result, static_cast<unsigned>(a.arg)))
        os << " (" << *why << ")";
    os << "\n";
  }
}

}  // namespace dlc
