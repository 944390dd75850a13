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
    for (Operation& op : f.getBody().front()) {
      if (auto ret = dyn_cast<func::ReturnOp>(op)) {
        for (Value v : ret.getOperands()) p_.outputs.push_back(ids_.lookup(v));
        continue;
      }
      if (!lower(&op)) {
        error = locString(op.getLoc()) + ": the host device cannot run '" +
                op.getName().getStringRef().str() + "'";
        return false;
      }
    }
    for (size_t i = 0; i < p_.outputs.size(); ++i)
      if (auto name = f.getResultAttrOfType<StringAttr>(i, "dlc.name"))
        if (p_.values[p_.outputs[i]].name.empty()) p_.values[p_.outputs[i]].name = name.str();
    return true;
  }

 private:
  int32_t newValue(Value v, rt::ValueKind kind) {
    int32_t id = static_cast<int32_t>(p_.values.size());
    rt::ValueInfo info;
    info.type = tensorTypeOf(v.getType());
    info.kind = kind;
    p_.values.push_back(std::move(info));
    ids_[v] = id;
    return id;
  }

  rt::Instr& emit(Operation* op, rt::OpCode code) {
    rt::Instr in;
    in.op = code;
    for (Value v : op->getOperands()) in.operands.push_back(ids_.lookup(v));
    in.result = newValue(op->getResult(0), rt::ValueKind::Intermediate);
    in.location = locString(op->getLoc());
    p_.instrs.push_back(std::move(in));
    return p_.instrs.back();
  }

  void unary(Operation* op, rt::UnaryKind k) { emit(op, rt::OpCode::Unary).kind = kindOf(k); }
  void binary(Operation* op, rt::BinaryKind k) { emit(op, rt::OpCode::Binary).kind = kindOf(k); }

  bool lower(Operation* op) {
    using U = rt::UnaryKind;
    using B = rt::BinaryKind;
    bool ok = true;
    llvm::TypeSwitch<Operation*>(op)
        .Case([&](ConstantOp c) {
          auto dense = c.getValue().dyn_cast<DenseElementsAttr>();
          if (!dense) { ok = false; return; }
          int32_t id = newValue(c.getResult(), rt::ValueKind::Constant);
          p_.values[id].constant = hostTensorFromAttr(dense);
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
    return ok;
  }

  rt::Program& p_;
  llvm::DenseMap<Value, int32_t> ids_;
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
