#include "codegen/host/LowerToHost.h"

#include "ir/Dialect.h"
#include "ir/TensorConversions.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

namespace dlc {
namespace {

std::vector<int64_t> vec(ArrayRef<int64_t> a) { return {a.begin(), a.end()}; }

std::string locString(Location loc) {
  std::string s;
  llvm::raw_string_ostream os(s);
  if (auto name = loc.dyn_cast<NameLoc>())
    os << "node '" << name.getName().getValue() << "'";
  else
    os << loc;
  return os.str();
}

rt::CompareKind compareKind(CompareDirection d) {
  switch (d) {
    case CompareDirection::EQ: return rt::CompareKind::EQ;
    case CompareDirection::NE: return rt::CompareKind::NE;
    case CompareDirection::LT: return rt::CompareKind::LT;
    case CompareDirection::LE: return rt::CompareKind::LE;
    case CompareDirection::GT: return rt::CompareKind::GT;
    case CompareDirection::GE: return rt::CompareKind::GE;
  }
  return rt::CompareKind::EQ;
}

rt::ReduceKind reduceKind(ReduceKind k) {
  switch (k) {
    case ReduceKind::Sum: return rt::ReduceKind::Sum;
    case ReduceKind::Max: return rt::ReduceKind::Max;
    case ReduceKind::Min: return rt::ReduceKind::Min;
    case ReduceKind::Prod: return rt::ReduceKind::Prod;
  }
  return rt::ReduceKind::Sum;
}

rt::ScatterKind scatterKind(ScatterKind k) {
  switch (k) {
    case ScatterKind::Add: return rt::ScatterKind::Add;
    case ScatterKind::Mul: return rt::ScatterKind::Mul;
    case ScatterKind::Max: return rt::ScatterKind::Max;
    case ScatterKind::Min: return rt::ScatterKind::Min;
    case ScatterKind::Replace: return rt::ScatterKind::Replace;
  }
  return rt::ScatterKind::Add;
}

template <typename E>
uint8_t kindOf(E e) { return static_cast<uint8_t>(e); }

rt::KernelKind kernelKindOf(FusionKind k) {
  switch (k) {
    case FusionKind::Loop: return rt::KernelKind::Loop;
    case FusionKind::Reduction: return rt::KernelKind::Reduction;
    case FusionKind::Gemm: return rt::KernelKind::Gemm;
    case FusionKind::Conv: return rt::KernelKind::Conv;
    case FusionKind::Sort: return rt::KernelKind::Sort;
    case FusionKind::Scatter: return rt::KernelKind::Scatter;
  }
  return rt::KernelKind::Loop;
}

// Every top-level op of @main but constants becomes one kernel: a dlc.fusion
// the instructions of its body, any other op a kernel of one instruction.
class Lowering {
 public:
  explicit Lowering(rt::Program& p) : p_(p) {}

  bool run(func::FuncOp f, std::string& error) {
    for (BlockArgument arg : f.getArguments()) {
      int32_t id = newValue(arg, rt::ValueKind::Input);
      p_.values[id].inputIndex = static_cast<int32_t>(arg.getArgNumber());
      if (auto name = f.getArgAttrOfType<StringAttr>(arg.getArgNumber(), "dlc.name"))
        p_.values[id].name = name.str();
      if (auto value = f.getArgAttrOfType<DenseElementsAttr>(arg.getArgNumber(), "dlc.specialized"))
      {
        p_.values[id].isSpecialized = true;
        p_.values[id].specialized = hostTensorFromAttr(value);
      }
      p_.inputs.push_back(id);
    }
    if (Attribute a = f->getAttr("dlc.arena_bytes")) {
      auto bytes = a.dyn_cast<IntegerAttr>();
      if (!bytes || !bytes.getType().isInteger(64)) {
        error = "@main: dlc.arena_bytes must be an i64 attribute";
        return false;
      }
      p_.arenaBytes = bytes.getInt();
    }
    for (Operation& op : f.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value v : ret.getOperands()) p_.outputs.push_back(ids_.lookup(v));
        continue;
      }
      if (!lowerTopLevel(&op)) {
        error = error_;
        return false;
      }
    }
    for (size_t i = 0; i < p_.outputs.size(); ++i)
      if (auto name = f.getResultAttrOfType<StringAttr>(i, "dlc.name"))
        if (p_.values[p_.outputs[i]].name.empty()) p_.values[p_.outputs[i]].name = name.str();
    // Signature aliases (passes/MemoryPlan.h): in place only as planned; an
    // unplanned request is a copy, which is always safe.
    for (unsigned i = 0; i < f.getNumResults(); ++i) {
      auto arg = f.getResultAttrOfType<IntegerAttr>(i, "dlc.alias_arg");
      if (!arg) continue;
      auto mode = f.getResultAttrOfType<StringAttr>(i, "dlc.alias_mode");
      p_.aliases.push_back({static_cast<int32_t>(i), static_cast<int32_t>(arg.getInt()),
                            mode && mode.getValue() == "in_place"});
    }
    return true;
  }

