// The dlc folders and canonicalization patterns (ir/Ops.cpp,
// ir/Canonicalize.cpp), run by MLIR's canonicalizer. Every rewrite must hold
// for every value of the types it matches (NaN, infinities, -0.0, integer
// wrap-around), so each comes with the cases it must leave alone.
// RUN: dlc-opt --canonicalize %s | FileCheck %s

//===--- add, sub, mul, div -----------------------------------------------===//

// x + 0 is x for integers; for floats only x + (-0.0) is, since
// -0.0 + (+0.0) = +0.0. 0 + x becomes x + 0 first (MLIR moves the constant
// of a commutative op to the right).
// CHECK-LABEL: func.func @add_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK:         %[[PZ:.*]] = dlc.constant dense<0.000000e+00> : tensor<4xf32>
// CHECK:         %[[F:.*]] = dlc.add %[[X]], %[[PZ]] : tensor<4xf32>
// CHECK:         return %[[X]], %[[X]], %[[F]], %[[I]], %[[I]]
func.func @add_zero(%x: tensor<4xf32>, %i: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>, tensor<4xi32>) {
  %nz = dlc.constant dense<-0.0> : tensor<4xf32>
  %pz = dlc.constant dense<0.0> : tensor<4xf32>
  %z = dlc.constant dense<0> : tensor<4xi32>
  %0 = dlc.add %x, %nz : tensor<4xf32>
  %1 = dlc.add %nz, %x : tensor<4xf32>
  %2 = dlc.add %x, %pz : tensor<4xf32>
  %3 = dlc.add %i, %z : tensor<4xi32>
  %4 = dlc.add %z, %i : tensor<4xi32>
  return %0, %1, %2, %3, %4 : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>, tensor<4xi32>
}

// x - (+0.0) is x (-0.0 - 0.0 = -0.0); x - (-0.0) is x + 0.0, which is not.
// 0 - x is a negation, not x.
// CHECK-LABEL: func.func @sub_zero
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi64>)
// CHECK:         %[[NZ:.*]] = dlc.constant dense<-0.000000e+00> : tensor<4xf32>
// CHECK:         %[[A:.*]] = dlc.sub %[[X]], %[[NZ]]
// CHECK:         %[[B:.*]] = dlc.sub %{{.*}}, %[[I]]
// CHECK:         return %[[X]], %[[A]], %[[I]], %[[B]]
func.func @sub_zero(%x: tensor<4xf32>, %i: tensor<4xi64>)
    -> (tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi64>) {
  %pz = dlc.constant dense<0.0> : tensor<4xf32>
  %nz = dlc.constant dense<-0.0> : tensor<4xf32>
  %z = dlc.constant dense<0> : tensor<4xi64>
  %0 = dlc.sub %x, %pz : tensor<4xf32>
  %1 = dlc.sub %x, %nz : tensor<4xf32>
  %2 = dlc.sub %i, %z : tensor<4xi64>
  %3 = dlc.sub %z, %i : tensor<4xi64>
  return %0, %1, %2, %3 : tensor<4xf32>, tensor<4xf32>, tensor<4xi64>, tensor<4xi64>
}

// x * 1 and 1 * x are x (exact, NaN and -0.0 included); x * 2 stays; a
// constant that is not a splat of 1 stays.
// CHECK-LABEL: func.func @mul_one
// CHECK-SAME:    (%[[X:.*]]: tensor<2xf16>, %[[I:.*]]: tensor<2xui8>)
// CHECK-DAG:     %[[TWO:.*]] = dlc.constant dense<2.000000e+00> : tensor<2xf16>
// CHECK-DAG:     %[[MIX:.*]] = dlc.constant dense<[1, 2]> : tensor<2xui8>
// CHECK:         %[[A:.*]] = dlc.mul %[[X]], %[[TWO]]
// CHECK:         %[[B:.*]] = dlc.mul %[[I]], %[[MIX]]
// CHECK:         return %[[X]], %[[X]], %[[I]], %[[A]], %[[B]]
func.func @mul_one(%x: tensor<2xf16>, %i: tensor<2xui8>)
    -> (tensor<2xf16>, tensor<2xf16>, tensor<2xui8>, tensor<2xf16>, tensor<2xui8>) {
  %one = dlc.constant dense<1.0> : tensor<2xf16>
  %two = dlc.constant dense<2.0> : tensor<2xf16>
  %ione = dlc.constant dense<1> : tensor<2xui8>
  %mix = dlc.constant dense<[1, 2]> : tensor<2xui8>
  %0 = dlc.mul %x, %one : tensor<2xf16>
  %1 = dlc.mul %one, %x : tensor<2xf16>
  %2 = dlc.mul %i, %ione : tensor<2xui8>
  %3 = dlc.mul %x, %two : tensor<2xf16>
  %4 = dlc.mul %i, %mix : tensor<2xui8>
  return %0, %1, %2, %3, %4 : tensor<2xf16>, tensor<2xf16>, tensor<2xui8>, tensor<2xf16>, tensor<2xui8>
}

