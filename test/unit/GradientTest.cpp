// Every gradient rule (ir/Gradients*.cpp) against central finite
// differences, in f64 on the host device. Each case is one op on random
// shapes (size-1 dims and broadcasting included) with random inputs; the
// loss is sum(op(x..) * w) for a random weight argument w, so that every
// output element's gradient matters. The analytic gradients come from
// dlc-autodiff (appendGradients) and run through the whole pipeline
// (fusion, memory plan) like a training step; the finite differences run
// the forward function alone.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>
#include <random>
#include <sstream>

#include "codegen/host/LowerToHost.h"
#include "ir/Dialect.h"
#include "passes/Autodiff.h"
#include "passes/Passes.h"
#include "runtime/host/HostDevice.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"

namespace dlc {
namespace {

using Shape = std::vector<int64_t>;

std::string T(const Shape& s, const char* et = "f64") {
  std::string t = "tensor<";
  for (int64_t d : s) t += std::to_string(d) + "x";
  return t + et + ">";
}

std::string list(const Shape& s) {
  std::string t = "[";
  for (size_t i = 0; i < s.size(); ++i) t += (i ? ", " : "") + std::to_string(s[i]);
  return t + "]";
}

// One test function: arguments (differentiated unless in `fixed`), a body
// that defines %r of shape `out`, and the domain of the random inputs.
struct Case {
  std::vector<Shape> args;
  std::string body;
  Shape out;
  double lo = -1.5, hi = 1.5;  // inputs drawn from [lo, hi]
  double tolerance = 1e-6;
  double eps = 1e-6;
};

std::string moduleText(const Case& c) {
  std::ostringstream s;
  s << "func.func @main(";
  for (size_t i = 0; i < c.args.size(); ++i) s << "%a" << i << ": " << T(c.args[i]) << ", ";
  s << "%w: " << T(c.out) << ") -> tensor<f64> {\n" << c.body << "\n";
  Shape all;
  for (size_t i = 0; i < c.out.size(); ++i) all.push_back(static_cast<int64_t>(i));
  s << "  %m = dlc.mul %r, %w : " << T(c.out) << "\n";
  s << "  %l = dlc.reduce sum %m, dims = " << list(all) << " : " << T(c.out) << " -> tensor<f64>\n";
  s << "  return %l : tensor<f64>\n}\n";
  return s.str();
}

struct Compiled {
  rt::Program program;
  std::string error;
};

// Parses, optionally differentiates, compiles with the full pipeline.
void compile(mlir::MLIRContext& ctx, const std::string& text, bool grad, size_t nArgs, Compiled& out) {
  auto module = mlir::parseSourceString<mlir::ModuleOp>(text, &ctx);
  ASSERT_TRUE(module) << text;
  if (grad) {
    std::vector<unsigned> wrt;
    for (unsigned i = 0; i < nArgs; ++i) wrt.push_back(i);
    auto f = module->lookupSymbol<mlir::func::FuncOp>("main");
    ASSERT_TRUE(mlir::succeeded(appendGradients(f, 0, wrt))) << text;
  }
  mlir::PassManager pm(&ctx);
  buildInferencePipeline(pm);
  ASSERT_TRUE(mlir::succeeded(pm.run(*module))) << text;
  ASSERT_TRUE(lowerToHost(*module, out.program, out.error)) << out.error;
}

rt::HostTensor randomTensor(const Shape& s, std::mt19937& rng, double lo, double hi) {
  rt::HostTensor t(rt::TensorType{rt::DType::F64, s});
  std::uniform_real_distribution<double> u(lo, hi);
  for (int64_t i = 0; i < t.numElements(); ++i) t.as<double>()[i] = u(rng);
  return t;
}

void checkGradients(const Case& c, unsigned seed) {
  SCOPED_TRACE(moduleText(c));
  mlir::MLIRContext ctx;
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  Compiled forward, backward;
  compile(ctx, moduleText(c), false, c.args.size(), forward);
  compile(ctx, moduleText(c), true, c.args.size(), backward);
  if (testing::Test::HasFatalFailure()) return;
  std::mt19937 rng(seed);
  std::vector<rt::HostTensor> inputs;
  for (const Shape& s : c.args) inputs.push_back(randomTensor(s, rng, c.lo, c.hi));
  inputs.push_back(randomTensor(c.out, rng, -1.0, 1.0));
  std::vector<rt::HostTensor> results = rt::runOnHost(backward.program, inputs);
  ASSERT_EQ(results.size(), c.args.size() + 1);
  auto lossAt = [&](std::vector<rt::HostTensor>& in) { return rt::runOnHost(forward.program, in)[0].as<double>()[0]; };
  for (size_t a = 0; a < c.args.size(); ++a) {
    const double* analytic = results[a + 1].as<double>();
    for (int64_t i = 0; i < inputs[a].numElements(); ++i) {
      double& x = inputs[a].as<double>()[i];
      double x0 = x;
      x = x0 + c.eps;
      double up = lossAt(inputs);
      x = x0 - c.eps;
      double down = lossAt(inputs);
      x = x0;
      double numeric = (up - down) / (2 * c.eps);
      EXPECT_NEAR(analytic[i], numeric, c.tolerance * (1 + std::fabs(numeric)))
          << "argument " << a << " element " << i;
    }
  }
}

// Random dims in [1, 4], a third of them 1.
Shape randomShape(std::mt19937& rng, size_t rank) {
  Shape s;
  for (size_t i = 0; i < rank; ++i) s.push_back(rng() % 3 == 0 ? 1 : 1 + static_cast<int64_t>(rng() % 4));
  return s;
}

constexpr unsigned kSeeds = 3;

TEST(GradientTest, Unary) {
  struct Op { const char* name; double lo, hi; };
  const Op ops[] = {{"neg", -1.5, 1.5}, {"abs", 0.2, 1.5}, {"exp", -1.5, 1.5}, {"log", 0.5, 2},
                    {"sqrt", 0.5, 2}, {"rsqrt", 0.5, 2}, {"tanh", -1.5, 1.5}, {"logistic", -2, 2},
                    {"erf", -1.5, 1.5}, {"sin", -3, 3}, {"cos", -3, 3}};
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed);
    for (const Op& op : ops) {
      Shape s = randomShape(rng, seed);  // ranks 0, 1, 2
      Case c{{s}, std::string("  %r = dlc.") + op.name + " %a0 : " + T(s), s, op.lo, op.hi};
      checkGradients(c, seed);
    }
  }
}

