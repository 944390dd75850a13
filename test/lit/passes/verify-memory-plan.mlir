// dlc-verify-memory-plan proves hand-written plans: a good one passes, each
// kind of broken one is rejected with a message naming the values involved.
// RUN: dlc-opt --dlc-verify-memory-plan -split-input-file -verify-diagnostics %s | FileCheck %s

// A good plan: %1 and %2 share an offset but not a step, %3 runs in place
// of %2, and the output is outside the arena.
// CHECK-LABEL: func.func @good
func.func @good(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 2048 : i64, dlc.naive_bytes = 4096 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  %1 = dlc.transpose %0, perm = [0] {dlc.offsets = array<i64: 1024>} : tensor<256xf32> -> tensor<256xf32>
  %2 = dlc.reverse %1, dims = [0] {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  %3 = dlc.tanh %2 {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} : tensor<256xf32>
  %4 = dlc.neg %3 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %4 : tensor<256xf32>
}

// -----

// %1 is written over %0 while the add still reads %0.
func.func @overlap(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error-re @+1 {{memory plan overlap: result 0 of 'dlc.transpose' ({{.*}}) at bytes [0, 1024), live [1, 2], and result 0 of 'dlc.exp' ({{.*}}) at bytes [0, 1024), live [0, 2], are live together at step 1}}
  %1 = dlc.transpose %0, perm = [0] {dlc.offsets = array<i64: 0>} : tensor<256xf32> -> tensor<256xf32>
  %2 = dlc.add %0, %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// A partial overlap, in a fusion's second result.
func.func @partial_overlap(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 2048 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  // expected-error-re @+1 {{memory plan overlap: result 1 of 'dlc.fusion loop' ({{.*}}) at bytes [512, 1536), live [0, 1], and result 0 of 'dlc.fusion loop' ({{.*}}) at bytes [0, 1024), live [0, 1], are live together at step 0}}
  %0:2 = dlc.fusion loop (%x) {dlc.offsets = array<i64: 0, 512>} : (tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>) {
  ^bb0(%a: tensor<256xf32>):
    %e = dlc.exp %a : tensor<256xf32>
    %n = dlc.neg %a : tensor<256xf32>
    dlc.yield %e, %n : tensor<256xf32>, tensor<256xf32>
  }
  %1 = dlc.add %0#0, %0#1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

func.func @misaligned(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 2048 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error-re @+1 {{result 0 of 'dlc.exp' ({{.*}}) at bytes [100, 1124), live [0, 1]: offset 100 is not a multiple of 256}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: 100>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

func.func @out_of_arena(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error-re @+1 {{result 0 of 'dlc.exp' ({{.*}}) at bytes [256, 1280), live [0, 1] ends beyond the arena of 1024 bytes}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: 256>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

func.func @wrong_length(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error-re @+1 {{'dlc.exp' ({{.*}}) (step 0) has 2 'dlc.offsets' entries for 1 result(s)}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0, 0>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

func.func @missing_offsets(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error-re @+1 {{'dlc.exp' ({{.*}}) (step 0) has no 'dlc.offsets'}}
  %0 = dlc.exp %x : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

func.func @output_in_arena(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64} {
  // expected-error-re @+1 {{result 0 of 'dlc.exp' ({{.*}}) at bytes [0, 1024), live [0, 0] is returned by the function, so its offset must be -1, not 0}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  return %0 : tensor<256xf32>
}

// -----

func.func @intermediate_outside(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error-re @+1 {{result 0 of 'dlc.exp' ({{.*}}), live [0, 1] is not returned by the function but has offset -1 (an arena buffer needs an offset >= 0)}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

// In place of an operand that is read again later.
func.func @reuse_live_operand(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error-re @+1 {{result 0 of 'dlc.tanh' ({{.*}}) at bytes [0, 1024), live [1, 2] takes over operand 0 in place ('dlc.reuses'), but the operand is still used at step 2}}
  %1 = dlc.tanh %0 {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} : tensor<256xf32>
  %2 = dlc.add %0, %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// A transpose reads other elements than it writes.
func.func @reuse_transpose(%x: tensor<16x16xf32>) -> tensor<16x16xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<16x16xf32>
  // expected-error @+1 {{takes over operand 0 in place ('dlc.reuses'), but 'dlc.transpose' is not an elementwise kernel}}
  %1 = dlc.transpose %0, perm = [1, 0] {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} : tensor<16x16xf32> -> tensor<16x16xf32>
  %2 = dlc.neg %1 {dlc.offsets = array<i64: -1>} : tensor<16x16xf32>
  return %2 : tensor<16x16xf32>
}

// -----

// A loop fusion that transposes its input inside.
func.func @reuse_fusion_transpose(%x: tensor<16x16xf32>) -> tensor<16x16xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<16x16xf32>
  // expected-error @+1 {{takes over operand 0 in place ('dlc.reuses'), but 'dlc.transpose' inside the fusion reads it}}
  %1 = dlc.fusion loop (%0) {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} : (tensor<16x16xf32>) -> tensor<16x16xf32> {
  ^bb0(%a: tensor<16x16xf32>):
    %n = dlc.neg %a : tensor<16x16xf32>
    %t = dlc.transpose %n, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
    dlc.yield %t : tensor<16x16xf32>
  }
  %2 = dlc.neg %1 {dlc.offsets = array<i64: -1>} : tensor<16x16xf32>
  return %2 : tensor<16x16xf32>
}

// -----

// A function input has no arena buffer to take over.
func.func @reuse_input(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 1024 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  // expected-error @+1 {{takes over operand 0 in place ('dlc.reuses'), but the operand is not in the arena (a function input, constant or output)}}
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

// In place, but at another offset than the operand.
func.func @reuse_other_offset(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 2048 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error-re @+1 {{but the operand, result 0 of 'dlc.exp' ({{.*}}) at bytes [0, 1024), live [0, 1], is at another offset}}
  %1 = dlc.tanh %0 {dlc.offsets = array<i64: 1024>, dlc.reuses = array<i64: 0>} : tensor<256xf32>
  %2 = dlc.neg %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// Two results cannot both take over one buffer.
func.func @reuse_twice(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 3072 : i64, dlc.lower_bound_bytes = 3072 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error-re @+1 {{result 1 of 'dlc.fusion loop' ({{.*}}) at bytes [0, 1024), live [1, 2] takes over operand 0 in place ('dlc.reuses'), but result 0 of 'dlc.fusion loop' ({{.*}}) at bytes [0, 1024), live [1, 2] takes over that buffer too}}
  %1:2 = dlc.fusion loop (%0) {dlc.offsets = array<i64: 0, 0>, dlc.reuses = array<i64: 0, 0>} : (tensor<256xf32>) -> (tensor<256xf32>, tensor<256xf32>) {
  ^bb0(%a: tensor<256xf32>):
    %e = dlc.exp %a : tensor<256xf32>
    %n = dlc.neg %a : tensor<256xf32>
    dlc.yield %e, %n : tensor<256xf32>, tensor<256xf32>
  }
  %2 = dlc.add %1#0, %1#1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

func.func @reuse_bad_index(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error @+1 {{takes over operand 3 in place ('dlc.reuses'), but the kernel has no operand 3}}
  %1 = dlc.tanh %0 {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 3>} : tensor<256xf32>
  %2 = dlc.neg %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

func.func @reuses_wrong_length(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 1024 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 2048 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  // expected-error @+1 {{(step 1) has 2 'dlc.reuses' entries for 1 result(s)}}
  %1 = dlc.tanh %0 {dlc.offsets = array<i64: 0>, dlc.reuses = array<i64: 0, -1>} : tensor<256xf32>
  %2 = dlc.neg %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// expected-error @+1 {{has no memory plan ('dlc.arena_bytes' is missing): run dlc-plan-memory first}}
func.func @no_plan(%x: tensor<256xf32>) -> tensor<256xf32> {
  %0 = dlc.exp %x : tensor<256xf32>
  %1 = dlc.neg %0 : tensor<256xf32>
  return %1 : tensor<256xf32>
}

// -----

// expected-error @+1 {{'dlc.lower_bound_bytes' is 1024 but the most bytes live at one step is 2048}}
func.func @wrong_lower_bound(%x: tensor<256xf32>) -> tensor<256xf32>
    attributes {dlc.arena_bytes = 2048 : i64, dlc.naive_bytes = 2048 : i64, dlc.lower_bound_bytes = 1024 : i64} {
  %0 = dlc.exp %x {dlc.offsets = array<i64: 0>} : tensor<256xf32>
  %1 = dlc.neg %0 {dlc.offsets = array<i64: 1024>} : tensor<256xf32>
  %2 = dlc.add %0, %1 {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %2 : tensor<256xf32>
}

// -----

// A signature alias planned in place although a later kernel still reads
// the argument.
// expected-error @+1 {{result 0 is written in place of argument 0, but argument 0 is still read at step 1, after the kernel that writes the result (step 0)}}
func.func @alias_read_later(%p: tensor<256xf32>) -> (tensor<256xf32> {dlc.alias_arg = 0 : i64, dlc.alias_mode = "in_place"}, tensor<256xf32>)
    attributes {dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64} {
  %0 = dlc.neg %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  %1 = dlc.exp %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %0, %1 : tensor<256xf32>, tensor<256xf32>
}

// -----

// An alias request the planner has not decided.
// expected-error @+1 {{result 0 has 'dlc.alias_arg' but no 'dlc.alias_mode': run dlc-plan-memory first}}
func.func @alias_unplanned(%p: tensor<256xf32>) -> (tensor<256xf32> {dlc.alias_arg = 0 : i64})
    attributes {dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64} {
  %0 = dlc.neg %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %0 : tensor<256xf32>
}

// -----

// Malformed requests: another type, and two results into one argument.
// expected-error-re @+1 {{result 0 ('dlc.alias_arg = 1'): the result is tensor<256xf32> but the argument is tensor<16xf32>}}
func.func @alias_type(%p: tensor<256xf32>, %q: tensor<16xf32>) -> (tensor<256xf32> {dlc.alias_arg = 1 : i64, dlc.alias_mode = "copy"})
    attributes {dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64} {
  %0 = dlc.neg %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %0 : tensor<256xf32>
}

// -----

// expected-error @+1 {{result 1 ('dlc.alias_arg = 0'): result 0 is written into that argument too}}
func.func @alias_twice(%p: tensor<256xf32>) -> (tensor<256xf32> {dlc.alias_arg = 0 : i64, dlc.alias_mode = "copy"}, tensor<256xf32> {dlc.alias_arg = 0 : i64, dlc.alias_mode = "copy"})
    attributes {dlc.arena_bytes = 0 : i64, dlc.naive_bytes = 0 : i64, dlc.lower_bound_bytes = 0 : i64} {
  %0 = dlc.neg %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  %1 = dlc.exp %p {dlc.offsets = array<i64: -1>} : tensor<256xf32>
  return %0, %1 : tensor<256xf32>, tensor<256xf32>
}
