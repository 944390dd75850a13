// IR dumps: --dump-dir writes one numbered file per pass, --print-ir-after
// prints the IR after the named pass.
// RUN: rm -rf %t && dlc compile %s --emit fused-ir --dump-dir %t > /dev/null
// RUN: ls %t | FileCheck %s --check-prefix=FILES
// RUN: FileCheck %s --check-prefix=FUSED < %t/04_dlc-fuse.mlir
// RUN: dlc compile %s --emit fused-ir --print-ir-after=dlc-fuse 2>&1 >/dev/null | FileCheck %s --check-prefix=AFTER
// RUN: dlc compile %s --emit fused-ir --print-ir-after-all 2>&1 >/dev/null | FileCheck %s --check-prefix=ALL

// FILES:      00_import.mlir
// FILES-NEXT: 01_canonicalize.mlir
// FILES-NEXT: 02_dlc-fold-constants.mlir
// FILES-NEXT: 03_cse.mlir
// FILES-NEXT: 04_dlc-fuse.mlir
// FILES-NEXT: 05_dlc-schedule.mlir
// FILES-NEXT: 06_dlc-plan-memory.mlir
// FILES-NEXT: 07_dlc-verify-memory-plan.mlir

// FUSED: dlc.fusion loop

// AFTER:     IR Dump After dlc-fuse
// AFTER-NOT: IR Dump After
// AFTER:     dlc.fusion loop

// ALL: IR Dump After import
// ALL: IR Dump After canonicalize
// ALL: IR Dump After dlc-fold-constants
// ALL: IR Dump After cse
// ALL: IR Dump After dlc-fuse
// ALL: IR Dump After dlc-schedule
// ALL: IR Dump After dlc-plan-memory
// ALL: IR Dump After dlc-verify-memory-plan

func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %0 = dlc.exp %x : tensor<4xf32>
  %1 = dlc.neg %0 : tensor<4xf32>
  return %1 : tensor<4xf32>
}
