// dlc compile --stats [--json] and --explain-fusion on a small model: a
// matmul with a bias epilogue feeding a softmax.
// RUN: dlc compile %s --stats --json | FileCheck %s --check-prefix=JSON
// RUN: dlc compile %s --stats | FileCheck %s --check-prefix=TEXT
// RUN: dlc compile %s --explain-fusion | FileCheck %s --check-prefix=EXPLAIN
// RUN: not dlc compile %s --json 2>&1 | FileCheck %s --check-prefix=USAGE

// JSON: {"model": "{{.*}}stats.mlir", "kernels": 2, "library_calls": 1,
// JSON-SAME: "kernels_by_kind": {"gemm": 1, "reduction": 1},
// JSON-SAME: "peak_bytes": 4096, "naive_bytes": 4096, "lower_bound_bytes": 4096,
// JSON-SAME: "pass_ms": {{\[\["import", [0-9.]+\], \["canonicalize", [0-9.]+\],}}

// TEXT:      kernels: 2 (gemm 1, reduction 1)
// TEXT-NEXT: library calls: 1
// TEXT-NEXT: arena peak: 4096 bytes
// TEXT-NEXT: lower bound: 4096 bytes
// TEXT-NEXT: naive: 4096 bytes
// TEXT-NEXT: compile time (ms): import

// EXPLAIN: 'dlc.add' not fused with its operand 0, 'dlc.dot_general': [reduction-and-library-call]

// USAGE: --json goes with --stats

func.func @main(%x: tensor<8x32xf32>, %w: tensor<32x128xf32>, %b: tensor<128xf32>) -> tensor<8x128xf32> {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<8x32xf32>, tensor<32x128xf32>) -> tensor<8x128xf32>
  %bb = dlc.broadcast_in_dim %b, dims = [1] : tensor<128xf32> -> tensor<8x128xf32>
  %z = dlc.add %y, %bb : tensor<8x128xf32>
  %m = dlc.reduce max %z, dims = [1] : tensor<8x128xf32> -> tensor<8xf32>
  %mb = dlc.broadcast_in_dim %m, dims = [0] : tensor<8xf32> -> tensor<8x128xf32>
  %d = dlc.sub %z, %mb : tensor<8x128xf32>
  %e = dlc.exp %d : tensor<8x128xf32>
  %s = dlc.reduce sum %e, dims = [1] : tensor<8x128xf32> -> tensor<8xf32>
  %sb = dlc.broadcast_in_dim %s, dims = [0] : tensor<8xf32> -> tensor<8x128xf32>
  %p = dlc.div %e, %sb : tensor<8x128xf32>
  return %p : tensor<8x128xf32>
}
