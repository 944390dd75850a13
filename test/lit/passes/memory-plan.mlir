// dlc-plan-memory: liveness over the kernel order, in-place reuse and arena
// offsets, on unfused core ops (each op one kernel) and on hand-written
// fusions. The validator runs after it on every case.
// RUN: dlc-opt --dlc-plan-memory --dlc-verify-memory-plan %s | FileCheck %s

// A chain of transposes (never in place): a buffer is free once its reader
// has run, so the third transpose reuses the first one's offset. The
// returned value is not in the arena (-1).
// CHECK-LABEL: func.func @chain
// CHECK-SAME:    dlc.arena_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64, dlc.naive_bytes = 3072 : i64
// CHECK:         %[[A:.*]] = dlc.transpose %arg0, perm = [1, 0] {dlc.offsets = array<i64: 0>}
// CHECK:         %[[B:.*]] = dlc.transpose %[[A]], perm = [1, 0] {dlc.offsets = array<i64: 1024>}
// CHECK:         %[[C:.*]] = dlc.transpose %[[B]], perm = [1, 0] {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.transpose %[[C]], perm = [1, 0] {dlc.offsets = array<i64: -1>}
func.func @chain(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %0 = dlc.transpose %x, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %1 = dlc.transpose %0, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %2 = dlc.transpose %1, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %3 = dlc.transpose %2, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  return %3 : tensor<16x16xf32>
}

// A diamond: %a stays live until its second reader, so %a, %b and %c need
// three buffers at step 2. At the join both branches die, and the add takes
// over its operand 0 in place.
// CHECK-LABEL: func.func @diamond
// CHECK-SAME:    dlc.arena_bytes = 3072 : i64, dlc.lower_bound_bytes = 3072 : i64, dlc.naive_bytes = 4096 : i64
// CHECK:         dlc.exp %arg0 {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.transpose {{.*}} {dlc.offsets = array<i64: 1024>}
// CHECK:         dlc.reverse {{.*}} {dlc.offsets = array<i64: 2048>}
// CHECK:         dlc.add {{.*}} {dlc.offsets = array<i64: 1024>, dlc.reuses = array<i64: 0>}
// CHECK:         dlc.neg {{.*}} {dlc.offsets = array<i64: -1>}
func.func @diamond(%x: tensor<16x16xf32>) -> tensor<16x16xf32> {
  %a = dlc.exp %x : tensor<16x16xf32>
  %b = dlc.transpose %a, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %c = dlc.reverse %a, dims = [0] : tensor<16x16xf32>
  %d = dlc.add %b, %c : tensor<16x16xf32>
  %e = dlc.neg %d : tensor<16x16xf32>
  return %e : tensor<16x16xf32>
}

// In place along an elementwise chain whose inputs die: one buffer at
// offset 0 for four kernels. Not in place of a function input (%x, %y) or
// a constant, nor of %3 at the tanh (the sub reads %3 later); the sub then
// takes over the tanh's result. A conversion to a narrower type (f16) runs
// out of place, one to a type of the same width (i32) in place. The peak is
// below the lower bound, which counts an operand and the result replacing
// it separately.
// CHECK-LABEL: func.func @in_place
// CHECK-SAME:    dlc.arena_bytes = 2048 : i64, dlc.lower_bound_bytes = 3072 : i64, dlc.naive_bytes = 7168 : i64
// CHECK:         %[[C:.*]] = dlc.constant
// CHECK:         %[[S0:.*]] = dlc.add %arg0, %[[C]] {dlc.offsets = array<i64: 0>} :
// CHECK:         %[[S1:.*]] = dlc.exp %[[S0]] {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>}
// CHECK:         %[[S2:.*]] = dlc.mul %[[S1]], %[[S1]] {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>}
// CHECK:         %[[S3:.*]] = dlc.add %[[S2]], %arg1 {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>}
// CHECK:         %[[S4:.*]] = dlc.tanh %[[S3]] {dlc.offsets = array<i64: 1024>} :
// CHECK:         %[[S5:.*]] = dlc.sub %[[S4]], %[[S3]] {dlc.offsets = array<i64: 1024>, dlc.reuses = array<i64: 0>}
// CHECK:         dlc.convert %[[S5]] {dlc.offsets = array<i64: -1>} : tensor<256xf32> -> tensor<256xf16>
// CHECK:         dlc.convert %[[S5]] {dlc.offsets = array<i64: 1024>, dlc.reuses = array<i64: 0>} : tensor<256xf32> -> tensor<256xi32>
// CHECK:         dlc.convert {{.*}} {dlc.offsets = array<i64: -1>} : tensor<256xi32> -> tensor<256xf32>
func.func @in_place(%x: tensor<256xf32>, %y: tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf16>) {
  %c = dlc.constant dense<2.0> : tensor<256xf32>
  %0 = dlc.add %x, %c : tensor<256xf32>
  %1 = dlc.exp %0 : tensor<256xf32>
  %2 = dlc.mul %1, %1 : tensor<256xf32>
  %3 = dlc.add %2, %y : tensor<256xf32>
  %4 = dlc.tanh %3 : tensor<256xf32>
  %5 = dlc.sub %4, %3 : tensor<256xf32>
  %6 = dlc.convert %5 : tensor<256xf32> -> tensor<256xf16>
  %7 = dlc.convert %5 : tensor<256xf32> -> tensor<256xi32>
  %8 = dlc.convert %7 : tensor<256xi32> -> tensor<256xf32>
  return %8, %6 : tensor<256xf32>, tensor<256xf16>
}

