// The fusion pass: one dlc.fusion per kernel, each rule positive and negative.
// RUN: dlc-opt --dlc-fuse -split-input-file %s | FileCheck %s

// Loop fusion: an elementwise chain with a broadcast and a transpose is one
// loop kernel; the splat constant is copied into it, not passed in.
// CHECK-LABEL: func.func @loop_chain
// CHECK-SAME:    (%[[X:.*]]: tensor<4x8xf32>, %[[B:.*]]: tensor<4xf32>)
// CHECK:         %[[F:.*]] = dlc.fusion loop(%[[B]], %[[X]])
// CHECK:           dlc.broadcast_in_dim
// CHECK:           dlc.add
// CHECK:           dlc.constant dense<2.0
// CHECK:           dlc.mul
// CHECK:           dlc.transpose
// CHECK:           dlc.exp
// CHECK:           dlc.yield
// CHECK-NOT:     dlc.fusion
// CHECK:         return %[[F]]
func.func @loop_chain(%x: tensor<4x8xf32>, %b: tensor<4xf32>) -> tensor<8x4xf32> {
  %two = dlc.constant dense<2.0> : tensor<4x8xf32>
  %bb = dlc.broadcast_in_dim %b, dims = [0] : tensor<4xf32> -> tensor<4x8xf32>
  %0 = dlc.add %x, %bb : tensor<4x8xf32>
  %1 = dlc.mul %0, %two : tensor<4x8xf32>
  %2 = dlc.transpose %1, perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  %3 = dlc.exp %2 : tensor<8x4xf32>
  return %3 : tensor<8x4xf32>
}

// -----

// Softmax: max, exp, sum and the division are ONE reduction kernel.
// CHECK-LABEL: func.func @softmax
// CHECK:         dlc.fusion reduction
// CHECK-COUNT-2:   dlc.reduce
// CHECK:           dlc.div
// CHECK:           dlc.yield
// CHECK-NOT:     dlc.fusion
func.func @softmax(%x: tensor<8x128xf32>) -> tensor<8x128xf32> {
  %m = dlc.reduce max %x, dims = [1] : tensor<8x128xf32> -> tensor<8xf32>
  %mb = dlc.broadcast_in_dim %m, dims = [0] : tensor<8xf32> -> tensor<8x128xf32>
  %d = dlc.sub %x, %mb : tensor<8x128xf32>
  %e = dlc.exp %d : tensor<8x128xf32>
  %s = dlc.reduce sum %e, dims = [1] : tensor<8x128xf32> -> tensor<8xf32>
  %sb = dlc.broadcast_in_dim %s, dims = [0] : tensor<8xf32> -> tensor<8x128xf32>
  %y = dlc.div %e, %sb : tensor<8x128xf32>
  return %y : tensor<8x128xf32>
}

// -----