// x / 1 is x. A float division by a power of two is a multiplication by its
// exact reciprocal; by 3 (no exact reciprocal), by 2^127 (reciprocal not
// normal in f32) and an integer division stay.
// CHECK-LABEL: func.func @div
// CHECK-SAME:    (%[[X:.*]]: tensor<4xf32>, %[[I:.*]]: tensor<4xi32>)
// CHECK-DAG:     %[[QUARTER:.*]] = dlc.constant dense<-2.500000e-01> : tensor<4xf32>
// CHECK-DAG:     %[[THREE:.*]] = dlc.constant dense<3.000000e+00> : tensor<4xf32>
// CHECK-DAG:     %[[BIG:.*]] = dlc.constant dense<1.70141183E+38> : tensor<4xf32>
// CHECK-DAG:     %[[ITWO:.*]] = dlc.constant dense<2> : tensor<4xi32>
// CHECK:         %[[A:.*]] = dlc.mul %[[X]], %[[QUARTER]]
// CHECK:         %[[B:.*]] = dlc.div %[[X]], %[[THREE]]
// CHECK:         %[[C:.*]] = dlc.div %[[X]], %[[BIG]]
// CHECK:         %[[D:.*]] = dlc.div %[[I]], %[[ITWO]]
// CHECK:         return %[[X]], %[[I]], %[[A]], %[[B]], %[[C]], %[[D]]
func.func @div(%x: tensor<4xf32>, %i: tensor<4xi32>)
    -> (tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>) {
  %one = dlc.constant dense<1.0> : tensor<4xf32>
  %ione = dlc.constant dense<1> : tensor<4xi32>
  %m4 = dlc.constant dense<-4.0> : tensor<4xf32>
  %three = dlc.constant dense<3.0> : tensor<4xf32>
  %big = dlc.constant dense<1.70141183E+38> : tensor<4xf32>
  %itwo = dlc.constant dense<2> : tensor<4xi32>
  %0 = dlc.div %x, %one : tensor<4xf32>
  %1 = dlc.div %i, %ione : tensor<4xi32>
  %2 = dlc.div %x, %m4 : tensor<4xf32>
  %3 = dlc.div %x, %three : tensor<4xf32>
  %4 = dlc.div %x, %big : tensor<4xf32>
  %5 = dlc.div %i, %itwo : tensor<4xi32>
  return %0, %1, %2, %3, %4, %5 : tensor<4xf32>, tensor<4xi32>, tensor<4xf32>, tensor<4xf32>, tensor<4xf32>, tensor<4xi32>
}

//===--- pow --------------------------------------------------------------===//

// pow(x, 1) is x and pow(x, 2) is x * x. pow(x, 0.5) is sqrt except at -0.0
// (pow gives +0.0) and -inf (pow gives +inf): sqrt(x + 0.0), with -inf
// selected to +inf.
// CHECK-LABEL: func.func @pow_float
// CHECK-SAME:    (%[[X:.*]]: tensor<3xf32>)
// CHECK-DAG:     %[[PZ:.*]] = dlc.constant dense<0.000000e+00> : tensor<3xf32>
// CHECK-DAG:     %[[NINF:.*]] = dlc.constant dense<0xFF800000> : tensor<3xf32>
// CHECK-DAG:     %[[PINF:.*]] = dlc.constant dense<0x7F800000> : tensor<3xf32>
// CHECK:         %[[SQ:.*]] = dlc.mul %[[X]], %[[X]]
// CHECK:         %[[S:.*]] = dlc.add %[[X]], %[[PZ]]
// CHECK:         %[[R:.*]] = dlc.sqrt %[[S]]
// CHECK:         %[[ISNINF:.*]] = dlc.compare eq, %[[X]], %[[NINF]]
// CHECK:         %[[H:.*]] = dlc.select %[[ISNINF]], %[[PINF]], %[[R]]
// CHECK:         return %[[X]], %[[SQ]], %[[H]]
func.func @pow_float(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>, tensor<3xf32>) {
  %one = dlc.constant dense<1.0> : tensor<3xf32>
  %two = dlc.constant dense<2.0> : tensor<3xf32>
  %half = dlc.constant dense<0.5> : tensor<3xf32>
  %0 = dlc.pow %x, %one : tensor<3xf32>
  %1 = dlc.pow %x, %two : tensor<3xf32>
  %2 = dlc.pow %x, %half : tensor<3xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<3xf32>, tensor<3xf32>
}

