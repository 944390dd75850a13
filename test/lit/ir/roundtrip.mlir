// Every core op prints in its short form and parses back to the same IR:
// print, parse the print, and print again must give identical text.
// RUN: dlc-opt %s | dlc-opt | FileCheck %s
// RUN: dlc-opt %s > %t.1.mlir && dlc-opt %t.1.mlir > %t.2.mlir && diff %t.1.mlir %t.2.mlir

// CHECK-LABEL: func.func @elementwise
func.func @elementwise(%a: tensor<2x3xf32>, %b: tensor<2x3xf32>, %i: tensor<2x3xi32>, %p: tensor<2x3xi1>) -> tensor<2x3xf32> {
  // CHECK: dlc.constant dense<1.000000e+00> : tensor<2x3xf32>
  %c = dlc.constant dense<1.0> : tensor<2x3xf32>
  // CHECK: dlc.neg %{{.*}} : tensor<2x3xf32>
  %0 = dlc.neg %a : tensor<2x3xf32>
  %1 = dlc.abs %0 : tensor<2x3xf32>
  %2 = dlc.exp %1 : tensor<2x3xf32>
  %3 = dlc.log %2 : tensor<2x3xf32>
  %4 = dlc.sqrt %3 : tensor<2x3xf32>
  %5 = dlc.rsqrt %4 : tensor<2x3xf32>
  %6 = dlc.tanh %5 : tensor<2x3xf32>
  // CHECK: dlc.logistic
  %7 = dlc.logistic %6 : tensor<2x3xf32>
  %8 = dlc.erf %7 : tensor<2x3xf32>
  %9 = dlc.sin %8 : tensor<2x3xf32>
  %10 = dlc.cos %9 : tensor<2x3xf32>
  %11 = dlc.floor %10 : tensor<2x3xf32>
  %12 = dlc.ceil %11 : tensor<2x3xf32>
  %13 = dlc.round %12 : tensor<2x3xf32>
  %14 = dlc.sign %13 : tensor<2x3xf32>
  // CHECK: dlc.not %{{.*}} : tensor<2x3xi32>
  %n = dlc.not %i : tensor<2x3xi32>
  // CHECK: dlc.add %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %15 = dlc.add %14, %b : tensor<2x3xf32>
  %16 = dlc.sub %15, %c : tensor<2x3xf32>
  %17 = dlc.mul %16, %b : tensor<2x3xf32>
  %18 = dlc.div %17, %b : tensor<2x3xf32>
  %19 = dlc.pow %18, %b : tensor<2x3xf32>
  %20 = dlc.max %19, %b : tensor<2x3xf32>
  %21 = dlc.min %20, %b : tensor<2x3xf32>
  // CHECK: dlc.rem %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %22 = dlc.rem %21, %b : tensor<2x3xf32>
  // CHECK: dlc.atan2 %{{.*}}, %{{.*}} : tensor<2x3xf32>
  %at = dlc.atan2 %22, %b : tensor<2x3xf32>
  %and = dlc.and %i, %n : tensor<2x3xi32>
  %or = dlc.or %and, %n : tensor<2x3xi32>
  %xor = dlc.xor %p, %p : tensor<2x3xi1>
  // CHECK: dlc.compare lt, %{{.*}}, %{{.*}} : tensor<2x3xf32> -> tensor<2x3xi1>
  %lt = dlc.compare lt, %at, %b : tensor<2x3xf32> -> tensor<2x3xi1>
  // CHECK: dlc.select %{{.*}}, %{{.*}}, %{{.*}} : tensor<2x3xi1>, tensor<2x3xf32>
  %sel = dlc.select %lt, %at, %b : tensor<2x3xi1>, tensor<2x3xf32>
  // CHECK: dlc.convert %{{.*}} : tensor<2x3xi32> -> tensor<2x3xf32>
  %cv = dlc.convert %or : tensor<2x3xi32> -> tensor<2x3xf32>
  %r = dlc.add %sel, %cv : tensor<2x3xf32>
  return %r : tensor<2x3xf32>
}