// Layer norm with keepdims-style reshapes (ONNX ReduceMean keepdims=1):
// mean, variance, normalisation, scale and shift are ONE reduction kernel.
// CHECK-LABEL: func.func @layer_norm
// CHECK:         %[[F:.*]] = dlc.fusion reduction
// CHECK-COUNT-2:   dlc.reduce sum
// CHECK:           dlc.rsqrt
// CHECK:           dlc.yield
// CHECK-NOT:     dlc.fusion
// CHECK:         return %[[F]]
func.func @layer_norm(%x: tensor<2x16x64xf32>, %g: tensor<64xf32>, %b: tensor<64xf32>) -> tensor<2x16x64xf32> {
  %n = dlc.constant dense<64.0> : tensor<2x16x1xf32>
  %eps = dlc.constant dense<1.0e-5> : tensor<2x16x1xf32>
  %s = dlc.reduce sum %x, dims = [2] : tensor<2x16x64xf32> -> tensor<2x16xf32>
  %sk = dlc.reshape %s : tensor<2x16xf32> -> tensor<2x16x1xf32>
  %mean = dlc.div %sk, %n : tensor<2x16x1xf32>
  %mb = dlc.broadcast_in_dim %mean, dims = [0, 1, 2] : tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %d = dlc.sub %x, %mb : tensor<2x16x64xf32>
  %d2 = dlc.mul %d, %d : tensor<2x16x64xf32>
  %v = dlc.reduce sum %d2, dims = [2] : tensor<2x16x64xf32> -> tensor<2x16xf32>
  %vk = dlc.reshape %v : tensor<2x16xf32> -> tensor<2x16x1xf32>
  %var = dlc.div %vk, %n : tensor<2x16x1xf32>
  %ve = dlc.add %var, %eps : tensor<2x16x1xf32>
  %r = dlc.rsqrt %ve : tensor<2x16x1xf32>
  %rb = dlc.broadcast_in_dim %r, dims = [0, 1, 2] : tensor<2x16x1xf32> -> tensor<2x16x64xf32>
  %y = dlc.mul %d, %rb : tensor<2x16x64xf32>
  %gb = dlc.broadcast_in_dim %g, dims = [2] : tensor<64xf32> -> tensor<2x16x64xf32>
  %bb = dlc.broadcast_in_dim %b, dims = [2] : tensor<64xf32> -> tensor<2x16x64xf32>
  %y1 = dlc.mul %y, %gb : tensor<2x16x64xf32>
  %y2 = dlc.add %y1, %bb : tensor<2x16x64xf32>
  return %y2 : tensor<2x16x64xf32>
}

// -----

// RMS norm: one reduction kernel.
// CHECK-LABEL: func.func @rms_norm
// CHECK:         dlc.fusion reduction
// CHECK-NOT:     dlc.fusion
func.func @rms_norm(%x: tensor<4x32xf32>) -> tensor<4x32xf32> {
  %n = dlc.constant dense<3.2e+01> : tensor<4xf32>
  %sq = dlc.mul %x, %x : tensor<4x32xf32>
  %s = dlc.reduce sum %sq, dims = [1] : tensor<4x32xf32> -> tensor<4xf32>
  %ms = dlc.div %s, %n : tensor<4xf32>
  %r = dlc.rsqrt %ms : tensor<4xf32>
  %rb = dlc.broadcast_in_dim %r, dims = [0] : tensor<4xf32> -> tensor<4x32xf32>
  %y = dlc.mul %x, %rb : tensor<4x32xf32>
  return %y : tensor<4x32xf32>
}

// -----

// Reductions over different rows are two kernels.
// CHECK-LABEL: func.func @different_rows
// CHECK-COUNT-2: dlc.fusion reduction
func.func @different_rows(%x: tensor<8x16xf32>) -> tensor<f32> {
  %a = dlc.reduce sum %x, dims = [1] : tensor<8x16xf32> -> tensor<8xf32>
  %b = dlc.reduce max %a, dims = [0] : tensor<8xf32> -> tensor<f32>
  return %b : tensor<f32>
}

// -----

// A reduced value that is transposed is not aligned with its row: the
// transpose is a loop kernel of its own.
// CHECK-LABEL: func.func @reduction_epilogue_misaligned
// CHECK:         dlc.fusion reduction
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.transpose
func.func @reduction_epilogue_misaligned(%x: tensor<4x8x16xf32>) -> tensor<8x4xf32> {
  %a = dlc.reduce sum %x, dims = [2] : tensor<4x8x16xf32> -> tensor<4x8xf32>
  %t = dlc.transpose %a, perm = [1, 0] : tensor<4x8xf32> -> tensor<8x4xf32>
  return %t : tensor<8x4xf32>
}

// -----