// No in place for transpose, broadcast or reduce kernels, though their
// inputs die there; the add after them runs in place.
// CHECK-LABEL: func.func @not_in_place
// CHECK-SAME:    dlc.arena_bytes = 2304 : i64, dlc.lower_bound_bytes = 3072 : i64, dlc.naive_bytes = 4608 : i64
// CHECK:         dlc.exp %arg0 {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.transpose {{.*}} {dlc.offsets = array<i64: 1024>}
// CHECK:         dlc.exp %arg1 {dlc.offsets = array<i64: 2048>}
// CHECK:         dlc.broadcast_in_dim {{.*}} {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.add {{.*}} {dlc.offsets = array<i64: 1024>, dlc.reuses = array<i64: 0>}
// CHECK:         dlc.reduce sum {{.*}} {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.broadcast_in_dim {{.*}} {dlc.offsets = array<i64: -1>}
func.func @not_in_place(%x: tensor<16x16xf32>, %v: tensor<16xf32>) -> tensor<16x16xf32> {
  %0 = dlc.exp %x : tensor<16x16xf32>
  %1 = dlc.transpose %0, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %2 = dlc.exp %v : tensor<16xf32>
  %3 = dlc.broadcast_in_dim %2, dims = [1] : tensor<16xf32> -> tensor<16x16xf32>
  %4 = dlc.add %1, %3 : tensor<16x16xf32>
  %5 = dlc.reduce sum %4, dims = [1] : tensor<16x16xf32> -> tensor<16xf32>
  %6 = dlc.broadcast_in_dim %5, dims = [0] : tensor<16xf32> -> tensor<16x16xf32>
  return %6 : tensor<16x16xf32>
}

// A value nobody reads lives at its own step only, so the next kernel's
// result takes its offset; sizes round up to 256 bytes (16 x f32 = 64).
// CHECK-LABEL: func.func @unused
// CHECK-SAME:    dlc.arena_bytes = 512 : i64, dlc.lower_bound_bytes = 512 : i64, dlc.naive_bytes = 768 : i64
// CHECK:         dlc.exp %arg0 {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.tanh %arg0 {dlc.offsets = array<i64: 0>}
// CHECK:         dlc.neg %arg0 {dlc.offsets = array<i64: 256>}
func.func @unused(%x: tensor<16xf32>) -> tensor<16xf32> {
  %0 = dlc.exp %x : tensor<16xf32>
  %1 = dlc.tanh %x : tensor<16xf32>
  %2 = dlc.neg %x : tensor<16xf32>
  %3 = dlc.add %1, %2 : tensor<16xf32>
  return %3 : tensor<16xf32>
}

// Nothing to place.
// CHECK-LABEL: func.func @no_kernels
// CHECK-SAME:    dlc.arena_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64, dlc.naive_bytes = 0 : i64
func.func @no_kernels(%x: tensor<16xf32>) -> tensor<16xf32> {
  return %x : tensor<16xf32>
}

