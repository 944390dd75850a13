#include "ir/SplatConstants.h"

#include "mlir/IR/Matchers.h"

using namespace mlir;

namespace dlc {

Attribute constantValue(Value v) {
  Attribute value;
  matchPattern(v, m_Constant(&value));
  return value;
}

DenseElementsAttr splatOf(Attribute value) {
  auto dense = value.dyn_cast_or_null<DenseElementsAttr>();
  return dense && dense.isSplat() ? dense : nullptr;
}

bool isSplatInt(Attribute value, int64_t v) {
  DenseElementsAttr s = splatOf(value);
  if (!s) return false;
  auto type = s.getElementType().dyn_cast<IntegerType>();
  if (!type || type.getWidth() == 1) return false;
  return s.getSplatValue<APInt>() == APInt(type.getWidth(), static_cast<uint64_t>(v), true);
}

bool isSplatFloat(Attribute value, double v) {
  DenseElementsAttr s = splatOf(value);
  if (!s || !s.getElementType().isa<FloatType>()) return false;
  APFloat splat = s.getSplatValue<APFloat>();
  APFloat want(v);
  bool losesInfo = false;
  want.convert(splat.getSemantics(), APFloat::rmNearestTiesToEven, &losesInfo);
  return !losesInfo && splat.bitwiseIsEqual(want);
}

}  // namespace dlc
