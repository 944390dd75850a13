// dlc-schedule (passes/Schedule.cpp): a kernel whose results all leave the
// function (here optimizer updates written over their parameters) runs as
// soon as its operands are ready and the other readers of the argument it
// overwrites have run. And the fusion rule it needs: the two bias updates
// read the same learning rate, but fused into one multi-tensor kernel the
// first would wait for the second gradient with its own gradient held live,
// so they stay two kernels (delaysSibling, passes/Fusion.cpp).
// RUN: dlc-opt --dlc-fuse %s | FileCheck %s --check-prefix=FUSED
// RUN: dlc-opt --dlc-fuse --dlc-schedule %s | FileCheck %s
// RUN: dlc-opt --dlc-fuse --dlc-schedule --dlc-plan-memory --dlc-verify-memory-plan %s \
// RUN:   | FileCheck %s --check-prefix=PLAN

// Fusion alone keeps program order: the updates after every gradient, one
// reduction kernel per bias update.
// FUSED-LABEL: func.func @main
// FUSED:         dlc.fusion gemm
// FUSED:         dlc.fusion gemm
// FUSED:         dlc.fusion gemm
// FUSED:         dlc.fusion gemm
// FUSED:         dlc.fusion reduction(%arg5, %{{.*}}, %arg3)
// FUSED:         dlc.fusion reduction(%arg5, %{{.*}}, %arg4)
// FUSED:         dlc.fusion loop
// FUSED-NOT:     dlc.fusion

// Scheduled: b1's update right after the gemm that computes %g1; w0's
// update is ready after %dw's gemm but waits for the gemm that still reads
// %w0 (it writes over %w0 in place); then the output %dx and b0's update,
// which became ready with it, and w0's update, in program order.
// CHECK-LABEL: func.func @main
// CHECK:         %[[G1:.*]] = dlc.fusion gemm(%arg0, %arg1)
// CHECK:         dlc.fusion reduction(%arg5, %[[G1]], %arg3)
// CHECK:         %[[DW:.*]] = dlc.fusion gemm(%arg0, %[[G1]])
// CHECK:         %[[G0:.*]] = dlc.fusion gemm(%[[G1]], %arg2)
// CHECK:         dlc.fusion gemm(%[[G0]], %arg1)
// CHECK:         dlc.fusion reduction(%arg5, %[[G0]], %arg4)
// CHECK:         dlc.fusion loop(%arg5, %[[DW]], %arg2)
// CHECK-NOT:     dlc.fusion
// CHECK:         return

// Every update stays in place.
// PLAN-LABEL: func.func @main
// PLAN-SAME:    {dlc.alias_arg = 2 : i64, dlc.alias_mode = "in_place"}
// PLAN-SAME:    {dlc.alias_arg = 3 : i64, dlc.alias_mode = "in_place"}
// PLAN-SAME:    {dlc.alias_arg = 4 : i64, dlc.alias_mode = "in_place"}
func.func @main(%x: tensor<64x16xf32>, %w1: tensor<16x16xf32>, %w0: tensor<16x16xf32>, %b1: tensor<16xf32>,
                %b0: tensor<16xf32>, %lr: tensor<f32>)
    -> (tensor<16x16xf32> {dlc.alias_arg = 2 : i64}, tensor<16xf32> {dlc.alias_arg = 3 : i64},
        tensor<16xf32> {dlc.alias_arg = 4 : i64}, tensor<64x16xf32>) {
  // Stand-ins for the backward pass: two layers' output gradients, a weight
  // gradient and an input gradient (a result of the function).
  %g1 = dlc.dot_general %x, %w1, batch = [] x [], contract = [1] x [0] : (tensor<64x16xf32>, tensor<16x16xf32>) -> tensor<64x16xf32>
  %dw = dlc.dot_general %x, %g1, batch = [] x [], contract = [0] x [0] : (tensor<64x16xf32>, tensor<64x16xf32>) -> tensor<16x16xf32>
  %g0 = dlc.dot_general %g1, %w0, batch = [] x [], contract = [1] x [0] : (tensor<64x16xf32>, tensor<16x16xf32>) -> tensor<64x16xf32>
  %dx = dlc.dot_general %g0, %w1, batch = [] x [], contract = [1] x [0] : (tensor<64x16xf32>, tensor<16x16xf32>) -> tensor<64x16xf32>
  // The updates, appended after the backward pass as buildTrainingStep does.
  %lr16 = dlc.broadcast_in_dim %lr, dims = [] : tensor<f32> -> tensor<16xf32>
  %db1 = dlc.reduce sum %g1, dims = [0] : tensor<64x16xf32> -> tensor<16xf32>
  %s1 = dlc.mul %db1, %lr16 : tensor<16xf32>
  %nb1 = dlc.sub %b1, %s1 : tensor<16xf32>
  %db0 = dlc.reduce sum %g0, dims = [0] : tensor<64x16xf32> -> tensor<16xf32>
  %s0 = dlc.mul %db0, %lr16 : tensor<16xf32>
  %nb0 = dlc.sub %b0, %s0 : tensor<16xf32>
  %lr1616 = dlc.broadcast_in_dim %lr, dims = [] : tensor<f32> -> tensor<16x16xf32>
  %sw = dlc.mul %dw, %lr1616 : tensor<16x16xf32>
  %nw0 = dlc.sub %w0, %sw : tensor<16x16xf32>
  return %nw0, %nb1, %nb0, %dx : tensor<16x16xf32>, tensor<16xf32>, tensor<16xf32>, tensor<64x16xf32>
}
