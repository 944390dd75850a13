// dlc-mixed-precision: dot_general and convolution on 16-bit operands, the
// rest in f32; converts placed above the operand views; weights converted at
// compile time.
// RUN: dlc-opt --dlc-mixed-precision=fp16 -split-input-file %s | FileCheck %s --check-prefixes=CHECK,F16
// RUN: dlc-opt --dlc-mixed-precision=bf16 -split-input-file %s | FileCheck %s --check-prefixes=CHECK,BF16
// RUN: dlc-opt --dlc-mixed-precision=type=fp32 -split-input-file %s | FileCheck %s --check-prefix=F32
// RUN: dlc-opt --dlc-mixed-precision=type=tf32 -split-input-file %s | FileCheck %s --check-prefix=F32
// RUN: not dlc-opt --dlc-mixed-precision=type=fp8 %s 2>&1 | FileCheck %s --check-prefix=BAD

// A linear layer: the input is converted, the weight is a 16-bit constant
// (1.5 and 3.140625 are exact in both types, 0.1 rounds to nearest even),
// the dot keeps an f32 result and the bias add and softmax stay f32.
// CHECK-LABEL: func.func @linear
// CHECK-SAME:    (%[[X:.*]]: tensor<2x3xf32>
// F16-DAG:       %[[W:.*]] = dlc.constant dense<{{\[\[}}1.500000e+00, 3.140630e+00], [9.997550e-02, -2.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<3x2xf16>
// BF16-DAG:      %[[W:.*]] = dlc.constant dense<{{\[\[}}1.500000e+00, 3.140630e+00], [1.000980e-01, -2.000000e+00], [0.000000e+00, 1.000000e+00]]> : tensor<3x2xbf16>
// F16-DAG:       %[[XL:.*]] = dlc.convert %[[X]] : tensor<2x3xf32> -> tensor<2x3xf16>
// BF16-DAG:      %[[XL:.*]] = dlc.convert %[[X]] : tensor<2x3xf32> -> tensor<2x3xbf16>
// F16:           dlc.dot_general %[[XL]], %[[W]], {{.*}} : (tensor<2x3xf16>, tensor<3x2xf16>) -> tensor<2x2xf32>
// BF16:          dlc.dot_general %[[XL]], %[[W]], {{.*}} : (tensor<2x3xbf16>, tensor<3x2xbf16>) -> tensor<2x2xf32>
// CHECK:         dlc.add {{.*}} : tensor<2x2xf32>
// CHECK:         dlc.reduce max {{.*}} : tensor<2x2xf32> -> tensor<2xf32>
// CHECK:         dlc.exp {{.*}} : tensor<2x2xf32>
// CHECK-NOT:     dlc.convert
// F32-LABEL:     func.func @linear
// F32-NOT:       f16
// F32-NOT:       bf16
// F32:           dlc.dot_general {{.*}} -> tensor<2x2xf32>
func.func @linear(%x: tensor<2x3xf32>, %b: tensor<2x2xf32>) -> tensor<2x2xf32> {
  %w = dlc.constant dense<[[1.5, 3.140625], [0.1, -2.0], [0.0, 1.0]]> : tensor<3x2xf32>
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %z = dlc.add %y, %b : tensor<2x2xf32>
  %m = dlc.reduce max %z, dims = [1] : tensor<2x2xf32> -> tensor<2xf32>
  %mb = dlc.broadcast_in_dim %m, dims = [0] : tensor<2xf32> -> tensor<2x2xf32>
  %d = dlc.sub %z, %mb : tensor<2x2xf32>
  %e = dlc.exp %d : tensor<2x2xf32>
  return %e : tensor<2x2xf32>
}

// -----