TEST(GradientTest, Binary) {
  struct Op { const char* name; double lo, hi; };
  const Op ops[] = {{"add", -1.5, 1.5}, {"sub", -1.5, 1.5}, {"mul", -1.5, 1.5}, {"div", 0.5, 2},
                    {"pow", 0.5, 2},    {"max", -1.5, 1.5}, {"min", -1.5, 1.5}, {"rem", 0.3, 2.9},
                    {"atan2", -1.5, 1.5}};
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed + 10);
    for (const Op& op : ops) {
      Shape s = randomShape(rng, 1 + seed);
      Case c{{s, s}, std::string("  %r = dlc.") + op.name + " %a0, %a1 : " + T(s), s, op.lo, op.hi};
      checkGradients(c, seed);
    }
  }
}

TEST(GradientTest, SelectAndConvert) {
  Shape s{3, 1, 2};
  checkGradients({{s, s, s},
                  "  %p = dlc.compare gt, %a2, %a0 : " + T(s) + " -> " + T(s, "i1") +
                      "\n  %r = dlc.select %p, %a0, %a1 : " + T(s, "i1") + ", " + T(s),
                  s},
                 1);
  // Through f32 and back: the gradient is 1, finite differences see f32's rounding.
  Case c{{s},
         "  %h = dlc.convert %a0 : " + T(s) + " -> " + T(s, "f32") + "\n  %r = dlc.convert %h : " + T(s, "f32") +
             " -> " + T(s),
         s};
  c.eps = 1e-2;
  c.tolerance = 1e-4;
  checkGradients(c, 2);
}

TEST(GradientTest, BroadcastInDim) {
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed + 20);
    Shape out = randomShape(rng, 3);
    // operand dims 0 and 2 of the result, one of them size 1 (repeated)
    Shape in{rng() % 2 ? 1 : out[0], out[2]};
    checkGradients({{in}, "  %r = dlc.broadcast_in_dim %a0, dims = [0, 2] : " + T(in) + " -> " + T(out), out}, seed);
    // a transposing map and a scalar
    Shape in2{out[2], out[1]};
    checkGradients({{in2}, "  %r = dlc.broadcast_in_dim %a0, dims = [2, 1] : " + T(in2) + " -> " + T(out), out}, seed);
    checkGradients({{{}}, "  %r = dlc.broadcast_in_dim %a0, dims = [] : " + T({}) + " -> " + T(out), out}, seed);
  }
}

TEST(GradientTest, ReshapeTransposeReverse) {
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed + 30);
    Shape s = randomShape(rng, 3);
    Shape flat{s[0] * s[1] * s[2]};
    checkGradients({{s}, "  %r = dlc.reshape %a0 : " + T(s) + " -> " + T(flat), flat}, seed);
    Shape perm{0, 1, 2};
    std::shuffle(perm.begin(), perm.end(), rng);
    Shape t{s[static_cast<size_t>(perm[0])], s[static_cast<size_t>(perm[1])], s[static_cast<size_t>(perm[2])]};
    checkGradients({{s}, "  %r = dlc.transpose %a0, perm = " + list(perm) + " : " + T(s) + " -> " + T(t), t}, seed);
    checkGradients({{s}, "  %r = dlc.reverse %a0, dims = [0, 2] : " + T(s), s}, seed);
  }
}