// Other exponents, exponents that are not splats, and integer pow stay.
// CHECK-LABEL: func.func @pow_kept
// CHECK-COUNT-4: dlc.pow
// CHECK-NOT:     dlc.mul
// CHECK-NOT:     dlc.sqrt
func.func @pow_kept(%x: tensor<2xf64>, %i: tensor<2xi32>)
    -> (tensor<2xf64>, tensor<2xf64>, tensor<2xi32>, tensor<2xi32>) {
  %three = dlc.constant dense<3.0> : tensor<2xf64>
  %mix = dlc.constant dense<[2.0, 0.5]> : tensor<2xf64>
  %itwo = dlc.constant dense<2> : tensor<2xi32>
  %ione = dlc.constant dense<1> : tensor<2xi32>
  %0 = dlc.pow %x, %three : tensor<2xf64>
  %1 = dlc.pow %x, %mix : tensor<2xf64>
  %2 = dlc.pow %i, %itwo : tensor<2xi32>
  %3 = dlc.pow %i, %ione : tensor<2xi32>
  return %0, %1, %2, %3 : tensor<2xf64>, tensor<2xf64>, tensor<2xi32>, tensor<2xi32>
}

//===--- unary involutions, select ----------------------------------------===//

// neg(neg x) and not(not x) are x; a single neg or not stays.
// CHECK-LABEL: func.func @involutions
// CHECK-SAME:    (%[[X:.*]]: tensor<4xi8>, %[[P:.*]]: tensor<4xi1>)
// CHECK:         %[[N:.*]] = dlc.neg %[[X]]
// CHECK:         %[[M:.*]] = dlc.not %[[P]]
// CHECK:         return %[[X]], %[[X]], %[[P]], %[[N]], %[[M]]
func.func @involutions(%x: tensor<4xi8>, %p: tensor<4xi1>)
    -> (tensor<4xi8>, tensor<4xi8>, tensor<4xi1>, tensor<4xi8>, tensor<4xi1>) {
  %0 = dlc.neg %x : tensor<4xi8>
  %1 = dlc.neg %0 : tensor<4xi8>
  %2 = dlc.not %x : tensor<4xi8>
  %3 = dlc.not %2 : tensor<4xi8>
  %4 = dlc.not %p : tensor<4xi1>
  %5 = dlc.not %4 : tensor<4xi1>
  return %1, %3, %5, %0, %4 : tensor<4xi8>, tensor<4xi8>, tensor<4xi1>, tensor<4xi8>, tensor<4xi1>
}

// A splat predicate picks a side; equal sides need no predicate; a predicate
// that is not a splat stays.
// CHECK-LABEL: func.func @select
// CHECK-SAME:    (%[[P:.*]]: tensor<2xi1>, %[[A:.*]]: tensor<2xf32>, %[[B:.*]]: tensor<2xf32>)
// CHECK:         %[[S:.*]] = dlc.select %{{.*}}, %[[A]], %[[B]]
// CHECK:         return %[[A]], %[[B]], %[[A]], %[[S]]
func.func @select(%p: tensor<2xi1>, %a: tensor<2xf32>, %b: tensor<2xf32>)
    -> (tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>) {
  %t = dlc.constant dense<true> : tensor<2xi1>
  %f = dlc.constant dense<false> : tensor<2xi1>
  %tf = dlc.constant dense<[true, false]> : tensor<2xi1>
  %0 = dlc.select %t, %a, %b : tensor<2xi1>, tensor<2xf32>
  %1 = dlc.select %f, %a, %b : tensor<2xi1>, tensor<2xf32>
  %2 = dlc.select %p, %a, %a : tensor<2xi1>, tensor<2xf32>
  %3 = dlc.select %tf, %a, %b : tensor<2xi1>, tensor<2xf32>
  return %0, %1, %2, %3 : tensor<2xf32>, tensor<2xf32>, tensor<2xf32>, tensor<2xf32>
}

