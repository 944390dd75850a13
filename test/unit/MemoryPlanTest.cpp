// The memory planner and its validator on random graphs: every plan the
// planner makes passes the validator, stays between its bounds, and a plan
// corrupted so that two live buffers share bytes is rejected. Also the
// readers of a plan: memoryStats and the --emit plan listing.
#include <gtest/gtest.h>

#include <random>
#include <sstream>

#include "ir/Dialect.h"
#include "passes/Liveness.h"
#include "passes/MemoryPlan.h"
#include "passes/Passes.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/Pass.h"
#include "mlir/Pass/PassManager.h"

namespace dlc {
namespace {

class MemoryPlanTest : public ::testing::Test {
 protected:
  MemoryPlanTest() { ctx_.loadDialect<DlcDialect, mlir::func::FuncDialect>(); }

  mlir::OwningOpRef<mlir::ModuleOp> parse(const std::string& text) {
    return mlir::parseSourceString<mlir::ModuleOp>(text, &ctx_);
  }

  // Runs the passes, collecting error messages instead of printing them.
  bool run(mlir::ModuleOp m, bool plan, std::string* errors = nullptr) {
    std::string sink;
    mlir::ScopedDiagnosticHandler handler(&ctx_, [&](mlir::Diagnostic& d) {
      (errors ? *errors : sink) += d.str() + "\n";
      return mlir::success();
    });
    mlir::PassManager pm(&ctx_);
    if (plan) pm.addPass(createPlanMemoryPass());
    pm.addPass(createVerifyMemoryPlanPass());
    return mlir::succeeded(pm.run(m));
  }

