// The DlcOp interface: every core op answers its op class, and the gradient
// slot says plainly that no rule exists yet.
#include <gtest/gtest.h>

#include "ir/Dialect.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

namespace dlc {
namespace {

const char* kModule = R"mlir(
func.func @f(%x: tensor<2x3xf32>, %w: tensor<3x4xf32>) -> tensor<2xf32> {
  %c = dlc.constant dense<1.0> : tensor<2x3xf32>
  %a = dlc.add %x, %c : tensor<2x3xf32>
  %t = dlc.transpose %a, perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %d = dlc.dot_general %a, %w, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<3x4xf32>) -> tensor<2x4xf32>
  %r = dlc.reduce sum %d, dims = [1] : tensor<2x4xf32> -> tensor<2xf32>
  return %r : tensor<2xf32>
}
)mlir";

TEST(Dialect, OpClassesComeFromTheInterface) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  ASSERT_TRUE(module);
  std::map<std::string, std::string> classes;
  module->walk([&](DlcOp op) {
    classes[op->getName().getStringRef().str()] = opClassName(op.getOpClass()).str();
  });
  EXPECT_EQ(classes["dlc.constant"], "constant");
  EXPECT_EQ(classes["dlc.add"], "elementwise");
  EXPECT_EQ(classes["dlc.transpose"], "injective");
  EXPECT_EQ(classes["dlc.dot_general"], "contraction");
  EXPECT_EQ(classes["dlc.reduce"], "reduction");
  EXPECT_EQ(classes.size(), 5u);
}

TEST(Dialect, GradientSlotReportsMissingRule) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  auto module = mlir::parseSourceString<mlir::ModuleOp>(kModule, &ctx);
  ASSERT_TRUE(module);
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic& d) {
    message = d.str();
    return mlir::success();
  });
  // dlc.constant declares no rule of its own (ir/DlcOps.td: grad = 0), so
  // the interface's default answers. (The ops with rules are tested in
  // GradientTest.cpp.)
  DlcOp constant;
  module->walk([&](ConstantOp op) { constant = op; });
  ASSERT_TRUE(constant);
  mlir::OpBuilder b(&ctx);
  llvm::SmallVector<mlir::Value> grads;
  EXPECT_TRUE(mlir::failed(constant.buildGradient(b, {}, grads)));
  EXPECT_NE(message.find("has no gradient rule yet"), std::string::npos) << message;
}

}  // namespace
}  // namespace dlc
