// The host device runs fused, memory-planned IR as written: kernel by
// kernel, fusion bodies as Local values, results at their arena offsets,
// outputs written in place over inputs that die in their kernel. The same
// IR with the plan stripped (every value in a buffer of its own) must give
// the same numbers.
// REQUIRES: onnx
// RUN: %python %S/../tools/host-run.py %s --input "np.arange(1, 9, dtype=np.float32).reshape(2, 4)" -- --no-opt | FileCheck %s
// RUN: %python %S/../tools/host-run.py %s --input "np.arange(1, 9, dtype=np.float32).reshape(2, 4)" --strip-plan -- --no-opt | FileCheck %s

// x = [[1, 2, 3, 4], [5, 6, 7, 8]]
//   k0 (loop):      a = 2x -> arena 0, b = a + x = 3x -> arena 256
//   k1 (reduction): n = -a -> arena 0, over a, which the kernel reads again
//                   after writing n: the host must not let n clobber a;
//                   s = rowsum(a + b) = [50, 130] -> arena 512;
//                   y = n + s = -2x + s -> output 0
//   k2 (transpose): t = b^T -> arena 256, in place over b (b dies here)
//   k3 (loop):      z = t + n^T = x^T -> output 1; s copied to output 2
// CHECK-LABEL: // chunk 0
// CHECK-NEXT:  // exit 0
// CHECK-NEXT:  output 0: float32[2, 4] {{\[\[}} 48.,  46.,  44.,  42.], [120., 118., 116., 114.]]
// CHECK-NEXT:  output 1: float32[4, 2] {{\[\[}}1., 5.], [2., 6.], [3., 7.], [4., 8.]]
// CHECK-NEXT:  output 2: float32[2] [ 50., 130.]
func.func @main(%x: tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<4x2xf32>, tensor<2xf32>)
    attributes {dlc.arena_bytes = 768 : i64} {
  %a:2 = dlc.fusion loop (%x) {dlc.offsets = array<i64: 0, 256>} : (tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2x4xf32>) {
  ^bb0(%p: tensor<2x4xf32>):
    %c = dlc.constant dense<2.0> : tensor<2x4xf32>
    %0 = dlc.mul %p, %c : tensor<2x4xf32>
    %1 = dlc.add %0, %p : tensor<2x4xf32>
    dlc.yield %0, %1 : tensor<2x4xf32>, tensor<2x4xf32>
  }
  %n:3 = dlc.fusion reduction (%a#0, %a#1) {dlc.offsets = array<i64: 0, 512, -1>} : (tensor<2x4xf32>, tensor<2x4xf32>) -> (tensor<2x4xf32>, tensor<2xf32>, tensor<2x4xf32>) {
  ^bb0(%p: tensor<2x4xf32>, %q: tensor<2x4xf32>):
    %0 = dlc.neg %p : tensor<2x4xf32>
    %1 = dlc.add %p, %q : tensor<2x4xf32>
    %2 = dlc.reduce sum %1, dims = [1] : tensor<2x4xf32> -> tensor<2xf32>
    %3 = dlc.broadcast_in_dim %2, dims = [0] : tensor<2xf32> -> tensor<2x4xf32>
    %4 = dlc.add %0, %3 : tensor<2x4xf32>
    dlc.yield %0, %2, %4 : tensor<2x4xf32>, tensor<2xf32>, tensor<2x4xf32>
  }
  %t = dlc.transpose %a#1, perm = [1, 0] {dlc.offsets = array<i64: 256>} : tensor<2x4xf32> -> tensor<4x2xf32>
  %z:2 = dlc.fusion loop (%t, %n#0, %n#1) {dlc.offsets = array<i64: -1, -1>} : (tensor<4x2xf32>, tensor<2x4xf32>, tensor<2xf32>) -> (tensor<4x2xf32>, tensor<2xf32>) {
  ^bb0(%p: tensor<4x2xf32>, %q: tensor<2x4xf32>, %r: tensor<2xf32>):
    %0 = dlc.transpose %q, perm = [1, 0] : tensor<2x4xf32> -> tensor<4x2xf32>
    %1 = dlc.add %p, %0 : tensor<4x2xf32>
    dlc.yield %1, %r : tensor<4x2xf32>, tensor<2xf32>
  }
  return %n#2, %z#0, %z#1 : tensor<2x4xf32>, tensor<4x2xf32>, tensor<2xf32>
}
