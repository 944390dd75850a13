// dlc-checkpoint: forward values that the backward pass reads are
// recomputed there, except segment boundaries (read by a later segment) and
// the last segment. Five forward ops in two segments: [e0, e1, e2], [e3, loss].
// RUN: dlc-opt --dlc-checkpoint="segments=2" %s | FileCheck %s
// RUN: dlc-opt --dlc-checkpoint %s | FileCheck %s --check-prefix=NONE

// CHECK-LABEL: func.func @main
// CHECK:         %[[E0:.*]] = dlc.exp %arg0
// CHECK-NEXT:    %[[E1:.*]] = dlc.exp %[[E0]]
// CHECK-NEXT:    %[[E2:.*]] = dlc.exp %[[E1]]
// CHECK-NEXT:    %[[E3:.*]] = dlc.exp %[[E2]]
// CHECK-NEXT:    %[[L:.*]] = dlc.reduce sum %[[E3]]
// The boundary %e2 and the last segment's %e3 are read as they are; %e0 and
// %e1 are recomputed just before the first backward op that reads one.
// CHECK-NEXT:    %[[B3:.*]] = dlc.mul %[[E3]], %[[E2]]
// CHECK-NEXT:    %[[R0:.*]] = dlc.exp %arg0
// CHECK-NEXT:    %[[R1:.*]] = dlc.exp %[[R0]]
// CHECK-NEXT:    %[[B1:.*]] = dlc.mul %[[B3]], %[[R1]]
// CHECK-NEXT:    %[[B0:.*]] = dlc.mul %[[B1]], %[[R0]]
// CHECK-NEXT:    return %[[L]], %[[B0]]

// Default segments: ceil(sqrt(5)) = 3 of two ops, [e0, e1], [e2, e3], [loss]:
// %e1 and %e3 are boundaries, %e0 and %e2 are recomputed.
// NONE-LABEL: func.func @main
// NONE:         dlc.reduce sum
// NONE-NEXT:    %[[R2:.*]] = dlc.exp %[[E1:.*]] :
// NONE-NEXT:    %[[B3:.*]] = dlc.mul %[[E3:.*]], %[[R2]]
// NONE-NEXT:    %[[B1:.*]] = dlc.mul %[[B3]], %[[E1]]
// NONE-NEXT:    %[[R0:.*]] = dlc.exp %arg0
// NONE-NEXT:    dlc.mul %[[B1]], %[[R0]]
func.func @main(%x: tensor<64xf32>) -> (tensor<f32>, tensor<64xf32>) {
  %e0 = dlc.exp %x : tensor<64xf32>
  %e1 = dlc.exp %e0 : tensor<64xf32>
  %e2 = dlc.exp %e1 : tensor<64xf32>
  %e3 = dlc.exp %e2 : tensor<64xf32>
  %loss = dlc.reduce sum %e3, dims = [0] : tensor<64xf32> -> tensor<f32>
  // A stand-in for the backward pass: it reads every forward value.
  %b3 = dlc.mul %e3, %e2 : tensor<64xf32>
  %b1 = dlc.mul %b3, %e1 : tensor<64xf32>
  %b0 = dlc.mul %b1, %e0 : tensor<64xf32>
  return %loss, %b0 : tensor<f32>, tensor<64xf32>
}
