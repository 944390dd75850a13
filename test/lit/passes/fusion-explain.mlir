// --explain-fusion: every producer/consumer pair left in two kernels gets a
// remark naming the rule that kept them apart.
// RUN: dlc-opt --dlc-fuse=explain=true -split-input-file -verify-diagnostics %s

func.func @gemm_epilogue(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> tensor<3x4x4xf32> {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{[gemm-epilogue] 'dlc.broadcast_in_dim' is not elementwise}}
  %t = dlc.broadcast_in_dim %y, dims = [1, 2] : tensor<4x4xf32> -> tensor<3x4x4xf32>
  return %t : tensor<3x4x4xf32>
}
// -----
func.func @gemm_store_not_strided(%x: tensor<2x8xf32>, %w: tensor<8x8xf32>) -> tensor<2x4x2xf32> {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<2x8xf32>, tensor<8x8xf32>) -> tensor<2x8xf32>
  // expected-remark @+1 {{[gemm-epilogue] 'dlc.reshape' does not leave the gemm's result a strided layout}}
  %r = dlc.reshape %y : tensor<2x8xf32> -> tensor<2x2x4xf32>
  %t = dlc.transpose %r, perm = [0, 2, 1] : tensor<2x2x4xf32> -> tensor<2x4x2xf32>
  return %t : tensor<2x4x2xf32>
}
// -----
func.func @gemm_prologue(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %t = dlc.tanh %x : tensor<4x8xf32>
  // expected-remark @+1 {{[gemm-prologue] 'dlc.tanh' computes an operand}}
  %y = dlc.dot_general %t, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}
// -----
func.func @gemm_one_output(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  // expected-remark @+1 {{[one-output]}}
  %e = dlc.exp %y : tensor<4x4xf32>
  return %y, %e : tensor<4x4xf32>, tensor<4x4xf32>
}
// -----
func.func @reduction_rows(%x: tensor<8x16xf32>) -> tensor<f32> {
  %a = dlc.reduce sum %x, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  // expected-remark @+1 {{[reduction-rows]}}
  %b = dlc.reduce max %a, dims = [0] : tensor<8xf32> -> tensor<f32>
  return %b : tensor<f32>
}
// -----
func.func @reduction_epilogue(%x: tensor<4x8x16xf32>) -> tensor<8x4xf32> {
  %a = dlc.reduce sum %x, dims = [2] : tensor<4x8x16xf32> -> tensor<4x8xf32>
  // expected-remark @+1 {{[reduction-epilogue]}}
  %t = dlc.transpose %a, perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %t : tensor<8x4xf32>
}
// -----
func.func @expensive(%x: tensor<4xf32>) -> tensor<4x64xf32> {
  %e = dlc.exp %x : tensor<4xf32>
  // expected-remark @+1 {{[expensive-recompute]}}
  %b = dlc.broadcast_in_dim %e, dims = [0] : tensor<4xf32> -> tensor<4x64xf32>
  return %b : tensor<4x64xf32>
}
// -----
func.func @cycle(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = dlc.exp %x : tensor<8xf32>
  // expected-remark @+1 {{[runs-alone]}}
  %i = dlc.argsort %e, dim = 0 : tensor<8xf32> -> tensor<8xi64>
  // expected-remark @+1 {{[runs-alone]}}
  %c = dlc.convert %i : tensor<8xi64> -> tensor<8xf32>
  // expected-remark @+1 {{[cycle]}}
  %s = dlc.add %e, %c : tensor<8xf32>
  return %s : tensor<8xf32>
}
// -----
func.func @loop_outputs(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4x2xf32>) {
  %n = dlc.neg %x : tensor<4xf32>
  // expected-remark @+1 {{[loop-outputs]}}
  %b = dlc.broadcast_in_dim %n, dims = [0] : tensor<4xf32> -> tensor<4x2xf32>
  return %n, %b : tensor<4xf32>, tensor<4x2xf32>
}