//===--- convert ----------------------------------------------------------===//

// convert(convert x) is one convert when the middle type holds every value
// of x's type (f16 in f32, i8 in i32, i1 in i32), and x itself when it
// converts back.
// CHECK-LABEL: func.func @convert_exact
// CHECK-SAME:    (%[[H:.*]]: tensor<2xf16>, %[[B:.*]]: tensor<2xi8>, %[[P:.*]]: tensor<2xi1>)
// CHECK-DAG:     %[[HD:.*]] = dlc.convert %[[H]] : tensor<2xf16> -> tensor<2xf64>
// CHECK-DAG:     %[[BF:.*]] = dlc.convert %[[B]] : tensor<2xi8> -> tensor<2xbf16>
// CHECK-DAG:     %[[PF:.*]] = dlc.convert %[[P]] : tensor<2xi1> -> tensor<2xf32>
// CHECK-NOT:     dlc.convert
// CHECK:         return %[[H]], %[[HD]], %[[B]], %[[BF]], %[[PF]], %[[H]]
func.func @convert_exact(%h: tensor<2xf16>, %b: tensor<2xi8>, %p: tensor<2xi1>)
    -> (tensor<2xf16>, tensor<2xf64>, tensor<2xi8>, tensor<2xbf16>, tensor<2xf32>, tensor<2xf16>) {
  %0 = dlc.convert %h : tensor<2xf16> -> tensor<2xf32>
  %1 = dlc.convert %0 : tensor<2xf32> -> tensor<2xf16>
  %2 = dlc.convert %0 : tensor<2xf32> -> tensor<2xf64>
  %3 = dlc.convert %b : tensor<2xi8> -> tensor<2xi32>
  %4 = dlc.convert %3 : tensor<2xi32> -> tensor<2xi8>
  %5 = dlc.convert %3 : tensor<2xi32> -> tensor<2xbf16>
  %6 = dlc.convert %p : tensor<2xi1> -> tensor<2xi32>
  %7 = dlc.convert %6 : tensor<2xi32> -> tensor<2xf32>
  %8 = dlc.convert %h : tensor<2xf16> -> tensor<2xf16>
  return %1, %2, %4, %5, %7, %8 : tensor<2xf16>, tensor<2xf64>, tensor<2xi8>, tensor<2xbf16>, tensor<2xf32>, tensor<2xf16>
}

// A middle type that loses values keeps both converts: f32 -> f16 rounds,
// i32 -> f32 rounds above 2^24, f16 -> bf16 loses precision, i8 -> ui8 loses
// the negatives, i32 -> i8 wraps, f32 -> i32 truncates.
// CHECK-LABEL: func.func @convert_lossy
// CHECK-COUNT-12: dlc.convert
// CHECK-NOT:     dlc.convert
func.func @convert_lossy(%f: tensor<2xf32>, %i: tensor<2xi32>, %h: tensor<2xf16>, %b: tensor<2xi8>)
    -> (tensor<2xf32>, tensor<2xi32>, tensor<2xf16>, tensor<2xi8>, tensor<2xi32>, tensor<2xf32>) {
  %0 = dlc.convert %f : tensor<2xf32> -> tensor<2xf16>
  %1 = dlc.convert %0 : tensor<2xf16> -> tensor<2xf32>
  %2 = dlc.convert %i : tensor<2xi32> -> tensor<2xf32>
  %3 = dlc.convert %2 : tensor<2xf32> -> tensor<2xi32>
  %4 = dlc.convert %h : tensor<2xf16> -> tensor<2xbf16>
  %5 = dlc.convert %4 : tensor<2xbf16> -> tensor<2xf16>
  %6 = dlc.convert %b : tensor<2xi8> -> tensor<2xui8>
  %7 = dlc.convert %6 : tensor<2xui8> -> tensor<2xi8>
  %8 = dlc.convert %i : tensor<2xi32> -> tensor<2xi8>
  %9 = dlc.convert %8 : tensor<2xi8> -> tensor<2xi32>
  %10 = dlc.convert %f : tensor<2xf32> -> tensor<2xi32>
  %11 = dlc.convert %10 : tensor<2xi32> -> tensor<2xf32>
  return %1, %3, %5, %7, %9, %11 : tensor<2xf32>, tensor<2xi32>, tensor<2xf16>, tensor<2xi8>, tensor<2xi32>, tensor<2xf32>
}