TEST(GradientTest, SlicePadConcatenate) {
  Shape s{5, 4};
  checkGradients({{s}, "  %r = dlc.slice %a0, start = [1, 0], limit = [5, 3], strides = [2, 1] : " + T(s) + " -> " +
                           T({2, 3}),
                  {2, 3}},
                 1);
  // edge, negative edge and interior padding; the padding value is an argument too
  Shape p{4 + 2 - 1 + 3, 4 - 1 + 0 + 3 * 2};
  checkGradients({{s, {}},
                  "  %r = dlc.pad %a0, %a1, low = [2, -1], high = [-1, 0], interior = [1, 2] : (" + T(s) + ", " +
                      T({}) + ") -> " + T({5 + 2 - 1 + 4, 4 - 1 + 6}),
                  {5 + 2 - 1 + 4, 4 - 1 + 6}},
                 2);
  (void)p;
  checkGradients({{{2, 3}, {1, 3}, {4, 3}},
                  "  %r = dlc.concatenate %a0, %a1, %a2 dim = 0 : (" + T({2, 3}) + ", " + T({1, 3}) + ", " +
                      T({4, 3}) + ") -> " + T({7, 3}),
                  {7, 3}},
                 3);
}

TEST(GradientTest, GatherScatter) {
  // duplicate and negative indices: the gradient accumulates
  std::string idx = "  %i = dlc.constant dense<[[2, 0], [-1, 2]]> : tensor<2x2xi64>\n";
  checkGradients({{{4, 3}},
                  idx + "  %r = dlc.gather %a0, %i, axis = 0 : (" + T({4, 3}) + ", tensor<2x2xi64>) -> " + T({2, 2, 3}),
                  {2, 2, 3}},
                 1);
  checkGradients({{{3, 4}, {3, 2, 2}},
                  idx + "  %r = dlc.scatter add %a0, %i, %a1, axis = 1 : (" + T({3, 4}) + ", tensor<2x2xi64>, " +
                      T({3, 2, 2}) + ") -> " + T({3, 4}),
                  {3, 4}},
                 2);
}

TEST(GradientTest, Reduce) {
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed + 40);
    Shape s = randomShape(rng, 3);
    for (const char* kind : {"sum", "max", "min"}) {
      checkGradients({{s}, std::string("  %r = dlc.reduce ") + kind + " %a0, dims = [0, 2] : " + T(s) + " -> " +
                               T({s[1]}),
                      {s[1]}},
                     seed);
    }
  }
}

TEST(GradientTest, ReduceMaxTiesSplitEvenly) {
  // Not a finite-difference check (the max has a kink at a tie): the stated
  // rule, each of the k tied elements gets 1/k of the gradient.
  mlir::MLIRContext ctx;
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  Compiled c;
  compile(ctx,
          "func.func @main(%x: tensor<4xf64>) -> tensor<f64> {\n"
          "  %r = dlc.reduce max %x, dims = [0] : tensor<4xf64> -> tensor<f64>\n"
          "  return %r : tensor<f64>\n}\n",
          true, 1, c);
  if (HasFatalFailure()) return;
  rt::HostTensor x(rt::TensorType{rt::DType::F64, {4}});
  double v[] = {1, 3, 3, 2};
  for (int i = 0; i < 4; ++i) x.as<double>()[i] = v[i];
  std::vector<rt::HostTensor> in;
  in.push_back(std::move(x));
  std::vector<rt::HostTensor> r = rt::runOnHost(c.program, in);
  const double* g = r[1].as<double>();
  EXPECT_EQ(g[0], 0.0);
  EXPECT_EQ(g[1], 0.5);
  EXPECT_EQ(g[2], 0.5);
  EXPECT_EQ(g[3], 0.0);
}

TEST(GradientTest, DotGeneral) {
  for (unsigned seed = 0; seed < kSeeds; ++seed) {
    std::mt19937 rng(seed + 50);
    Shape d = randomShape(rng, 4);  // b, m, k, n
    int64_t b = d[0], m = d[1], k = d[2], n = d[3];
    checkGradients({{{m, k}, {k, n}},
                    "  %r = dlc.dot_general %a0, %a1, batch = [] x [], contract = [1] x [0] : (" + T({m, k}) + ", " +
                        T({k, n}) + ") -> " + T({m, n}),
                    {m, n}},
                   seed);
    // batched, with the lhs contracting dim first and the rhs batch dim last
    checkGradients({{{k, b, m}, {n, k, b}},
                    "  %r = dlc.dot_general %a0, %a1, batch = [1] x [2], contract = [0] x [1] : (" + T({k, b, m}) +
                        ", " + T({n, k, b}) + ") -> " + T({b, m, n}),
                    {b, m, n}},
                   seed);
  }
}

