// dlc-fold-constants evaluates small ops on constants with the host kernels
// and simplifies what that exposes (the canonicalization patterns run in the
// same rewrite).
// RUN: dlc-opt --dlc-fold-constants %s | FileCheck %s

// A chain of ops on constants becomes one constant: the values are the host
// kernels' (exp in f32, the sum of an i64 row).
// CHECK-LABEL: func.func @chain
// CHECK-DAG:     %[[E:.*]] = dlc.constant dense<[2.71828175, 7.3890562]> : tensor<2xf32>
// CHECK-DAG:     %[[S:.*]] = dlc.constant dense<[6, 15]> : tensor<2xi64>
// CHECK-NOT:     dlc.exp
// CHECK-NOT:     dlc.reduce
// CHECK:         return %[[E]], %[[S]]
func.func @chain() -> (tensor<2xf32>, tensor<2xi64>) {
  %a = dlc.constant dense<[0.5, 1.5]> : tensor<2xf32>
  %b = dlc.constant dense<0.5> : tensor<2xf32>
  %0 = dlc.add %a, %b : tensor<2xf32>
  %1 = dlc.exp %0 : tensor<2xf32>
  %m = dlc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi64>
  %2 = dlc.reduce sum %m, dims = [1] : tensor<2x3xi64> -> tensor<2xi64>
  return %1, %2 : tensor<2xf32>, tensor<2xi64>
}

// Data movement of constants that are not splats: slice, transpose,
// reshape, gather, concatenate.
// CHECK-LABEL: func.func @data_movement
// CHECK-DAG:     %[[T:.*]] = dlc.constant dense<{{\[}}[1, 4], [2, 5], [3, 6]]> : tensor<3x2xi32>
// CHECK-DAG:     %[[S:.*]] = dlc.constant dense<[2, 6]> : tensor<2xi32>
// CHECK-DAG:     %[[G:.*]] = dlc.constant dense<{{\[}}[4, 5, 6], [1, 2, 3]]> : tensor<2x3xi32>
// CHECK-DAG:     %[[C:.*]] = dlc.constant dense<[1, 2, 3, 4, 5, 6, 2, 6]> : tensor<8xi32>
// CHECK-NOT:     dlc.transpose
// CHECK-NOT:     dlc.slice
// CHECK-NOT:     dlc.reshape
// CHECK-NOT:     dlc.gather
// CHECK-NOT:     dlc.concatenate
// CHECK:         return %[[T]], %[[S]], %[[G]], %[[C]]
func.func @data_movement() -> (tensor<3x2xi32>, tensor<2xi32>, tensor<2x3xi32>, tensor<8xi32>) {
  %m = dlc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %0 = dlc.transpose %m, perm = [1, 0] : tensor<2x3xi32> -> tensor<3x2xi32>
  %1 = dlc.reshape %m : tensor<2x3xi32> -> tensor<6xi32>
  %2 = dlc.slice %1, start = [1], limit = [6], strides = [4] : tensor<6xi32> -> tensor<2xi32>
  %i = dlc.constant dense<[1, -2]> : tensor<2xi64>
  %3 = dlc.gather %m, %i, axis = 0 : (tensor<2x3xi32>, tensor<2xi64>) -> tensor<2x3xi32>
  %4 = dlc.concatenate %1, %2 dim = 0 : (tensor<6xi32>, tensor<2xi32>) -> tensor<8xi32>
  return %0, %2, %3, %4 : tensor<3x2xi32>, tensor<2xi32>, tensor<2x3xi32>, tensor<8xi32>
}

// A fold exposes more: the compare folds to a splat false, so each select
// takes its false side: the add, which folds too, and the index 1, which
// makes the gather a slice.
// CHECK-LABEL: func.func @exposed
// CHECK-SAME:    (%[[X:.*]]: tensor<3xf32>)
// CHECK-DAG:     %[[C:.*]] = dlc.constant dense<5> : tensor<i64>
// CHECK-DAG:     %[[Y:.*]] = dlc.slice %[[X]], start = [1]
// CHECK-NOT:     dlc.select
// CHECK-NOT:     dlc.gather
// CHECK:         return %[[C]], %{{.*}}
func.func @exposed(%x: tensor<3xf32>) -> (tensor<i64>, tensor<f32>) {
  %a = dlc.constant dense<2> : tensor<i64>
  %b = dlc.constant dense<3> : tensor<i64>
  %p = dlc.compare gt, %a, %b : tensor<i64> -> tensor<i1>
  %s = dlc.add %a, %b : tensor<i64>
  %0 = dlc.select %p, %a, %s : tensor<i1>, tensor<i64>
  %one = dlc.constant dense<1> : tensor<i64>
  %n = dlc.constant dense<-2> : tensor<i64>
  %i = dlc.select %p, %n, %one : tensor<i1>, tensor<i64>
  %1 = dlc.gather %x, %i, axis = 0 : (tensor<3xf32>, tensor<i64>) -> tensor<f32>
  return %0, %1 : tensor<i64>, tensor<f32>
}

