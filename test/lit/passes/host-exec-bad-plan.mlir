// The host device refuses a memory plan that breaks the arena's rules, and
// the lowering refuses malformed plan attributes: internal errors (exit 2)
// that name the value or the op, never a wrong result or a crash.
// REQUIRES: onnx
// RUN: %python %S/../tools/host-run.py %s --input "np.ones(4, np.float32)" -- --no-opt | FileCheck %s

// A correct plan runs: b may take a's slot because a dies at b's kernel.
// CHECK-LABEL: // chunk 0
// CHECK-NEXT:  // exit 0
// CHECK-NEXT:  output 0: float32[4] [-1., -1., -1., -1.]
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %a = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<4xf32>
  %b = dlc.sign %a {dlc.offsets = array<i64: 0>} : tensor<4xf32>
  %c = dlc.neg %b {dlc.offsets = array<i64: -1>} : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----
// CHECK-LABEL: // chunk 1
// CHECK-NEXT:  dlc run: internal error: value 1 (tensor<4xf32> at arena [128, 144)), written by kernel 0 (node 'Exp_0'), has arena offset 128, which is not a multiple of 256
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 512 : i64} {
  %a = dlc.exp %x {dlc.offsets = array<i64: 128>} : tensor<4xf32> loc("Exp_0")
  %c = dlc.neg %a : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----
// CHECK-LABEL: // chunk 2
// CHECK-NEXT:  dlc run: internal error: value 1 (tensor<4xf32> at arena [256, 272)), written by kernel 0 (node 'Exp_0'), does not fit in the 256-byte arena
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %a = dlc.exp %x {dlc.offsets = array<i64: 256>} : tensor<4xf32> loc("Exp_0")
  %c = dlc.neg %a : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----
// b over a while a is still needed by c's kernel.
// CHECK-LABEL: // chunk 3
// CHECK-NEXT:  dlc run: internal error: the memory plan places value 2 (tensor<4xf32> at arena [0, 16)), written by kernel 1 (node 'Sign_1'), over value 1 (tensor<4xf32> at arena [0, 16)), which is still live
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %a = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<4xf32> loc("Exp_0")
  %b = dlc.sign %a {dlc.offsets = array<i64: 0>} : tensor<4xf32> loc("Sign_1")
  %c = dlc.add %a, %b {dlc.offsets = array<i64: -1>} : tensor<4xf32> loc("Add_2")
  return %c : tensor<4xf32>
}

// -----
// Two outputs of one fusion in the same bytes.
// CHECK-LABEL: // chunk 4
// CHECK-NEXT:  dlc run: internal error: the memory plan places value 2 (tensor<4xf32> at arena [0, 16)) over value 1 (tensor<4xf32> at arena [0, 16)), both written by kernel 0 (node 'Exp_0')
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %r:2 = dlc.fusion loop (%x) {dlc.offsets = array<i64: 0, 0>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%p: tensor<4xf32>):
    %0 = dlc.exp %p : tensor<4xf32> loc("Exp_0")
    %1 = dlc.neg %0 : tensor<4xf32> loc("Neg_1")
    dlc.yield %0, %1 : tensor<4xf32>, tensor<4xf32>
  }
  %c = dlc.add %r#0, %r#1 : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----
// CHECK-LABEL: // chunk 5
// CHECK-NEXT:  MODEL: node 'Fused_0': 'dlc.fusion': dlc.offsets must be an array<i64> with one offset per result (2)
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i64} {
  %r:2 = dlc.fusion loop (%x) {dlc.offsets = array<i64: 0>} : (tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  ^bb0(%p: tensor<4xf32>):
    %0 = dlc.exp %p : tensor<4xf32>
    dlc.yield %0, %0 : tensor<4xf32>, tensor<4xf32>
  } loc("Fused_0")
  %c = dlc.add %r#0, %r#1 : tensor<4xf32>
  return %c : tensor<4xf32>
}

// -----
// CHECK-LABEL: // chunk 6
// CHECK-NEXT:  MODEL: node 'Exp_0': 'dlc.exp': dlc.offsets must be an array<i64> with one offset per result (1)
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %a = dlc.exp %x {dlc.offsets = [0 : i64]} : tensor<4xf32> loc("Exp_0")
  return %a : tensor<4xf32>
}

// -----
// CHECK-LABEL: // chunk 7
// CHECK-NEXT:  MODEL: @main: dlc.arena_bytes must be an i64 attribute
// CHECK-NEXT:  // exit 2
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> attributes {dlc.arena_bytes = 256 : i32} {
  %a = dlc.exp %x : tensor<4xf32>
  return %a : tensor<4xf32>
}
