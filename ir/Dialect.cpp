#include "ir/Dialect.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/DialectImplementation.h"
#include "llvm/ADT/TypeSwitch.h"

using namespace mlir;

#include "ir/DlcDialect.cpp.inc"
#include "ir/DlcEnums.cpp.inc"
#include "ir/DlcInterfaces.cpp.inc"

namespace dlc {

llvm::StringRef opClassName(OpClass c) {
  switch (c) {
    case OpClass::Elementwise: return "elementwise";
    case OpClass::Injective: return "injective";
    case OpClass::Reduction: return "reduction";
    case OpClass::Contraction: return "contraction";
    case OpClass::Constant: return "constant";
  }
  return "unknown";
}

void DlcDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "ir/DlcOps.cpp.inc"
      >();
}

Operation* DlcDialect::materializeConstant(OpBuilder& builder, Attribute value, Type type,
                                           Location loc) {
  auto elements = value.dyn_cast<ElementsAttr>();
  if (!elements || elements.getType() != type) return nullptr;
  return builder.create<ConstantOp>(loc, elements);
}

}  // namespace dlc