//===--- transpose, reshape, broadcast_in_dim, slice ----------------------===//

// Two transposes compose into one, or into nothing when they cancel.
// CHECK-LABEL: func.func @transpose_chains
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>)
// CHECK:         %[[T:.*]] = dlc.transpose %[[X]], perm = [2, 0, 1] : tensor<2x3x4xf32> -> tensor<4x2x3xf32>
// CHECK-NOT:     dlc.transpose
// CHECK:         return %[[X]], %[[T]]
func.func @transpose_chains(%x: tensor<2x3x4xf32>) -> (tensor<2x3x4xf32>, tensor<4x2x3xf32>) {
  %0 = dlc.transpose %x, perm = [1, 2, 0] : tensor<2x3x4xf32> -> tensor<3x4x2xf32>
  %1 = dlc.transpose %0, perm = [2, 0, 1] : tensor<3x4x2xf32> -> tensor<2x3x4xf32>
  %2 = dlc.transpose %x, perm = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %3 = dlc.transpose %2, perm = [2, 1, 0] : tensor<3x2x4xf32> -> tensor<4x2x3xf32>
  return %1, %3 : tensor<2x3x4xf32>, tensor<4x2x3xf32>
}

// A transpose that keeps the order of the dimensions larger than 1 is a
// reshape; one that reorders them is not.
// CHECK-LABEL: func.func @transpose_of_unit_dims
// CHECK-SAME:    (%[[X:.*]]: tensor<1x3x1x4xf32>)
// CHECK:         dlc.reshape %[[X]] : tensor<1x3x1x4xf32> -> tensor<3x1x4x1xf32>
// CHECK:         dlc.transpose %[[X]], perm = [3, 1, 0, 2]
func.func @transpose_of_unit_dims(%x: tensor<1x3x1x4xf32>) -> (tensor<3x1x4x1xf32>, tensor<4x3x1x1xf32>) {
  %0 = dlc.transpose %x, perm = [1, 0, 3, 2] : tensor<1x3x1x4xf32> -> tensor<3x1x4x1xf32>
  %1 = dlc.transpose %x, perm = [3, 1, 0, 2] : tensor<1x3x1x4xf32> -> tensor<4x3x1x1xf32>
  return %0, %1 : tensor<3x1x4x1xf32>, tensor<4x3x1x1xf32>
}

// Two reshapes are one, or none when the second restores the shape.
// CHECK-LABEL: func.func @reshape_chains
// CHECK-SAME:    (%[[X:.*]]: tensor<2x6xf32>)
// CHECK:         %[[R:.*]] = dlc.reshape %[[X]] : tensor<2x6xf32> -> tensor<2x1x1x6xf32>
// CHECK-NOT:     dlc.reshape
// CHECK:         return %[[X]], %[[R]]
func.func @reshape_chains(%x: tensor<2x6xf32>) -> (tensor<2x6xf32>, tensor<2x1x1x6xf32>) {
  %0 = dlc.reshape %x : tensor<2x6xf32> -> tensor<3x4xf32>
  %1 = dlc.reshape %0 : tensor<3x4xf32> -> tensor<2x6xf32>
  %2 = dlc.reshape %x : tensor<2x6xf32> -> tensor<2x1x6xf32>
  %3 = dlc.reshape %2 : tensor<2x1x6xf32> -> tensor<2x1x1x6xf32>
  return %1, %3 : tensor<2x6xf32>, tensor<2x1x1x6xf32>
}

