// dlc-autodiff appends the reverse-mode gradients of a scalar loss to @main
// (passes/Autodiff.cpp, rules in ir/Gradients*.cpp). The numbers are
// checked against finite differences in test/unit/GradientTest.cpp; here,
// the structure of what the rules build.
// RUN: dlc-opt --split-input-file --verify-diagnostics --dlc-autodiff %s | FileCheck %s

// loss = sum(x * w): d/dx = w and d/dw = x, times the loss's gradient 1
// broadcast back from the scalar. Without wrt, every float argument.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>, %[[W:.*]]: tensor<2x3xf32>) -> (tensor<f32>, tensor<2x3xf32>, tensor<2x3xf32>)
// CHECK:         %[[S:.*]] = dlc.reduce sum
// CHECK:         %[[ONE:.*]] = dlc.constant dense<1.000000e+00> : tensor<f32>
// CHECK:         %[[B:.*]] = dlc.broadcast_in_dim %[[ONE]], dims = [] : tensor<f32> -> tensor<2x3xf32>
// CHECK:         %[[GX:.*]] = dlc.mul %[[B]], %[[W]] : tensor<2x3xf32>
// CHECK:         %[[GW:.*]] = dlc.mul %[[B]], %[[X]] : tensor<2x3xf32>
// CHECK:         return %[[S]], %[[GX]], %[[GW]]
func.func @main(%x: tensor<2x3xf32>, %w: tensor<2x3xf32>) -> tensor<f32> {
  %0 = dlc.mul %x, %w : tensor<2x3xf32>
  %1 = dlc.reduce sum %0, dims = [0, 1] : tensor<2x3xf32> -> tensor<f32>
  return %1 : tensor<f32>
}

// -----

// A broadcast bias: its gradient is summed over the broadcast dimension.
// A value used twice (h in h * h) gets the sum of both contributions.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> (tensor<f32>, tensor<4x3xf32>, tensor<3xf32>)
// CHECK:         %[[H:.*]] = dlc.add %{{.*}}, %{{.*}} : tensor<4x3xf32>
// CHECK:         dlc.mul %{{.*}}, %[[H]]
// CHECK:         dlc.mul %{{.*}}, %[[H]]
// CHECK:         %[[GH:.*]] = dlc.add
// CHECK:         %[[R:.*]] = dlc.reduce sum %[[GH]], dims = [0] : tensor<4x3xf32> -> tensor<3xf32>
// CHECK:         return %{{.*}}, %[[GH]], %[[R]]
func.func @main(%x: tensor<4x3xf32>, %b: tensor<3xf32>) -> tensor<f32> {
  %bb = dlc.broadcast_in_dim %b, dims = [1] : tensor<3xf32> -> tensor<4x3xf32>
  %h = dlc.add %x, %bb : tensor<4x3xf32>
  %sq = dlc.mul %h, %h : tensor<4x3xf32>
  %l = dlc.reduce sum %sq, dims = [0, 1] : tensor<4x3xf32> -> tensor<f32>
  return %l : tensor<f32>
}

// -----

// wrt selects the arguments (the checks are in the input file).
// RUN: dlc-opt --dlc-autodiff="wrt=1" %S/Inputs/autodiff-matmul.mlir | FileCheck %S/Inputs/autodiff-matmul.mlir

// An op without a rule on the path to the loss is an error at that op.
func.func @main(%x: tensor<4xf32>) -> tensor<f32> {
  // expected-error @+1 {{'dlc.reduce' op has no gradient rule yet for reduce prod}}
  %p = dlc.reduce prod %x, dims = [0] : tensor<4xf32> -> tensor<f32>
  return %p : tensor<f32>
}

// -----

// Ops off the path (here the integer index math) need no rule; a parameter
// the loss does not depend on gets a zero gradient.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> (tensor<f32>, tensor<4xf32>, tensor<2xf32>)
// CHECK:         %[[Z:.*]] = dlc.constant dense<0.000000e+00> : tensor<2xf32>
// CHECK:         return {{.*}}, %[[Z]]
func.func @main(%x: tensor<4xf32>, %unused: tensor<2xf32>) -> tensor<f32> {
  %i = dlc.iota dim = 0 : tensor<4xi64>
  %p = dlc.reduce prod %i, dims = [0] : tensor<4xi64> -> tensor<i64>
  %s = dlc.reduce sum %x, dims = [0] : tensor<4xf32> -> tensor<f32>
  return %s : tensor<f32>
}

// -----

// The loss must be a scalar.
// expected-error @+1 {{autodiff: the loss (result 0) must be a float tensor of one element}}
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