// Conversions fold with the convert kernel's rounding: 0.1 in f16 is
// 0.0999755859375, and 2.5 to i32 truncates to 2.
// CHECK-LABEL: func.func @convert
// CHECK-DAG:     dlc.constant dense<9.997550e-02> : tensor<2xf16>
// CHECK-DAG:     dlc.constant dense<2> : tensor<2xi32>
// CHECK-NOT:     dlc.convert
func.func @convert() -> (tensor<2xf16>, tensor<2xi32>) {
  %a = dlc.constant dense<0.1> : tensor<2xf32>
  %b = dlc.constant dense<2.5> : tensor<2xf64>
  %0 = dlc.convert %a : tensor<2xf32> -> tensor<2xf16>
  %1 = dlc.convert %b : tensor<2xf64> -> tensor<2xi32>
  return %0, %1 : tensor<2xf16>, tensor<2xi32>
}

// An integer division by zero is not folded (the kernel would fail): it is
// left for run time, where the error names the op. The other division on
// the same constants folds.
// CHECK-LABEL: func.func @division_by_zero
// CHECK-DAG:     %[[Q:.*]] = dlc.constant dense<[3, 2]> : tensor<2xi32>
// CHECK-DAG:     %[[A:.*]] = dlc.constant dense<[6, 7]> : tensor<2xi32>
// CHECK-DAG:     %[[Z:.*]] = dlc.constant dense<[2, 0]> : tensor<2xi32>
// CHECK:         %[[D:.*]] = dlc.div %[[A]], %[[Z]] : tensor<2xi32>
// CHECK:         %[[S:.*]] = dlc.add %[[D]], %[[Q]] : tensor<2xi32>
// CHECK:         return %[[S]], %[[Q]]
func.func @division_by_zero() -> (tensor<2xi32>, tensor<2xi32>) {
  %a = dlc.constant dense<[6, 7]> : tensor<2xi32>
  %z = dlc.constant dense<[2, 0]> : tensor<2xi32>
  %c = dlc.constant dense<[2, 3]> : tensor<2xi32>
  %0 = dlc.div %a, %z : tensor<2xi32>
  %1 = dlc.div %a, %c : tensor<2xi32>
  %2 = dlc.add %0, %1 : tensor<2xi32>
  return %2, %1 : tensor<2xi32>, tensor<2xi32>
}

// A gather index out of range is not folded either.
// CHECK-LABEL: func.func @gather_out_of_range
// CHECK:         dlc.gather
func.func @gather_out_of_range() -> tensor<2x3xi32> {
  %m = dlc.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %i = dlc.constant dense<[0, 2]> : tensor<2xi64>
  %0 = dlc.gather %m, %i, axis = 0 : (tensor<2x3xi32>, tensor<2xi64>) -> tensor<2x3xi32>
  return %0 : tensor<2x3xi32>
}

// The element limit (65536): a result at the limit folds, one over it stays.
// CHECK-LABEL: func.func @element_limit
// CHECK-DAG:     %[[AT:.*]] = dlc.constant dense<2.000000e+00> : tensor<65536xf32>
// CHECK-DAG:     %[[OVER:.*]] = dlc.constant dense<1.000000e+00> : tensor<65537xf32>
// CHECK:         %[[S:.*]] = dlc.add %[[OVER]], %[[OVER]] : tensor<65537xf32>
// CHECK:         return %[[AT]], %[[S]]
func.func @element_limit() -> (tensor<65536xf32>, tensor<65537xf32>) {
  %a = dlc.constant dense<1.0> : tensor<65536xf32>
  %b = dlc.constant dense<1.0> : tensor<65537xf32>
  %0 = dlc.add %a, %a : tensor<65536xf32>
  %1 = dlc.add %b, %b : tensor<65537xf32>
  return %0, %1 : tensor<65536xf32>, tensor<65537xf32>
}

// Ops that only make data bigger are not folded: a broadcast of a constant
// that is not a splat, an iota (and so nothing computed from it). A fused
// kernel computes them for free; as constants they would cost memory.
// CHECK-LABEL: func.func @growing_ops
// CHECK:         %[[B:.*]] = dlc.broadcast_in_dim
// CHECK:         %[[I:.*]] = dlc.iota
// CHECK:         %[[M:.*]] = dlc.mul %[[I]], %[[I]]
// CHECK:         return %[[B]], %[[M]]
func.func @growing_ops() -> (tensor<4x3xf32>, tensor<4xi64>) {
  %v = dlc.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %0 = dlc.broadcast_in_dim %v, dims = [1] : tensor<3xf32> -> tensor<4x3xf32>
  %i = dlc.iota dim = 0 : tensor<4xi64>
  %1 = dlc.mul %i, %i : tensor<4xi64>
  return %0, %1 : tensor<4x3xf32>, tensor<4xi64>
}

// Ops that read a value that is not constant stay.
// CHECK-LABEL: func.func @not_constant
// CHECK:         dlc.add %arg0
func.func @not_constant(%x: tensor<2xf32>) -> tensor<2xf32> {
  %c = dlc.constant dense<[1.0, 2.0]> : tensor<2xf32>
  %0 = dlc.add %x, %c : tensor<2xf32>
  return %0 : tensor<2xf32>
}