 private:
  bool fail(Operation* op, const std::string& why) {
    error_ = locString(op->getLoc()) + ": '" + op->getName().getStringRef().str() + "': " + why;
    return false;
  }

  bool lowerTopLevel(Operation* op) {
    if (isa<ConstantOp>(op)) return lowerOp(op);
    rt::Kernel k;
    k.begin = static_cast<int32_t>(p_.instrs.size());
    k.location = locString(op->getLoc());
    for (Value v : op->getOperands()) {
      int32_t id = ids_.lookup(v);
      if (llvm::find(k.inputs, id) == k.inputs.end()) k.inputs.push_back(id);
    }
    if (auto fusion = dyn_cast<FusionOp>(op)) {
      k.kind = kernelKindOf(fusion.getKind());
      // The first source op names the kernel (a fusion's own location is
      // the fused list of all of them).
      for (Operation& inner : fusion.getBlock())
        if (!isa<ConstantOp>(inner)) {
          k.location = locString(inner.getLoc());
          break;
        }
      if (!lowerFusion(fusion)) return false;
    } else {
      k.kind = kernelKindOf(fusionKindOf(op));
      if (!lowerOp(op)) return false;
    }
    k.end = static_cast<int32_t>(p_.instrs.size());
    for (Value r : op->getResults()) k.outputs.push_back(ids_.lookup(r));
    if (!readOffsets(op, k.outputs)) return false;
    p_.kernels.push_back(std::move(k));
    return true;
  }

  // The body's ops become the kernel's instructions. Their values are Local,
  // but the op that computes a yielded value writes the fusion's result
  // directly; a yielded block argument or constant, or a value yielded a
  // second time, is copied into its result (a reshape to the same type).
  bool lowerFusion(FusionOp fusion) {
    Block& body = fusion.getBlock();
    for (auto [arg, input] : llvm::zip(body.getArguments(), fusion.getInputs()))
      ids_[arg] = ids_.lookup(input);
    auto yield = cast<YieldOp>(body.getTerminator());
    llvm::SmallVector<bool> copied;
    for (auto [i, v] : llvm::enumerate(yield.getValues())) {
      Operation* def = v.getDefiningOp();
      bool direct = def && !isa<ConstantOp>(def) && !yieldTargets_.count(v);
      if (direct) yieldTargets_[v] = fusion.getResult(i);
      copied.push_back(!direct);
    }
    valueKind_ = rt::ValueKind::Local;
    bool ok = true;
    for (Operation& op : body.without_terminator())
      if (!(ok = lowerOp(&op))) break;
    valueKind_ = rt::ValueKind::Intermediate;
    yieldTargets_.clear();
    if (!ok) return false;
    for (auto [i, v] : llvm::enumerate(yield.getValues())) {
      if (!copied[i]) continue;
      rt::Instr in;
      in.op = rt::OpCode::Reshape;
      in.operands = {ids_.lookup(v)};
      in.result = newValue(fusion.getResult(i), rt::ValueKind::Intermediate);
      in.location = locString(yield.getLoc());
      p_.instrs.push_back(std::move(in));
    }
    return true;
  }

  // dlc.offsets (the memory plan): one arena offset per result, -1 for a
  // buffer of its own; absent means no plan, every result in its own buffer.
  bool readOffsets(Operation* op, const std::vector<int32_t>& outputs) {
    Attribute a = op->getAttr("dlc.offsets");
    if (!a) return true;
    auto offsets = a.dyn_cast<DenseI64ArrayAttr>();
    if (!offsets || offsets.size() != static_cast<int64_t>(outputs.size()))
      return fail(op, "dlc.offsets must be an array<i64> with one offset per result (" +
                          std::to_string(outputs.size()) + ")");
    for (auto [id, offset] : llvm::zip(outputs, offsets.asArrayRef())) p_.values[id].offset = offset;
    return true;
  }