// Two broadcasts are one: operand dim i goes to the outer dims[inner dims[i]].
// CHECK-LABEL: func.func @broadcast_chain
// CHECK-SAME:    (%[[X:.*]]: tensor<3x1xf32>)
// CHECK:         %[[B:.*]] = dlc.broadcast_in_dim %[[X]], dims = [3, 1] : tensor<3x1xf32> -> tensor<2x5x4x3xf32>
// CHECK-NOT:     dlc.broadcast_in_dim
// CHECK:         return %[[B]]
func.func @broadcast_chain(%x: tensor<3x1xf32>) -> tensor<2x5x4x3xf32> {
  %0 = dlc.broadcast_in_dim %x, dims = [1, 0] : tensor<3x1xf32> -> tensor<5x3xf32>
  %1 = dlc.broadcast_in_dim %0, dims = [1, 3] : tensor<5x3xf32> -> tensor<2x5x4x3xf32>
  return %1 : tensor<2x5x4x3xf32>
}

// A broadcast that only inserts size-1 dimensions is a reshape. One that
// repeats data, or that reorders dimensions, stays a broadcast.
// CHECK-LABEL: func.func @broadcast_as_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK:         dlc.reshape %[[X]] : tensor<2x3xf32> -> tensor<1x2x1x3xf32>
// CHECK:         dlc.broadcast_in_dim %[[X]], dims = [0, 2] : tensor<2x3xf32> -> tensor<2x4x3xf32>
// CHECK:         dlc.broadcast_in_dim %[[X]], dims = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
func.func @broadcast_as_reshape(%x: tensor<2x3xf32>)
    -> (tensor<1x2x1x3xf32>, tensor<2x4x3xf32>, tensor<3x2xf32>) {
  %0 = dlc.broadcast_in_dim %x, dims = [1, 3] : tensor<2x3xf32> -> tensor<1x2x1x3xf32>
  %1 = dlc.broadcast_in_dim %x, dims = [0, 2] : tensor<2x3xf32> -> tensor<2x4x3xf32>
  %2 = dlc.broadcast_in_dim %x, dims = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0, %1, %2 : tensor<1x2x1x3xf32>, tensor<2x4x3xf32>, tensor<3x2xf32>
}

// A reshape that only inserts size-1 dimensions (a keepdims reduction, an
// Unsqueeze) goes into the broadcast after it; one that regroups elements
// does not.
// CHECK-LABEL: func.func @broadcast_of_unit_reshape
// CHECK-SAME:    (%[[X:.*]]: tensor<2x16xf32>, %[[Y:.*]]: tensor<6xf32>)
// CHECK:         %[[A:.*]] = dlc.broadcast_in_dim %[[X]], dims = [0, 1] : tensor<2x16xf32> -> tensor<2x16x64xf32>
// CHECK:         %[[R:.*]] = dlc.reshape %[[Y]] : tensor<6xf32> -> tensor<2x3xf32>
// CHECK:         %[[B:.*]] = dlc.broadcast_in_dim %[[R]], dims = [0, 2] : tensor<2x3xf32> -> tensor<2x4x3xf32>
// CHECK:         return %[[A]], %[[B]]
func.func @broadcast_of_unit_reshape(%x: tensor<2x16xf32>, %y: tensor<6xf32>)
    -> (tensor<2x16x64xf32>, tensor<2x4x3xf32>) {
  %0 = dlc.reshape %x : tensor<2x16xf32> -> tensor<2x16x1xf32>
  %1 = dlc.broadcast_in_dim %0, dims = [0, 1, 2] : tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %2 = dlc.reshape %y : tensor<6xf32> -> tensor<2x3xf32>
  %3 = dlc.broadcast_in_dim %2, dims = [0, 2] : tensor<2x3xf32> -> tensor<2x4x3xf32>
  return %1, %3 : tensor<2x16x64xf32>, tensor<2x4x3xf32>
}