// Fusions are kernels: a loop fusion runs in place of an input it reads
// only elementwise (a broadcast of another input does not matter) or
// through a reshape; not of one it transposes; a reduction fusion never.
// CHECK-LABEL: func.func @fusions
// CHECK-SAME:    dlc.arena_bytes = 2304 : i64, dlc.lower_bound_bytes = 3072 : i64, dlc.naive_bytes = 5376 : i64
// CHECK:         %[[F0:.*]] = dlc.fusion loop(%arg0) {dlc.offsets = array<i64: 0>} :
// CHECK:         %[[F1:.*]] = dlc.fusion loop(%[[F0]], %arg1) {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} :
// CHECK:         %[[F2:.*]] = dlc.fusion loop(%[[F1]]) {dlc.offsets = array<i64: 1024>} :
// CHECK:         %[[F3:.*]]:2 = dlc.fusion loop(%[[F2]]) {dlc.offsets = array<i64: 1024, 0>, dlc.reuses = array<i64: 0, -1>} :
// CHECK:         %[[F4:.*]] = dlc.fusion reduction(%[[F3]]#0) {dlc.offsets = array<i64: 2048>} :
// CHECK:         dlc.fusion loop(%[[F4]], %[[F3]]#1) {dlc.offsets = array<i64: -1>} :
func.func @fusions(%x: tensor<4x64xf32>, %b: tensor<64xf32>) -> tensor<4xf32> {
  %0 = dlc.fusion loop (%x) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%a: tensor<4x64xf32>):
    %e = dlc.exp %a : tensor<4x64xf32>
    dlc.yield %e : tensor<4x64xf32>
  }
  %1 = dlc.fusion loop (%0, %b) : (tensor<4x64xf32>, tensor<64xf32>) -> tensor<4x64xf32> {
  ^bb0(%a: tensor<4x64xf32>, %v: tensor<64xf32>):
    %bb = dlc.broadcast_in_dim %v, dims = [1] : tensor<64xf32> -> tensor<4x64xf32>
    %s = dlc.add %a, %bb : tensor<4x64xf32>
    %t = dlc.tanh %s : tensor<4x64xf32>
    dlc.yield %t : tensor<4x64xf32>
  }
  %2 = dlc.fusion loop (%1) : (tensor<4x64xf32>) -> tensor<64x4xf32> {
  ^bb0(%a: tensor<4x64xf32>):
    %n = dlc.neg %a : tensor<4x64xf32>
    %t = dlc.transpose %n, perm = [1, 0] : tensor<4x64xf32> -> tensor<64x4xf32>
    dlc.yield %t : tensor<64x4xf32>
  }
  %3:2 = dlc.fusion loop (%2) : (tensor<64x4xf32>) -> (tensor<4x64xf32>, tensor<64x4xf32>) {
  ^bb0(%a: tensor<64x4xf32>):
    %r = dlc.reshape %a : tensor<64x4xf32> -> tensor<4x64xf32>
    %e = dlc.exp %r : tensor<4x64xf32>
    %n = dlc.neg %a : tensor<64x4xf32>
    dlc.yield %e, %n : tensor<4x64xf32>, tensor<64x4xf32>
  }
  %4 = dlc.fusion reduction (%3#0) : (tensor<4x64xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4x64xf32>):
    %e = dlc.exp %a : tensor<4x64xf32>
    %s = dlc.reduce sum %e, dims = [1] : tensor<4x64xf32> -> tensor<4xf32>
    dlc.yield %s : tensor<4xf32>
  }
  %5 = dlc.fusion loop (%4, %3#1) : (tensor<4xf32>, tensor<64x4xf32>) -> tensor<4xf32> {
  ^bb0(%a: tensor<4xf32>, %c: tensor<64x4xf32>):
    %e = dlc.exp %a : tensor<4xf32>
    dlc.yield %e : tensor<4xf32>
  }
  return %5 : tensor<4xf32>
}

// No in place for a reduction fusion whose result has its input's shape
// (softmax's first half), nor for a loop fusion with results of different
// element counts.
// CHECK-LABEL: func.func @fusions_refused
// CHECK-SAME:    dlc.arena_bytes = 2304 : i64, dlc.lower_bound_bytes = 2304 : i64, dlc.naive_bytes = 3328 : i64
// CHECK:         dlc.fusion reduction(%{{.*}}) {dlc.offsets = array<i64: 1024>} :
// CHECK:         dlc.fusion loop(%{{.*}}, %arg1) {dlc.offsets = array<i64: 0, 2048>} :
func.func @fusions_refused(%x: tensor<4x64xf32>, %v: tensor<64xf32>) -> tensor<64x4xf32> {
  %0 = dlc.exp %x : tensor<4x64xf32>
  %1 = dlc.fusion reduction (%0) : (tensor<4x64xf32>) -> tensor<4x64xf32> {
  ^bb0(%a: tensor<4x64xf32>):
    %m = dlc.reduce max %a, dims = [1] : tensor<4x64xf32> -> tensor<4xf32>
    %mb = dlc.broadcast_in_dim %m, dims = [0] : tensor<4xf32> -> tensor<4x64xf32>
    %s = dlc.sub %a, %mb : tensor<4x64xf32>
    dlc.yield %s : tensor<4x64xf32>
  }
  %2:2 = dlc.fusion loop (%1, %v) : (tensor<4x64xf32>, tensor<64xf32>) -> (tensor<4x64xf32>, tensor<64xf32>) {
  ^bb0(%a: tensor<4x64xf32>, %c: tensor<64xf32>):
    %e = dlc.exp %a : tensor<4x64xf32>
    %n = dlc.neg %c : tensor<64xf32>
    dlc.yield %e, %n : tensor<4x64xf32>, tensor<64xf32>
  }
  %3 = dlc.transpose %2#0, perm = [1, 0] : tensor<4x64xf32> -> tensor<64x4xf32>
  return %3 : tensor<64x4xf32>
}
