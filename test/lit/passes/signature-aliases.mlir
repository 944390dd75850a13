// Signature aliases (passes/MemoryPlan.h): a result written into an
// argument's buffer, as a training step updates its parameters. The planner
// moves the writing kernel after the argument's last reader where it can,
// then marks each alias in_place (aliasRefusal allows it) or copy; the
// verifier proves the in_place ones. Unfused ops: each op is a kernel.
// RUN: dlc-opt --dlc-plan-memory --dlc-verify-memory-plan %s | FileCheck %s
// RUN: dlc compile %s --emit plan | FileCheck %s --check-prefix=PLAN
// RUN: dlc-opt --dlc-fuse --dlc-plan-memory --dlc-verify-memory-plan %s | FileCheck %s --check-prefix=FUSED

// CHECK-LABEL: func.func @main
// CHECK-SAME:    {dlc.alias_arg = 0 : i64, dlc.alias_mode = "in_place"}
// CHECK-SAME:    {dlc.alias_arg = 1 : i64, dlc.alias_mode = "copy"}
// CHECK-SAME:    {dlc.alias_arg = 2 : i64, dlc.alias_mode = "copy"}
// CHECK-SAME:    {dlc.alias_arg = 3 : i64, dlc.alias_mode = "in_place"}
// The sub that writes %p's new value moved after the exp that reads %p;
// the mul cannot move after the dot_general, which reads its result.
// CHECK:         dlc.exp %arg0
// CHECK-NEXT:    dlc.sub %arg0, %arg4
// CHECK-NEXT:    %[[QN:.*]] = dlc.mul %arg1, %arg1
// CHECK-NEXT:    dlc.dot_general %[[QN]], %arg1
// CHECK-NEXT:    dlc.transpose %arg2
// CHECK-NEXT:    dlc.neg %arg3

// PLAN:      result 2 -> argument 0: in place
// PLAN-NEXT: result 3 -> argument 1: copy (argument 1 is still read at step 2, after the kernel that writes the result (step 1))
// PLAN-NEXT: result 4 -> argument 2: copy ('dlc.fusion loop' {{.*}} reads the argument and writes the result: 'dlc.transpose' inside the fusion reads it)
// PLAN-NEXT: result 5 -> argument 3: in place

// Fused (also what PLAN shows), the sub, mul and neg become loop kernels
// that read their argument at the index they write: the same decisions.
// FUSED-LABEL: func.func @main
// FUSED-SAME:    {dlc.alias_arg = 0 : i64, dlc.alias_mode = "in_place"}
// FUSED-SAME:    {dlc.alias_arg = 1 : i64, dlc.alias_mode = "copy"}
// FUSED-SAME:    {dlc.alias_arg = 2 : i64, dlc.alias_mode = "copy"}
// FUSED-SAME:    {dlc.alias_arg = 3 : i64, dlc.alias_mode = "in_place"}
func.func @main(%p: tensor<256xf32>, %q: tensor<16x16xf32>, %r: tensor<16x16xf32>, %s: tensor<256xf32>,
                %g: tensor<256xf32>)
    -> (tensor<256xf32>, tensor<16x16xf32>, tensor<256xf32> {dlc.alias_arg = 0 : i64},
        tensor<16x16xf32> {dlc.alias_arg = 1 : i64}, tensor<16x16xf32> {dlc.alias_arg = 2 : i64},
        tensor<256xf32> {dlc.alias_arg = 3 : i64}) {
  %pn = dlc.sub %p, %g : tensor<256xf32>
  %y = dlc.exp %p : tensor<256xf32>
  %qn = dlc.mul %q, %q : tensor<16x16xf32>
  %z = dlc.dot_general %qn, %q, batch = [] x [], contract = [1] x [0] : (tensor<16x16xf32>, tensor<16x16xf32>) -> tensor<16x16xf32>
  %rn = dlc.transpose %r, perm = [1, 0] : tensor<16x16xf32> -> tensor<16x16xf32>
  %sn = dlc.neg %s : tensor<256xf32>
  return %y, %z, %pn, %qn, %rn, %sn : tensor<256xf32>, tensor<16x16xf32>, tensor<256xf32>, tensor<16x16xf32>,
                                      tensor<16x16xf32>, tensor<256xf32>
}