// Attention-shaped: the operands reach the dot through a reshape and a
// transpose; the convert goes above them (next to the add that made the
// value), the views are redone in f16 and stay next to the dot. One convert
// per value, even though two dots read %q.
// CHECK-LABEL: func.func @views
// CHECK:         %[[S:.*]] = dlc.add
// CHECK-NEXT:    %[[SL:.*]] = dlc.convert %[[S]] : tensor<2x8xf32> -> tensor<2x8x[[L:b?f16]]>
// CHECK-NEXT:    %[[R:.*]] = dlc.reshape %[[SL]] : tensor<2x8x[[L]]> -> tensor<2x2x4x[[L]]>
// CHECK-NEXT:    %[[T:.*]] = dlc.transpose %[[R]], perm = [1, 0, 2] : tensor<2x2x4x[[L]]> -> tensor<2x2x4x[[L]]>
// CHECK-NEXT:    dlc.dot_general %[[T]], %[[T]], {{.*}} -> tensor<2x2x2xf32>
// CHECK-NEXT:    dlc.dot_general %[[T]], %[[T]], {{.*}} -> tensor<2x2x2xf32>
// CHECK-NEXT:    return
func.func @views(%a: tensor<2x8xf32>, %b: tensor<2x8xf32>) -> (tensor<2x2x2xf32>, tensor<2x2x2xf32>) {
  %s = dlc.add %a, %b : tensor<2x8xf32>
  %r = dlc.reshape %s : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %q = dlc.transpose %r, perm = [1, 0, 2] : tensor<2x2x4xf32> -> tensor<2x2x4xf32>
  %y = dlc.dot_general %q, %q, batch = [0] x [0], contract = [2] x [2] : (tensor<2x2x4xf32>, tensor<2x2x4xf32>) -> tensor<2x2x2xf32>
  %z = dlc.dot_general %q, %q, batch = [0] x [0], contract = [2] x [2] : (tensor<2x2x4xf32>, tensor<2x2x4xf32>) -> tensor<2x2x2xf32>
  return %y, %z : tensor<2x2x2xf32>, tensor<2x2x2xf32>
}

// -----

// A convolution runs in the 16-bit type (cuDNN writes its data type) and is
// widened back to f32 for the bias and relu.
// CHECK-LABEL: func.func @conv
// F16:           %[[Y:.*]] = dlc.convolution {{.*}} : (tensor<1x3x8x8xf16>, tensor<4x3x3x3xf16>) -> tensor<1x4x6x6xf16>
// F16-NEXT:      %[[W:.*]] = dlc.convert %[[Y]] : tensor<1x4x6x6xf16> -> tensor<1x4x6x6xf32>
// F16-NEXT:      dlc.add %[[W]]
// BF16:          dlc.convolution {{.*}} -> tensor<1x4x6x6xbf16>
// CHECK:         dlc.max {{.*}} : tensor<1x4x6x6xf32>
func.func @conv(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<1x4x6x6xf32>) -> tensor<1x4x6x6xf32> {
  %zero = dlc.constant dense<0.0> : tensor<1x4x6x6xf32>
  %y = dlc.convolution %x, %w, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %z = dlc.add %y, %b : tensor<1x4x6x6xf32>
  %r = dlc.max %z, %zero : tensor<1x4x6x6xf32>
  return %r : tensor<1x4x6x6xf32>
}

// -----

// Already 16-bit data widened to f32: the dot reads the 16-bit value itself.
// Dots of other types (f64, integers) are left alone.
// CHECK-LABEL: func.func @keep
// F16:           dlc.dot_general %arg0, %arg1, {{.*}} : (tensor<2x3xf16>, tensor<3x2xf16>) -> tensor<2x2xf32>
// CHECK:         dlc.dot_general {{.*}} : (tensor<2x3xf64>, tensor<3x2xf64>) -> tensor<2x2xf64>
// CHECK:         dlc.dot_general {{.*}} : (tensor<2x3xi32>, tensor<3x2xi32>) -> tensor<2x2xi32>
func.func @keep(%h: tensor<2x3xf16>, %g: tensor<3x2xf16>, %d: tensor<2x3xf64>, %e: tensor<3x2xf64>,
                %i: tensor<2x3xi32>, %j: tensor<3x2xi32>) -> (tensor<2x2xf32>, tensor<2x2xf64>, tensor<2x2xi32>) {
  %hw = dlc.convert %h : tensor<2x3xf16> -> tensor<2x3xf32>
  %gw = dlc.convert %g : tensor<3x2xf16> -> tensor<3x2xf32>
  %y = dlc.dot_general %hw, %gw, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<3x2xf32>) -> tensor<2x2xf32>
  %z = dlc.dot_general %d, %e, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf64>, tensor<3x2xf64>) -> tensor<2x2xf64>
  %k = dlc.dot_general %i, %j, batch = [] x [], contract = [1] x [0] : (tensor<2x3xi32>, tensor<3x2xi32>) -> tensor<2x2xi32>
  return %y, %z, %k : tensor<2x2xf32>, tensor<2x2xf64>, tensor<2x2xi32>
}

// BAD: dlc-mixed-precision: unknown type 'fp8' (fp32, tf32, fp16 or bf16)