// Data movement of a splat constant is a splat constant (the ONNX importer's
// broadcast of a scalar constant above all). A constant that is not a splat
// is left to dlc-fold-constants.
// CHECK-LABEL: func.func @splat_constants
// CHECK-DAG:     %[[B:.*]] = dlc.constant dense<2.000000e+00> : tensor<2x3xf32>
// CHECK-DAG:     %[[R:.*]] = dlc.constant dense<2.000000e+00> : tensor<3x2xf32>
// CHECK-DAG:     %[[S:.*]] = dlc.constant dense<7> : tensor<2xi64>
// CHECK-DAG:     %[[V:.*]] = dlc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
// CHECK:         %[[VS:.*]] = dlc.slice %[[V]]
// CHECK-NOT:     dlc.broadcast_in_dim
// CHECK-NOT:     dlc.transpose
// CHECK-NOT:     dlc.reshape
// CHECK:         return %[[B]], %[[R]], %[[R]], %[[S]], %[[VS]]
func.func @splat_constants() -> (tensor<2x3xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<2xi64>, tensor<2xi64>) {
  %c = dlc.constant dense<2.0> : tensor<f32>
  %i = dlc.constant dense<7> : tensor<4xi64>
  %v = dlc.constant dense<[1, 2, 3, 4]> : tensor<4xi64>
  %0 = dlc.broadcast_in_dim %c, dims = [] : tensor<f32> -> tensor<2x3xf32>
  %1 = dlc.transpose %0, perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  %2 = dlc.reshape %0 : tensor<2x3xf32> -> tensor<3x2xf32>
  %3 = dlc.slice %i, start = [1], limit = [4], strides = [2] : tensor<4xi64> -> tensor<2xi64>
  %4 = dlc.slice %v, start = [1], limit = [4], strides = [2] : tensor<4xi64> -> tensor<2xi64>
  return %0, %1, %2, %3, %4 : tensor<2x3xf32>, tensor<3x2xf32>, tensor<3x2xf32>, tensor<2xi64>, tensor<2xi64>
}

// A slice of the whole operand is the operand; a proper slice stays.
// CHECK-LABEL: func.func @slice_identity
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>)
// CHECK:         %[[S:.*]] = dlc.slice %[[X]]
// CHECK:         return %[[X]], %[[S]]
func.func @slice_identity(%x: tensor<2x3xf32>) -> (tensor<2x3xf32>, tensor<2x2xf32>) {
  %0 = dlc.slice %x, start = [0, 0], limit = [2, 3], strides = [1, 1] : tensor<2x3xf32> -> tensor<2x3xf32>
  %1 = dlc.slice %x, start = [0, 1], limit = [2, 3], strides = [1, 1] : tensor<2x3xf32> -> tensor<2x2xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x2xf32>
}

//===--- gather -----------------------------------------------------------===//

// A gather at one constant index is a slice and a reshape (x[:, 0]); a
// negative index counts from the end.
// CHECK-LABEL: func.func @gather_one_index
// CHECK-SAME:    (%[[X:.*]]: tensor<2x5x3xf32>)
// CHECK:         %[[S0:.*]] = dlc.slice %[[X]], start = [0, 0, 0], limit = [2, 1, 3], strides = [1, 1, 1] : tensor<2x5x3xf32> -> tensor<2x1x3xf32>
// CHECK:         %[[R0:.*]] = dlc.reshape %[[S0]] : tensor<2x1x3xf32> -> tensor<2x3xf32>
// CHECK:         %[[S1:.*]] = dlc.slice %[[X]], start = [0, 3, 0], limit = [2, 4, 3], strides = [1, 1, 1] : tensor<2x5x3xf32> -> tensor<2x1x3xf32>
// CHECK:         %[[R1:.*]] = dlc.reshape %[[S1]] : tensor<2x1x3xf32> -> tensor<2x1x1x3xf32>
// CHECK-NOT:     dlc.gather
// CHECK:         return %[[R0]], %[[R1]]
func.func @gather_one_index(%x: tensor<2x5x3xf32>) -> (tensor<2x3xf32>, tensor<2x1x1x3xf32>) {
  %i = dlc.constant dense<0> : tensor<i64>
  %j = dlc.constant dense<[[-2]]> : tensor<1x1xi32>
  %0 = dlc.gather %x, %i, axis = 1 : (tensor<2x5x3xf32>, tensor<i64>) -> tensor<2x3xf32>
  %1 = dlc.gather %x, %j, axis = 1 : (tensor<2x5x3xf32>, tensor<1x1xi32>) -> tensor<2x1x1x3xf32>
  return %0, %1 : tensor<2x3xf32>, tensor<2x1x1x3xf32>
}