  mlir::MLIRContext ctx_;
};

// A random DAG over 2-D f32 tensors of a few shapes: elementwise ops (in
// place where their input dies), transposes and f16 round trips (never in
// place), with a few values returned.
std::string randomGraph(std::mt19937& rng, int ops) {
  const int64_t dims[] = {4, 8, 16, 64};
  auto pick = [&](int n) { return static_cast<int>(rng() % n); };
  struct V { std::string name; int64_t r, c; };
  std::vector<V> vals{{"%x", 16, 16}, {"%y", 8, 64}};
  auto type = [](const V& v) {
    return "tensor<" + std::to_string(v.r) + "x" + std::to_string(v.c) + "xf32>";
  };
  std::ostringstream body;
  for (int i = 0; i < ops; ++i) {
    // Mostly recent values, so that lifetimes vary.
    const V& a = vals[vals.size() - 1 - pick(std::min<int>(vals.size(), 6))];
    V out{"%v" + std::to_string(i), a.r, a.c};
    switch (pick(5)) {
      case 0: body << out.name << " = dlc.exp " << a.name << " : " << type(a); break;
      case 1: {
        std::vector<const V*> same;
        for (const V& v : vals) if (v.r == a.r && v.c == a.c) same.push_back(&v);
        body << out.name << " = dlc.add " << a.name << ", " << same[pick(same.size())]->name
             << " : " << type(a);
        break;
      }
      case 2:
        std::swap(out.r, out.c);
        body << out.name << " = dlc.transpose " << a.name << ", perm = [1, 0] : " << type(a)
             << " -> " << type(out);
        break;
      case 3: {
        V half{out.name + "h", a.r, a.c};
        body << half.name << " = dlc.convert " << a.name << " : " << type(a) << " -> tensor<"
             << a.r << "x" << a.c << "xf16>\n  " << out.name << " = dlc.convert " << half.name
             << " : tensor<" << a.r << "x" << a.c << "xf16> -> " << type(a);
        break;
      }
      default: {
        // A broadcast needs a unit dimension: one column sliced out first.
        V col{out.name + "c", a.r, 1};
        out.c = dims[pick(4)];
        body << col.name << " = dlc.slice " << a.name << ", start = [0, 0], limit = [" << a.r
             << ", 1], strides = [1, 1] : " << type(a) << " -> " << type(col) << "\n  "
             << out.name << " = dlc.broadcast_in_dim " << col.name << ", dims = [0, 1] : "
             << type(col) << " -> " << type(out);
      }
    }
    body << "\n  ";
    vals.push_back(out);
  }
  const V& last = vals.back();
  const V& other = vals[2 + pick(ops)];
  std::ostringstream f;
  f << "func.func @main(%x: tensor<16x16xf32>, %y: tensor<8x64xf32>) -> (" << type(last) << ", "
    << type(other) << ") {\n  " << body.str() << "return " << last.name << ", " << other.name
    << " : " << type(last) << ", " << type(other) << "\n}\n";
  return f.str();
}

TEST_F(MemoryPlanTest, RandomGraphsGetValidPlansAndCorruptionsAreCaught) {
  std::mt19937 rng(7);
  int corrupted = 0, withInPlace = 0;
  for (int round = 0; round < 200; ++round) {
    std::string text = randomGraph(rng, 5 + round % 40);
    auto m = parse(text);
    ASSERT_TRUE(m) << text;
    std::string errors;
    ASSERT_TRUE(run(*m, /*plan=*/true, &errors)) << text << errors;
    auto f = *m->getOps<mlir::func::FuncOp>().begin();
    std::optional<MemoryStats> stats = memoryStats(f);
    ASSERT_TRUE(stats);
    EXPECT_LE(stats->peakBytes, stats->naiveBytes);
    EXPECT_LE(stats->lowerBoundBytes, stats->naiveBytes);
    bool anyInPlace = false;
    f.walk([&](mlir::Operation* op) { anyInPlace |= op->hasAttr(kReusesAttr); });
    withInPlace += anyInPlace;

    // Move one arena buffer onto another that is live with it (neither
    // in place of the other): the validator must object.
    std::optional<KernelSchedule> s = KernelSchedule::build(f);
    ASSERT_TRUE(s);
    const std::vector<Buffer>& bs = s->buffers();
    auto offsetOf = [&](const Buffer& b) {
      return b.kernel->getAttrOfType<mlir::DenseI64ArrayAttr>(kOffsetsAttr)[b.result];
    };
    auto inPlace = [&](const Buffer& b) {  // takes over or is taken over
      if (b.kernel->hasAttr(kReusesAttr)) return true;
      for (mlir::Operation* user : b.value.getUsers())
        if (user->hasAttr(kReusesAttr)) return true;
      return false;
    };
    bool done = false;
    for (size_t i = 0; i < bs.size() && !done; ++i) {
      if (!bs[i].inArena || inPlace(bs[i])) continue;
      for (size_t j = 0; j < i && !done; ++j) {
        if (!bs[j].inArena || !bs[i].liveWith(bs[j]) || bs[j].bytes < bs[i].bytes ||
            offsetOf(bs[j]) == offsetOf(bs[i]))
          continue;
        auto offsets = bs[i].kernel->getAttrOfType<mlir::DenseI64ArrayAttr>(kOffsetsAttr);
        std::vector<int64_t> moved(offsets.asArrayRef().begin(), offsets.asArrayRef().end());
        moved[bs[i].result] = offsetOf(bs[j]);
        bs[i].kernel->setAttr(kOffsetsAttr, mlir::Builder(&ctx_).getDenseI64ArrayAttr(moved));
        errors.clear();
        EXPECT_FALSE(run(*m, /*plan=*/false, &errors)) << text;
        EXPECT_NE(errors.find("memory plan overlap"), std::string::npos) << errors;
        ++corrupted;
        done = true;
      }
    }
  }
  EXPECT_GT(corrupted, 100);
  EXPECT_GT(withInPlace, 100);
}

const char* kSmall = R"mlir(
func.func @main(%x: tensor<256xf32>) -> tensor<256xf32> {
  %0 = dlc.exp %x : tensor<256xf32> loc(#add)
  %1 = dlc.transpose %0, perm = [0] : tensor<256xf32> -> tensor<256xf32>
  %2 = dlc.tanh %1 : tensor<256xf32>
  %3 = dlc.add %2, %0 : tensor<256xf32>
  return %3 : tensor<256xf32>
}
#add = loc("Exp_1"("model.onnx":0:0))
)mlir";

TEST_F(MemoryPlanTest, StatsAndListing) {
  auto m = parse(kSmall);
  ASSERT_TRUE(m);
  auto f = *m->getOps<mlir::func::FuncOp>().begin();
  EXPECT_FALSE(memoryStats(f));
  std::string text;
  llvm::raw_string_ostream os(text);
  printMemoryPlan(f, os);
  EXPECT_EQ(os.str(), "@main has no memory plan\n");

  ASSERT_TRUE(run(*m, /*plan=*/true));
  std::optional<MemoryStats> stats = memoryStats(f);
  ASSERT_TRUE(stats);
  EXPECT_EQ(stats->peakBytes, 2048);
  EXPECT_EQ(stats->naiveBytes, 3072);
  EXPECT_EQ(stats->lowerBoundBytes, 3072);
  text.clear();
  printMemoryPlan(f, os);
  EXPECT_EQ(os.str(),
            "memory plan of @main: arena 2048 bytes, naive 3072 bytes, lower bound 3072 bytes, "
            "4 kernels\n"
            "  0: 'dlc.exp' (node 'Exp_1') -> tensor<256xf32> 1024 bytes at 0, live [0, 3]\n"
            "  1: 'dlc.transpose' (-:4:8) -> tensor<256xf32> 1024 bytes at 1024, live [1, 2]\n"
            "  2: 'dlc.tanh' (-:5:8) -> tensor<256xf32> 1024 bytes at 1024, live [2, 3], "
            "in place of operand 0\n"
            "  3: 'dlc.add' (-:6:8) -> tensor<256xf32> 1024 bytes output, live [3, 3]\n");
}

}  // namespace
}  // namespace dlc