TEST(GradientTest, Convolution) {
  struct Conv {
    Shape x, w, strides, pl, ph, dil;
    int64_t groups;
  };
  const Conv convs[] = {
      {{2, 3, 5, 5}, {4, 3, 3, 3}, {1, 1}, {1, 1}, {1, 1}, {1, 1}, 1},
      {{1, 2, 7, 6}, {2, 2, 3, 2}, {2, 3}, {0, 1}, {1, 0}, {1, 1}, 1},   // strides, rows left unread
      {{1, 4, 6, 6}, {6, 2, 2, 2}, {1, 2}, {1, 0}, {0, 2}, {2, 1}, 2},   // groups, dilation
      {{2, 2, 7}, {4, 1, 3}, {2}, {2}, {1}, {2}, 2},                     // 1-d, depthwise-like
  };
  unsigned seed = 0;
  for (const Conv& cv : convs) {
    Shape out{cv.x[0], cv.w[0]};
    for (size_t i = 0; i + 2 < cv.x.size(); ++i) {
      int64_t span = (cv.w[2 + i] - 1) * cv.dil[i] + 1;
      out.push_back((cv.x[2 + i] + cv.pl[i] + cv.ph[i] - span) / cv.strides[i] + 1);
    }
    checkGradients({{cv.x, cv.w},
                    "  %r = dlc.convolution %a0, %a1, strides = " + list(cv.strides) + ", pad = " + list(cv.pl) +
                        " x " + list(cv.ph) + ", dilations = " + list(cv.dil) +
                        ", groups = " + std::to_string(cv.groups) + " : (" + T(cv.x) + ", " + T(cv.w) + ") -> " +
                        T(out),
                    out},
                   seed++);
  }
}

TEST(GradientTest, ReduceWindow) {
  struct Pool {
    const char* kind;
    Shape x, window, strides, pl, ph;
  };
  const Pool pools[] = {
      {"max", {2, 2, 4, 4}, {1, 1, 2, 2}, {1, 1, 2, 2}, {0, 0, 0, 0}, {0, 0, 0, 0}},
      {"max", {1, 2, 5, 5}, {1, 1, 3, 3}, {1, 1, 2, 2}, {0, 0, 1, 1}, {0, 0, 1, 1}},  // overlapping, padded
      {"min", {1, 1, 5, 4}, {1, 1, 2, 3}, {1, 1, 1, 1}, {0, 0, 0, 0}, {0, 0, 0, 0}},
      {"sum", {2, 1, 5, 5}, {1, 1, 3, 2}, {1, 1, 2, 1}, {0, 0, 1, 0}, {0, 0, 0, 1}},
  };
  unsigned seed = 0;
  for (const Pool& p : pools) {
    Shape out;
    for (size_t i = 0; i < p.x.size(); ++i) out.push_back((p.x[i] + p.pl[i] + p.ph[i] - p.window[i]) / p.strides[i] + 1);
    Shape ones(p.x.size(), 1);
    checkGradients({{p.x},
                    std::string("  %r = dlc.reduce_window ") + p.kind + " %a0, window = " + list(p.window) +
                        ", strides = " + list(p.strides) + ", pad = " + list(p.pl) + " x " + list(p.ph) +
                        ", dilations = " + list(ones) + " : " + T(p.x) + " -> " + T(out),
                    out},
                   seed++);
  }
}

TEST(GradientTest, OpWithoutRuleFailsAtTheOp) {
  mlir::MLIRContext ctx;
  ctx.loadDialect<DlcDialect, mlir::func::FuncDialect>();
  std::string message;
  mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic& d) {
    message = d.str();
    return mlir::success();
  });
  auto module = mlir::parseSourceString<mlir::ModuleOp>(
      "func.func @main(%x: tensor<4xf64>) -> tensor<f64> {\n"
      "  %r = dlc.reduce prod %x, dims = [0] : tensor<4xf64> -> tensor<f64>\n"
      "  return %r : tensor<f64>\n}\n",
      &ctx);
  ASSERT_TRUE(module);
  auto f = module->lookupSymbol<mlir::func::FuncOp>("main");
  EXPECT_TRUE(mlir::failed(appendGradients(f, 0, {0})));
  EXPECT_NE(message.find("'dlc.reduce' op has no gradient rule yet for reduce prod"), std::string::npos) << message;
}

}  // namespace
}  // namespace dlc
