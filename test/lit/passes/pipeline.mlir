// The compile pipeline folds identities and drops dead and duplicate ops.
// RUN: dlc-opt --dlc-pipeline %s | FileCheck %s

// CHECK-LABEL: func.func @identities
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NEXT:    return %[[X]] : tensor<2x3xf32>
func.func @identities(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %zero = dlc.constant dense<-0.0> : tensor<2x3xf32>
  %one = dlc.constant dense<1.0> : tensor<2x3xf32>
  %0 = dlc.add %x, %zero : tensor<2x3xf32>
  %1 = dlc.mul %0, %one : tensor<2x3xf32>
  %2 = dlc.transpose %1, perm = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %3 = dlc.reshape %2 : tensor<2x3xf32> -> tensor<2x3xf32>
  %4 = dlc.broadcast_in_dim %3, dims = [0, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %5 = dlc.convert %4 : tensor<2x3xf32> -> tensor<2x3xf32>
  return %5 : tensor<2x3xf32>
}

// CSE merges the duplicate exp; the unused tanh is removed.
// CHECK-LABEL: func.func @cse_dce
// CHECK:         %[[E:.*]] = dlc.exp
// CHECK-NOT:     dlc.exp
// CHECK-NOT:     dlc.tanh
// CHECK:         dlc.add %[[E]], %[[E]]
func.func @cse_dce(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dlc.exp %x : tensor<4xf32>
  %1 = dlc.exp %x : tensor<4xf32>
  %2 = dlc.tanh %x : tensor<4xf32>
  %3 = dlc.add %0, %1 : tensor<4xf32>
  return %3 : tensor<4xf32>
}

// A non-identity transpose and an add of a non-zero constant stay, and so
// does x + (+0.0), which is not x for x = -0.0 (regression: it was folded).
// CHECK-LABEL: func.func @not_identities
// CHECK:         dlc.transpose
// CHECK:         dlc.add
// CHECK:         dlc.add
func.func @not_identities(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  %c = dlc.constant dense<2.0> : tensor<3x2xf32>
  %zero = dlc.constant dense<0.0> : tensor<3x2xf32>
  %0 = dlc.transpose %x, perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %1 = dlc.add %0, %c : tensor<3x2xf32>
  %2 = dlc.add %1, %zero : tensor<3x2xf32>
  return %2 : tensor<3x2xf32>
}