  int32_t newValue(Value v, rt::ValueKind kind) {
    int32_t id = static_cast<int32_t>(p_.values.size());
    rt::ValueInfo info;
    info.type = tensorTypeOf(v.getType());
    info.kind = kind;
    p_.values.push_back(std::move(info));
    ids_[v] = id;
    return id;
  }

  // The value an instruction writes: a Local inside a fusion, unless the
  // fusion yields it (then the fusion's result, which may live in the arena).
  int32_t resultValue(Value v) {
    auto target = yieldTargets_.find(v);
    if (target == yieldTargets_.end()) return newValue(v, valueKind_);
    int32_t id = newValue(target->second, rt::ValueKind::Intermediate);
    ids_[v] = id;
    return id;
  }

  rt::Instr& emit(Operation* op, rt::OpCode code) {
    rt::Instr in;
    in.op = code;
    for (Value v : op->getOperands()) in.operands.push_back(ids_.lookup(v));
    in.result = resultValue(op->getResult(0));
    in.location = locString(op->getLoc());
    p_.instrs.push_back(std::move(in));
    return p_.instrs.back();
  }

  void unary(Operation* op, rt::UnaryKind k) { emit(op, rt::OpCode::Unary).kind = kindOf(k); }
  void binary(Operation* op, rt::BinaryKind k) { emit(op, rt::OpCode::Binary).kind = kindOf(k); }