// An index out of range stays a gather (its kernel reports it at run time),
// as do several indices and indices that are not constant.
// CHECK-LABEL: func.func @gather_kept
// CHECK-COUNT-3: dlc.gather
// CHECK-NOT:     dlc.slice
func.func @gather_kept(%x: tensor<5x3xf32>, %k: tensor<i64>) -> (tensor<3xf32>, tensor<2x3xf32>, tensor<3xf32>) {
  %i = dlc.constant dense<5> : tensor<i64>
  %j = dlc.constant dense<[0, 1]> : tensor<2xi64>
  %0 = dlc.gather %x, %i, axis = 0 : (tensor<5x3xf32>, tensor<i64>) -> tensor<3xf32>
  %1 = dlc.gather %x, %j, axis = 0 : (tensor<5x3xf32>, tensor<2xi64>) -> tensor<2x3xf32>
  %2 = dlc.gather %x, %k, axis = 0 : (tensor<5x3xf32>, tensor<i64>) -> tensor<3xf32>
  return %0, %1, %2 : tensor<3xf32>, tensor<2x3xf32>, tensor<3xf32>
}

//===--- dot_general ------------------------------------------------------===//

// Attention's head split: transposes of q and k go into the dimension
// numbers (each keeps its one free dimension in place).
// CHECK-LABEL: func.func @transpose_into_dot_general
// CHECK-SAME:    (%[[Q:.*]]: tensor<2x16x4x8xf32>, %[[K:.*]]: tensor<2x16x4x8xf32>)
// CHECK-NEXT:    %[[D:.*]] = dlc.dot_general %[[Q]], %[[K]], batch = [0, 2] x [0, 2], contract = [3] x [3] : (tensor<2x16x4x8xf32>, tensor<2x16x4x8xf32>) -> tensor<2x4x16x16xf32>
// CHECK-NEXT:    return %[[D]]
func.func @transpose_into_dot_general(%q: tensor<2x16x4x8xf32>, %k: tensor<2x16x4x8xf32>) -> tensor<2x4x16x16xf32> {
  %qt = dlc.transpose %q, perm = [0, 2, 1, 3] : tensor<2x16x4x8xf32> -> tensor<2x4x16x8xf32>
  %kt = dlc.transpose %k, perm = [0, 2, 3, 1] : tensor<2x16x4x8xf32> -> tensor<2x4x8x16xf32>
  %0 = dlc.dot_general %qt, %kt, batch = [0, 1] x [0, 1], contract = [3] x [2] : (tensor<2x4x16x8xf32>, tensor<2x4x8x16xf32>) -> tensor<2x4x16x16xf32>
  return %0 : tensor<2x4x16x16xf32>
}

// A matmul of a transposed matrix: the rhs transpose goes into the
// contracting dimension.
// CHECK-LABEL: func.func @transpose_rhs_into_matmul
// CHECK-SAME:    (%[[A:.*]]: tensor<3x4xf32>, %[[B:.*]]: tensor<5x4xf32>)
// CHECK-NEXT:    dlc.dot_general %[[A]], %[[B]], batch = [] x [], contract = [1] x [1] : (tensor<3x4xf32>, tensor<5x4xf32>) -> tensor<3x5xf32>
func.func @transpose_rhs_into_matmul(%a: tensor<3x4xf32>, %b: tensor<5x4xf32>) -> tensor<3x5xf32> {
  %bt = dlc.transpose %b, perm = [1, 0] : tensor<5x4xf32> -> tensor<4x5xf32>
  %0 = dlc.dot_general %a, %bt, batch = [] x [], contract = [1] x [0] : (tensor<3x4xf32>, tensor<4x5xf32>) -> tensor<3x5xf32>
  return %0 : tensor<3x5xf32>
}

// A transpose that reorders an operand's free dimensions stays out of the
// dot_general: the result would list them in the other order. Here the lhs
// free dims 0 and 1 of the transposed operand are x's dims 1 and 0.
// CHECK-LABEL: func.func @transpose_of_free_dims_kept
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3x4xf32>, %[[Y:.*]]: tensor<4x5xf32>)
// CHECK:         %[[T:.*]] = dlc.transpose %[[X]], perm = [1, 0, 2]
// CHECK:         dlc.dot_general %[[T]], %[[Y]], batch = [] x [], contract = [2] x [0]
func.func @transpose_of_free_dims_kept(%x: tensor<2x3x4xf32>, %y: tensor<4x5xf32>) -> tensor<3x2x5xf32> {
  %t = dlc.transpose %x, perm = [1, 0, 2] : tensor<2x3x4xf32> -> tensor<3x2x4xf32>
  %0 = dlc.dot_general %t, %y, batch = [] x [], contract = [2] x [0] : (tensor<3x2x4xf32>, tensor<4x5xf32>) -> tensor<3x2x5xf32>
  return %0 : tensor<3x2x5xf32>
}
