// build_graph: a small MLP built with dlc::GraphBuilder, compiled and run,
// and checked against the same computation written as plain loops.
//
//   y = softmax(relu(x @ W1 + b1) @ W2 + b2)     x: [batch, 8], y: [batch, 3]
#include <algorithm>
#include <cmath>
#include <cstdio>
#include <iostream>
#include <vector>

#include <dlc/dlc.h>

namespace {

constexpr int kIn = 8, kHidden = 16, kOut = 3, kBatch = 4;

// Deterministic, varied weights without a random-number library.
dlc::Tensor weights(dlc::Shape shape, double phase) {
  dlc::Tensor t(dlc::DType::F32, shape);
  float* p = t.data<float>();
  for (int64_t i = 0; i < t.numElements(); ++i) p[i] = static_cast<float>(0.5 * std::sin(0.7 * i + phase));
  return t;
}

// The MLP as loops, in double.
std::vector<double> reference(const std::vector<float>& x, const dlc::Tensor& w1, const dlc::Tensor& b1,
                              const dlc::Tensor& w2, const dlc::Tensor& b2) {
  const float *W1 = w1.data<float>(), *B1 = b1.data<float>(), *W2 = w2.data<float>(), *B2 = b2.data<float>();
  std::vector<double> y(kBatch * kOut);
  for (int r = 0; r < kBatch; ++r) {
    double h[kHidden], logits[kOut], mx = -INFINITY, sum = 0;
    for (int j = 0; j < kHidden; ++j) {
      h[j] = B1[j];
      for (int k = 0; k < kIn; ++k) h[j] += double(x[r * kIn + k]) * W1[k * kHidden + j];
      h[j] = std::max(h[j], 0.0);
    }
    for (int j = 0; j < kOut; ++j) {
      logits[j] = B2[j];
      for (int k = 0; k < kHidden; ++k) logits[j] += h[k] * W2[k * kOut + j];
      mx = std::max(mx, logits[j]);
    }
    for (int j = 0; j < kOut; ++j) sum += std::exp(logits[j] - mx);
    for (int j = 0; j < kOut; ++j) y[r * kOut + j] = std::exp(logits[j] - mx) / sum;
  }
  return y;
}

int run() {
  dlc::Tensor w1 = weights({kIn, kHidden}, 0.1), b1 = weights({kHidden}, 0.2);
  dlc::Tensor w2 = weights({kHidden, kOut}, 0.3), b2 = weights({kOut}, 0.4);

  // The graph: a symbolic batch dimension, fixed at compile time.
  dlc::GraphBuilder g("mlp");
  dlc::Value x = g.input("x", dlc::DType::F32, {"batch", kIn});
  dlc::Value h = g.relu(g.add(g.matmul(x, g.parameter("fc1.w", w1)), g.parameter("fc1.b", b1)));
  dlc::Value logits = g.add(g.matmul(h, g.parameter("fc2.w", w2)), g.parameter("fc2.b", b2));
  g.output(g.softmax(logits, -1), "probs");

  dlc::CompileOptions opts;
  opts.inputShapes["x"] = {kBatch, kIn};
  dlc::Executable exe = dlc::compile(g.build(), opts);
  std::cout << "compiled '" << exe.modelName() << "': " << exe.inputs()[0].typeString() << " -> "
            << exe.outputs()[0].typeString() << ", " << exe.stats().kernels << " kernels\n";

  // Zero-copy: the session reads x from this vector and writes y into that one.
  std::vector<float> xs(kBatch * kIn), ys(kBatch * kOut);
  for (size_t i = 0; i < xs.size(); ++i) xs[i] = static_cast<float>(std::cos(0.3 * i));
  std::vector<dlc::Tensor> outputs = {dlc::Tensor::wrap(ys.data(), dlc::DType::F32, {kBatch, kOut})};
  dlc::Session session(exe);
  session.runInto({dlc::Tensor::wrap(static_cast<const void*>(xs.data()), dlc::DType::F32, {kBatch, kIn})},
                  outputs);

  std::vector<double> expected = reference(xs, w1, b1, w2, b2);
  double maxDiff = 0;
  for (size_t i = 0; i < ys.size(); ++i) maxDiff = std::max(maxDiff, std::abs(ys[i] - expected[i]));
  std::cout << "probs[0] = " << ys[0] << " " << ys[1] << " " << ys[2] << "\n";
  std::cout << "max |dlc - loops| = " << maxDiff << "\n";
  if (maxDiff > 1e-5) {
    std::cout << "MISMATCH\n";
    return 1;
  }
  std::cout << "matches the hand-written loops\n";
  return 0;
}

}  // namespace

int main() {
  try {
    return run();
  } catch (const dlc::Error& e) {
    std::cerr << e.what() << "\n";
    return e.code();
  }
}