  bool lowerOp(Operation* op) {
    using U = rt::UnaryKind;
    using B = rt::BinaryKind;
    bool ok = true;
    llvm::TypeSwitch<Operation*>(op)
        .Case([&](ConstantOp c) {
          auto dense = c.getValue().dyn_cast<DenseElementsAttr>();
          if (!dense) { ok = false; return; }
          int32_t id = newValue(c.getResult(), rt::ValueKind::Constant);
          // A splat keeps its one element (runtime/Program.h): a fusion's
          // 0.0 at an activation's shape would otherwise take megabytes.
          if (dense.isSplat() && dense.getNumElements() > 1) {
            p_.values[id].constant = splatElementFromAttr(dense);
            p_.values[id].splat = true;
          } else {
            p_.values[id].constant = hostTensorFromAttr(dense);
          }
        })
        .Case([&](IotaOp o) { emit(op, rt::OpCode::Iota).axis = o.getDim(); })
        .Case([&](NegOp) { unary(op, U::Neg); })
        .Case([&](AbsOp) { unary(op, U::Abs); })
        .Case([&](ExpOp) { unary(op, U::Exp); })
        .Case([&](LogOp) { unary(op, U::Log); })
        .Case([&](SqrtOp) { unary(op, U::Sqrt); })
        .Case([&](RsqrtOp) { unary(op, U::Rsqrt); })
        .Case([&](TanhOp) { unary(op, U::Tanh); })
        .Case([&](LogisticOp) { unary(op, U::Logistic); })
        .Case([&](ErfOp) { unary(op, U::Erf); })
        .Case([&](SinOp) { unary(op, U::Sin); })
        .Case([&](CosOp) { unary(op, U::Cos); })
        .Case([&](FloorOp) { unary(op, U::Floor); })
        .Case([&](CeilOp) { unary(op, U::Ceil); })
        .Case([&](RoundOp) { unary(op, U::Round); })
        .Case([&](SignOp) { unary(op, U::Sign); })
        .Case([&](NotOp) { unary(op, U::Not); })
        .Case([&](AddOp) { binary(op, B::Add); })
        .Case([&](SubOp) { binary(op, B::Sub); })
        .Case([&](MulOp) { binary(op, B::Mul); })
        .Case([&](DivOp) { binary(op, B::Div); })
        .Case([&](PowOp) { binary(op, B::Pow); })
        .Case([&](MaxOp) { binary(op, B::Max); })
        .Case([&](MinOp) { binary(op, B::Min); })
        .Case([&](RemOp) { binary(op, B::Rem); })
        .Case([&](Atan2Op) { binary(op, B::Atan2); })
        .Case([&](AndOp) { binary(op, B::And); })
        .Case([&](OrOp) { binary(op, B::Or); })
        .Case([&](XorOp) { binary(op, B::Xor); })
        .Case([&](ShiftLeftOp) { binary(op, B::ShiftLeft); })
        .Case([&](ShiftRightOp) { binary(op, B::ShiftRight); })
        .Case([&](CompareOp o) {
          emit(op, rt::OpCode::Compare).kind = kindOf(compareKind(o.getDirection()));
        })
        .Case([&](SelectOp) { emit(op, rt::OpCode::Select); })
        .Case([&](ConvertOp) { emit(op, rt::OpCode::Convert); })
        .Case([&](BitcastConvertOp) { emit(op, rt::OpCode::BitcastConvert); })
        .Case([&](BroadcastInDimOp o) {
          emit(op, rt::OpCode::BroadcastInDim).dims = vec(o.getBroadcastDimensions());
        })
        .Case([&](ReshapeOp) { emit(op, rt::OpCode::Reshape); })
        .Case([&](TransposeOp o) { emit(op, rt::OpCode::Transpose).dims = vec(o.getPermutation()); })
        .Case([&](SliceOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Slice);
          in.start = vec(o.getStartIndices());
          in.limit = vec(o.getLimitIndices());
          in.strides = vec(o.getStrides());
        })
        .Case([&](ConcatenateOp o) { emit(op, rt::OpCode::Concatenate).axis = o.getDimension(); })
        .Case([&](PadOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Pad);
          in.low = vec(o.getEdgePaddingLow());
          in.high = vec(o.getEdgePaddingHigh());
          in.interior = vec(o.getInteriorPadding());
        })
        .Case([&](GatherOp o) { emit(op, rt::OpCode::Gather).axis = o.getAxis(); })
        .Case([&](ScatterOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Scatter);
          in.kind = kindOf(scatterKind(o.getKind()));
          in.axis = o.getAxis();
        })
        .Case([&](ReverseOp o) { emit(op, rt::OpCode::Reverse).dims = vec(o.getDimensions()); })
        .Case([&](ReduceOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Reduce);
          in.kind = kindOf(reduceKind(o.getKind()));
          in.dims = vec(o.getDimensions());
        })
        .Case([&](DotGeneralOp o) {
          rt::Instr& in = emit(op, rt::OpCode::DotGeneral);
          in.dot = {vec(o.getLhsBatchingDimensions()), vec(o.getRhsBatchingDimensions()),
                    vec(o.getLhsContractingDimensions()), vec(o.getRhsContractingDimensions())};
        })
        .Case([&](ConvolutionOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Convolution);
          in.conv = {vec(o.getStrides()), vec(o.getPadLow()), vec(o.getPadHigh()),
                     vec(o.getDilations()), static_cast<int64_t>(o.getGroups())};
        })
        .Case([&](ReduceWindowOp o) {
          rt::Instr& in = emit(op, rt::OpCode::ReduceWindow);
          in.kind = kindOf(reduceKind(o.getKind()));
          in.window = {vec(o.getWindow()), vec(o.getStrides()), vec(o.getPadLow()),
                       vec(o.getPadHigh()), vec(o.getDilations())};
        })
        .Case([&](ArgsortOp o) {
          rt::Instr& in = emit(op, rt::OpCode::Argsort);
          in.axis = o.getDim();
          in.kind = o.getDescending() ? 1 : 0;
        })
        .Default([&](Operation*) { ok = false; });
    if (ok) return true;
    error_ = locString(op->getLoc()) + ": the host device cannot run '" +
             op->getName().getStringRef().str() + "'";
    return false;
  }

  rt::Program& p_;
  llvm::DenseMap<Value, int32_t> ids_;
  std::string error_;
  // While lowering a fusion body: the kind of the values it defines, and the
  // fusion result each directly yielded value is written to.
  rt::ValueKind valueKind_ = rt::ValueKind::Intermediate;
  llvm::DenseMap<Value, Value> yieldTargets_;
};

}  // namespace

bool lowerToHost(ModuleOp module, rt::Program& program, std::string& error) {
  auto main = module.lookupSymbol<func::FuncOp>("main");
  if (!main) {
    error = "the module has no func.func @main";
    return false;
  }
  if (!main.getBody().hasOneBlock()) {
    error = "@main must have exactly one block";
    return false;
  }
  return Lowering(program).run(main, error);
}

}  // namespace dlc