// GEMM epilogue: bias, activation and residual add fold into the gemm kernel.
// CHECK-LABEL: func.func @gemm_epilogue
// CHECK:         %[[G:.*]] = dlc.fusion gemm
// CHECK:           dlc.dot_general
// CHECK:           dlc.add
// CHECK:           dlc.max
// CHECK:           dlc.add
// CHECK:           dlc.yield
// CHECK-NOT:     dlc.fusion
// CHECK:         return %[[G]]
func.func @gemm_epilogue(%x: tensor<16x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>,
                         %r: tensor<16x64xf32>) -> tensor<16x64xf32> {
  %zero = dlc.constant dense<0.0> : tensor<16x64xf32>
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<16x32xf32>, tensor<32x64xf32>) -> tensor<16x64xf32>
  %bb = dlc.broadcast_in_dim %b, dims = [1] : tensor<64xf32> -> tensor<16x64xf32>
  %y1 = dlc.add %y, %bb : tensor<16x64xf32>
  %y2 = dlc.max %y1, %zero : tensor<16x64xf32>
  %y3 = dlc.add %y2, %r : tensor<16x64xf32>
  return %y3 : tensor<16x64xf32>
}

// -----

// The gemm stores its result through a transpose (attention heads back into
// [batch, seq, heads, dim]): a strided layout of the output, one kernel.
// CHECK-LABEL: func.func @gemm_strided_store
// CHECK:         dlc.fusion gemm
// CHECK:           dlc.dot_general
// CHECK-NEXT:      dlc.transpose
// CHECK-NEXT:      dlc.yield
// CHECK-NOT:     dlc.fusion
func.func @gemm_strided_store(%p: tensor<2x4x16x16xf32>, %v: tensor<2x4x16x16xf32>) -> tensor<2x16x4x16xf32> {
  %a = dlc.dot_general %p, %v, batch = [0, 1] x [0, 1], contract = [3] x [2] : (tensor<2x4x16x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x4x16x16xf32>
  %t = dlc.transpose %a, perm = [0, 2, 1, 3] : tensor<2x4x16x16xf32> -> tensor<2x16x4x16xf32>
  return %t : tensor<2x16x4x16xf32>
}

// -----

// A library call writes one result: when the product itself is also
// returned, the epilogue is a loop kernel.
// CHECK-LABEL: func.func @gemm_one_output
// CHECK:         dlc.fusion gemm
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.dot_general
// CHECK-NEXT:      dlc.yield
// CHECK:         dlc.fusion loop
func.func @gemm_one_output(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %e = dlc.exp %y : tensor<4x4xf32>
  return %y, %e : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// GEMM prologue: a slice and a reshape of a kernel input are a strided view,
// read by the library call in place.
// CHECK-LABEL: func.func @gemm_view_prologue
// CHECK:         dlc.fusion gemm
// CHECK:           dlc.slice
// CHECK:           dlc.reshape
// CHECK:           dlc.dot_general
// CHECK-NOT:     dlc.fusion
func.func @gemm_view_prologue(%qkv: tensor<2x16x192xf32>, %k: tensor<2x4x16x16xf32>) -> tensor<2x16x4x4x16xf32> {
  %q = dlc.slice %qkv, start = [0, 0, 0], limit = [2, 16, 64], strides = [1, 1, 1] : tensor<2x16x192xf32> -> tensor<2x16x64xf32>
  %q4 = dlc.reshape %q : tensor<2x16x64xf32> -> tensor<2x16x4x16xf32>
  %s = dlc.dot_general %q4, %k, batch = [0] x [0], contract = [3] x [3] : (tensor<2x16x4x16xf32>, tensor<2x4x16x16xf32>) -> tensor<2x16x4x4x16xf32>
  return %s : tensor<2x16x4x4x16xf32>
}

// -----

// A transpose followed by a reshape that merges dims which are no longer
// contiguous is not a strided view: it stays a copy kernel in front of the gemm.
// CHECK-LABEL: func.func @gemm_prologue_not_a_view
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.transpose
// CHECK:         dlc.fusion gemm
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.reshape
// CHECK-NEXT:      dlc.dot_general
func.func @gemm_prologue_not_a_view(%x: tensor<2x4x16x16xf32>, %w: tensor<64x64xf32>) -> tensor<2x16x64xf32> {
  %t = dlc.transpose %x, perm = [0, 2, 1, 3] : tensor<2x4x16x16xf32> -> tensor<2x16x4x16xf32>
  %r = dlc.reshape %t : tensor<2x16x4x16xf32> -> tensor<2x16x64xf32>
  %y = dlc.dot_general %r, %w, batch = [] x [], contract = [2] x [0] : (tensor<2x16x64xf32>, tensor<64x64xf32>) -> tensor<2x16x64xf32>
  return %y : tensor<2x16x64xf32>
}

// -----

// Computation in front of a library call is its own kernel.
// CHECK-LABEL: func.func @gemm_prologue_compute
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.tanh
// CHECK:         dlc.fusion gemm
func.func @gemm_prologue_compute(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>) -> tensor<4x4xf32> {
  %t = dlc.tanh %x : tensor<4x8xf32>
  %y = dlc.dot_general %t, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  return %y : tensor<4x4xf32>
}

// -----

// Convolution epilogue: bias and ReLU.
// CHECK-LABEL: func.func @conv_epilogue
// CHECK:         dlc.fusion conv
// CHECK:           dlc.convolution
// CHECK:           dlc.add
// CHECK:           dlc.max
// CHECK-NOT:     dlc.fusion
func.func @conv_epilogue(%x: tensor<1x3x8x8xf32>, %w: tensor<4x3x3x3xf32>, %b: tensor<4xf32>) -> tensor<1x4x6x6xf32> {
  %zero = dlc.constant dense<0.0> : tensor<1x4x6x6xf32>
  %y = dlc.convolution %x, %w, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 1 : (tensor<1x3x8x8xf32>, tensor<4x3x3x3xf32>) -> tensor<1x4x6x6xf32>
  %bb = dlc.broadcast_in_dim %b, dims = [1] : tensor<4xf32> -> tensor<1x4x6x6xf32>
  %y1 = dlc.add %y, %bb : tensor<1x4x6x6xf32>
  %y2 = dlc.max %y1, %zero : tensor<1x4x6x6xf32>
  return %y2 : tensor<1x4x6x6xf32>
}

// -----

// Two library calls are two kernels; a reduction does not join a gemm.
// CHECK-LABEL: func.func @two_library_calls
// CHECK-COUNT-2: dlc.fusion gemm
// CHECK:         dlc.fusion reduction
func.func @two_library_calls(%x: tensor<4x4xf32>) -> tensor<4xf32> {
  %a = dlc.dot_general %x, %x, batch = [] x [], contract = [1] x [0] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %b = dlc.dot_general %a, %x, batch = [] x [], contract = [1] x [0] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = dlc.reduce sum %b, dims = [1] : tensor<4x4xf32> -> tensor<4xf32>
  return %s : tensor<4xf32>
}

// -----

// A cheap producer read by two kernels is copied into both (the bias
// broadcast), so it is not a kernel of its own.
// CHECK-LABEL: func.func @duplicate_cheap_producer
// CHECK:         dlc.fusion gemm
// CHECK:           dlc.broadcast_in_dim
// CHECK:         dlc.fusion gemm
// CHECK:           dlc.broadcast_in_dim
// CHECK-NOT:     dlc.fusion
func.func @duplicate_cheap_producer(%x: tensor<4x8xf32>, %w: tensor<8x4xf32>, %v: tensor<8x4xf32>, %b: tensor<4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %bb = dlc.broadcast_in_dim %b, dims = [1] : tensor<4xf32> -> tensor<4x4xf32>
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %y1 = dlc.add %y, %bb : tensor<4x4xf32>
  %z = dlc.dot_general %x, %v, batch = [] x [], contract = [1] x [0] : (tensor<4x8xf32>, tensor<8x4xf32>) -> tensor<4x4xf32>
  %z1 = dlc.add %z, %bb : tensor<4x4xf32>
  return %y1, %z1 : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// An expensive producer (exp) read by two loop kernels is not copied: it
// joins one of them, which writes it out as a second result (multi-output).
// CHECK-LABEL: func.func @multi_output
// CHECK:         %[[F:.*]]:2 = dlc.fusion loop
// CHECK-COUNT-1: dlc.exp
// CHECK:         dlc.fusion gemm
func.func @multi_output(%x: tensor<4x4xf32>) -> (tensor<4x4xf32>, tensor<4x4xf32>) {
  %e = dlc.exp %x : tensor<4x4xf32>
  %a = dlc.add %e, %x : tensor<4x4xf32>
  %d = dlc.dot_general %e, %x, batch = [] x [], contract = [1] x [0] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  return %a, %d : tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

// Sibling fusion: two reductions of the same rows of the same input are one
// kernel with two results.
// CHECK-LABEL: func.func @siblings
// CHECK:         %[[F:.*]]:2 = dlc.fusion reduction
// CHECK-NOT:     dlc.fusion
// CHECK:         return %[[F]]#0, %[[F]]#1
func.func @siblings(%x: tensor<8x32xf32>) -> (tensor<8xf32>, tensor<8xf32>) {
  %a = dlc.reduce sum %x, dims = [1] : tensor<8x32xf32> -> tensor<8xf32>
  %b = dlc.reduce max %x, dims = [1] : tensor<8x32xf32> -> tensor<8xf32>
  return %a, %b : tensor<8xf32>, tensor<8xf32>
}

// -----

// Outputs of one loop kernel have one size: an exp that is returned and
// broadcast into a bigger result stays a kernel of its own (and is not
// recomputed per broadcast element: it is expensive).
// CHECK-LABEL: func.func @expensive_broadcast
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.exp
// CHECK-NEXT:      dlc.yield
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.broadcast_in_dim
func.func @expensive_broadcast(%x: tensor<4xf32>) -> tensor<4x64xf32> {
  %e = dlc.exp %x : tensor<4xf32>
  %b = dlc.broadcast_in_dim %e, dims = [0] : tensor<4xf32> -> tensor<4x64xf32>
  return %b : tensor<4x64xf32>
}

// -----

// Argsort runs alone.
// CHECK-LABEL: func.func @sort_alone
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.neg
// CHECK:         dlc.fusion sort
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.argsort
func.func @sort_alone(%x: tensor<8xf32>) -> tensor<8xi64> {
  %n = dlc.neg %x : tensor<8xf32>
  %i = dlc.argsort %n, dim = 0 : tensor<8xf32> -> tensor<8xi64>
  return %i : tensor<8xi64>
}

// -----

// No cycle between kernels: %e feeds the sort, whose result feeds %s with
// %e; putting %e and %s in one kernel would make it wait for itself.
// CHECK-LABEL: func.func @no_cycle
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.exp
// CHECK:         dlc.fusion sort
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.convert
// CHECK-NEXT:      dlc.add
func.func @no_cycle(%x: tensor<8xf32>) -> tensor<8xf32> {
  %e = dlc.exp %x : tensor<8xf32>
  %i = dlc.argsort %e, dim = 0 : tensor<8xf32> -> tensor<8xi64>
  %c = dlc.convert %i : tensor<8xi64> -> tensor<8xf32>
  %s = dlc.add %e, %c : tensor<8xf32>
  return %s : tensor<8xf32>
}

// -----

// A gemm epilogue may read the gemm's own input (%e) as a side operand.
// CHECK-LABEL: func.func @epilogue_reads_input
// CHECK:         dlc.fusion loop
// CHECK-NEXT:    ^bb0
// CHECK-NEXT:      dlc.exp
// CHECK:         dlc.fusion gemm
// CHECK:           dlc.tanh
// CHECK:           dlc.add
// CHECK-NOT:     dlc.fusion
func.func @epilogue_reads_input(%x: tensor<4x4xf32>) -> tensor<4x4xf32> {
  %e = dlc.exp %x : tensor<4x4xf32>
  %d = dlc.dot_general %e, %x, batch = [] x [], contract = [1] x [0] : (tensor<4x4xf32>, tensor<4x4xf32>) -> tensor<4x4xf32>
  %t = dlc.tanh %d : tensor<4x4xf32>
  %s = dlc.add %e, %t : tensor<4x4xf32>
  return %s : tensor<4x4xf32>
}