// CHECK-LABEL: func.func @movement
func.func @movement(%x: tensor<2x3xf32>, %v: tensor<3xf32>, %idx: tensor<4xi64>, %idx32: tensor<2xi32>, %upd2: tensor<2x2xf32>) -> tensor<4x3xf32> {
  // CHECK: dlc.iota dim = 1 : tensor<2x3xi64>
  %io = dlc.iota dim = 1 : tensor<2x3xi64>
  // CHECK: dlc.broadcast_in_dim %{{.*}}, dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
  %b = dlc.broadcast_in_dim %v, dims = [1] : tensor<3xf32> -> tensor<2x3xf32>
  // CHECK: dlc.reshape %{{.*}} : tensor<2x3xf32> -> tensor<3x2xf32>
  %r = dlc.reshape %b : tensor<2x3xf32> -> tensor<3x2xf32>
  // CHECK: dlc.transpose %{{.*}}, perm = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  %t = dlc.transpose %r, perm = [1, 0] : tensor<3x2xf32> -> tensor<2x3xf32>
  // CHECK: dlc.slice %{{.*}}, start = [0, 1], limit = [2, 3], strides = [1, 2] : tensor<2x3xf32> -> tensor<2x1xf32>
  %s = dlc.slice %t, start = [0, 1], limit = [2, 3], strides = [1, 2] : tensor<2x3xf32> -> tensor<2x1xf32>
  // CHECK: dlc.concatenate %{{.*}}, %{{.*}} dim = 0 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %c = dlc.concatenate %t, %x dim = 0 : (tensor<2x3xf32>, tensor<2x3xf32>) -> tensor<4x3xf32>
  %zero = dlc.constant dense<0.0> : tensor<f32>
  // CHECK: dlc.pad %{{.*}}, %{{.*}}, low = [1, -1], high = [0, 2], interior = [1, 0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<4x4xf32>
  %p = dlc.pad %x, %zero, low = [1, -1], high = [0, 2], interior = [1, 0] : (tensor<2x3xf32>, tensor<f32>) -> tensor<4x4xf32>
  // CHECK: dlc.gather %{{.*}}, %{{.*}}, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4x3xf32>
  %g = dlc.gather %x, %idx, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>) -> tensor<4x3xf32>
  // CHECK: dlc.scatter add %{{.*}}, %{{.*}}, %{{.*}}, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>
  %sa = dlc.scatter add %x, %idx, %g, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.scatter mul
  %sm = dlc.scatter mul %sa, %idx, %g, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.scatter max
  %sx = dlc.scatter max %sm, %idx, %g, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.scatter min
  %sn = dlc.scatter min %sx, %idx, %g, axis = 0 : (tensor<2x3xf32>, tensor<4xi64>, tensor<4x3xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.scatter replace %{{.*}}, %{{.*}}, %{{.*}}, axis = 1 : (tensor<2x3xf32>, tensor<2xi32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  %sr = dlc.scatter replace %sn, %idx32, %upd2, axis = 1 : (tensor<2x3xf32>, tensor<2xi32>, tensor<2x2xf32>) -> tensor<2x3xf32>
  // CHECK: dlc.reverse %{{.*}}, dims = [0, 1] : tensor<4x3xf32>
  %rv = dlc.reverse %c, dims = [0, 1] : tensor<4x3xf32>
  return %rv : tensor<4x3xf32>
}

// CHECK-LABEL: func.func @contractions
func.func @contractions(%x: tensor<2x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %a: tensor<5x2x3xf32>, %b: tensor<5x3x4xf32>) -> tensor<2x4x4x4xf32> {
  // CHECK: dlc.reduce sum %{{.*}}, dims = [1, 3] : tensor<2x3x8x8xf32> -> tensor<2x8xf32>
  %r = dlc.reduce sum %x, dims = [1, 3] : tensor<2x3x8x8xf32> -> tensor<2x8xf32>
  // CHECK: dlc.dot_general %{{.*}}, %{{.*}}, batch = [0] x [0], contract = [2] x [1] : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  %d = dlc.dot_general %a, %b, batch = [0] x [0], contract = [2] x [1] : (tensor<5x2x3xf32>, tensor<5x3x4xf32>) -> tensor<5x2x4xf32>
  // CHECK: dlc.convolution %{{.*}}, %{{.*}}, strides = [2, 2], pad = [1, 1] x [1, 1], dilations = [1, 1], groups = 1 : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32>
  %c = dlc.convolution %x, %w, strides = [2, 2], pad = [1, 1] x [1, 1], dilations = [1, 1], groups = 1 : (tensor<2x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<2x4x4x4xf32>
  // CHECK: dlc.reduce_window max %{{.*}}, window = [1, 1, 2, 2], strides = [1, 1, 2, 2], pad = [0, 0, 0, 0] x [0, 0, 0, 0], dilations = [1, 1, 1, 1] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
  %p = dlc.reduce_window max %x, window = [1, 1, 2, 2], strides = [1, 1, 2, 2], pad = [0, 0, 0, 0] x [0, 0, 0, 0], dilations = [1, 1, 1, 1] : tensor<2x3x8x8xf32> -> tensor<2x3x4x4xf32>
  return %c : tensor<2x4x4x4xf32>
}

// CHECK-LABEL: func.func @sorting
func.func @sorting(%x: tensor<3x4xf32>, %b: tensor<5xi1>) -> tensor<3x4xi64> {
  // CHECK: dlc.argsort %{{.*}}, dim = 1 descending : tensor<3x4xf32> -> tensor<3x4xi64>
  %d = dlc.argsort %x, dim = 1 descending : tensor<3x4xf32> -> tensor<3x4xi64>
  // CHECK: dlc.argsort %{{.*}}, dim = 0 : tensor<3x4xf32> -> tensor<3x4xi64>
  %a = dlc.argsort %x, dim = 0 : tensor<3x4xf32> -> tensor<3x4xi64>
  // CHECK: dlc.argsort %{{.*}}, dim = 0 : tensor<5xi1> -> tensor<5xi64>
  %p = dlc.argsort %b, dim = 0 : tensor<5xi1> -> tensor<5xi64>
  return %d : tensor<3x4xi64>
}

// Every element type of the IR is accepted.
// CHECK-LABEL: func.func @dtypes
func.func @dtypes(%a: tensor<2xf16>, %b: tensor<2xbf16>, %c: tensor<2xf64>, %d: tensor<2xi64>, %e: tensor<2xi8>) -> tensor<2xf16> {
  %0 = dlc.add %a, %a : tensor<2xf16>
  %1 = dlc.add %b, %b : tensor<2xbf16>
  %2 = dlc.add %c, %c : tensor<2xf64>
  %3 = dlc.add %d, %d : tensor<2xi64>
  %4 = dlc.add %e, %e : tensor<2xi8>
  return %0 : tensor<2xf16>
}

// The unsigned integers are MLIR's ui8..ui64, int16 the signless i16.
// CHECK-LABEL: func.func @integer_dtypes
// CHECK: dlc.div %{{.*}}, %{{.*}} : tensor<2xui64>
// CHECK: dlc.compare lt, %{{.*}}, %{{.*}} : tensor<2xui8> -> tensor<2xi1>
// CHECK: dlc.convert %{{.*}} : tensor<2xui16> -> tensor<2xi16>
// CHECK: dlc.xor %{{.*}}, %{{.*}} : tensor<2xui32>
// CHECK: dlc.shift_left %{{.*}}, %{{.*}} : tensor<2xui32>
// CHECK: dlc.shift_right %{{.*}}, %{{.*}} : tensor<2xi16>
// CHECK: dlc.bitcast_convert %{{.*}} : tensor<2xi16> -> tensor<2xf16>
// CHECK: dlc.bitcast_convert %{{.*}} : tensor<2xi1> -> tensor<2xui8>
func.func @integer_dtypes(%a: tensor<2xui64>, %b: tensor<2xui8>, %c: tensor<2xui16>, %d: tensor<2xui32>, %p: tensor<2xi1>) -> tensor<2xi16> {
  %0 = dlc.div %a, %a : tensor<2xui64>
  %1 = dlc.compare lt, %b, %b : tensor<2xui8> -> tensor<2xi1>
  %2 = dlc.convert %c : tensor<2xui16> -> tensor<2xi16>
  %3 = dlc.xor %d, %d : tensor<2xui32>
  %4 = dlc.shift_left %3, %d : tensor<2xui32>
  %5 = dlc.shift_right %2, %2 : tensor<2xi16>
  %6 = dlc.bitcast_convert %5 : tensor<2xi16> -> tensor<2xf16>
  %7 = dlc.bitcast_convert %p : tensor<2xi1> -> tensor<2xui8>
  return %2 : tensor<2xi16>
}
