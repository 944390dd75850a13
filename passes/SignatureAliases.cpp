// Signature aliases (MemoryPlan.h): the dlc.alias_arg / dlc.alias_mode
// result attributes, written and read in one place.
#include "passes/MemoryPlan.h"

#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinAttributes.h"

using namespace mlir;

namespace dlc {

void requestAlias(func::FuncOp f, unsigned result, unsigned arg) {
  Builder b(f.getContext());
  f.setResultAttr(result, kAliasArgAttr, b.getI64IntegerAttr(arg));
}

std::vector<SignatureAlias> signatureAliases(func::FuncOp f) {
  std::vector<SignatureAlias> out;
  for (unsigned r = 0; r < f.getNumResults(); ++r) {
    auto arg = f.getResultAttrOfType<IntegerAttr>(r, kAliasArgAttr);
    if (!arg) continue;
    SignatureAlias a;
    a.result = r;
    a.arg = arg.getInt();
    if (auto mode = f.getResultAttrOfType<StringAttr>(r, kAliasModeAttr)) a.mode = mode.str();
    out.push_back(a);
  }
  return out;
}

std::string aliasRequestProblem(func::FuncOp f) {
  std::vector<int> aliasedBy(f.getNumArguments(), -1);
  for (const SignatureAlias& a : signatureAliases(f)) {
    std::string who = "result " + std::to_string(a.result) + " ('" + kAliasArgAttr + " = " +
                      std::to_string(a.arg) + "')";
    if (a.arg < 0 || a.arg >= static_cast<int64_t>(f.getNumArguments()))
      return who + ": the function has " + std::to_string(f.getNumArguments()) + " arguments";
    Type rt = f.getResultTypes()[a.result], at = f.getArgument(a.arg).getType();
    if (rt != at) {
      std::string s;
      llvm::raw_string_ostream os(s);
      os << who << ": the result is " << rt << " but the argument is " << at;
      return os.str();
    }
    int& other = aliasedBy[a.arg];
    if (other >= 0)
      return who + ": result " + std::to_string(other) + " is written into that argument too";
    other = static_cast<int>(a.result);
    if (!a.mode.empty() && a.mode != "in_place" && a.mode != "copy")
      return "result " + std::to_string(a.result) + ": '" + kAliasModeAttr + "' is '" + a.mode +
             "'; expected in_place or copy";
  }
  return "";
}

}  // namespace dlc
