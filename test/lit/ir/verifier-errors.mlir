// The verifiers name what is wrong.
// RUN: dlc-opt %s -split-input-file -verify-diagnostics

func.func @broadcast_bad_dim(%x: tensor<3xf32>) -> tensor<2x4xf32> {
  // expected-error @+1 {{operand dimension 0 of size 3 cannot broadcast to result dimension 1 of size 4}}
  %0 = dlc.broadcast_in_dim %x, dims = [1] : tensor<3xf32> -> tensor<2x4xf32>
  return %0 : tensor<2x4xf32>
}

// -----

func.func @reshape_count(%x: tensor<2x3xf32>) -> tensor<4x2xf32> {
  // expected-error @+1 {{cannot reshape 'tensor<2x3xf32>' (6 elements) to 'tensor<4x2xf32>' (8 elements)}}
  %0 = dlc.reshape %x : tensor<2x3xf32> -> tensor<4x2xf32>
  return %0 : tensor<4x2xf32>
}

// -----

func.func @transpose_not_perm(%x: tensor<2x3xf32>) -> tensor<3x2xf32> {
  // expected-error @+1 {{permutation [0, 0] repeats dimension 0}}
  %0 = dlc.transpose %x, perm = [0, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
  return %0 : tensor<3x2xf32>
}

// -----

func.func @transpose_wrong_result(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  // expected-error @+1 {{result type 'tensor<2x3xf32>' does not match the inferred shape [3, 2]}}
  %0 = dlc.transpose %x, perm = [1, 0] : tensor<2x3xf32> -> tensor<2x3xf32>
  return %0 : tensor<2x3xf32>
}

// -----

func.func @slice_out_of_range(%x: tensor<4xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{dimension 0 of size 4: slice [3, 5) stride 1}}
  %0 = dlc.slice %x, start = [3], limit = [5], strides = [1] : tensor<4xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @concat_mismatch(%a: tensor<2x3xf32>, %b: tensor<2x4xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{they differ in dimension 1}}
  %0 = dlc.concatenate %a, %b dim = 0 : (tensor<2x3xf32>, tensor<2x4xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @pad_value_rank(%x: tensor<4xf32>, %v: tensor<1xf32>) -> tensor<6xf32> {
  // expected-error @+1 {{padding value must be a rank-0 tensor}}
  %0 = dlc.pad %x, %v, low = [1], high = [1], interior = [0] : (tensor<4xf32>, tensor<1xf32>) -> tensor<6xf32>
  return %0 : tensor<6xf32>
}

// -----

func.func @reduce_unsorted(%x: tensor<2x3x4xf32>) -> tensor<3xf32> {
  // expected-error @+1 {{reduce dims [2, 0] must be sorted}}
  %0 = dlc.reduce sum %x, dims = [2, 0] : tensor<2x3x4xf32> -> tensor<3xf32>
  return %0 : tensor<3xf32>
}

// -----

func.func @reduce_out_of_range(%x: tensor<2x3xf32>) -> tensor<2xf32> {
  // expected-error @+1 {{reduce dims [2] has dimension 2 out of range for rank 2}}
  %0 = dlc.reduce max %x, dims = [2] : tensor<2x3xf32> -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @dot_contract_mismatch(%a: tensor<2x3xf32>, %b: tensor<4x5xf32>) -> tensor<2x5xf32> {
  // expected-error @+1 {{lhs dimension 1 (size 3) does not match rhs dimension 0 (size 4)}}
  %0 = dlc.dot_general %a, %b, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<4x5xf32>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @dot_types(%a: tensor<2x3xf32>, %b: tensor<3x5xf16>) -> tensor<2x5xf32> {
  // expected-error @+1 {{lhs element type 'f32' differs from rhs element type 'f16'}}
  %0 = dlc.dot_general %a, %b, batch = [] x [], contract = [1] x [0] : (tensor<2x3xf32>, tensor<3x5xf16>) -> tensor<2x5xf32>
  return %0 : tensor<2x5xf32>
}

// -----

func.func @conv_kernel_too_large(%x: tensor<1x1x4x4xf32>, %w: tensor<1x1x9x9xf32>) -> tensor<1x1x1x1xf32> {
  // expected-error @+1 {{dimension 2: window of extent 9 is larger than the padded input 4}}
  %0 = dlc.convolution %x, %w, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 1 : (tensor<1x1x4x4xf32>, tensor<1x1x9x9xf32>) -> tensor<1x1x1x1xf32>
  return %0 : tensor<1x1x1x1xf32>
}

// -----

func.func @conv_groups(%x: tensor<1x4x4x4xf32>, %w: tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32> {
  // expected-error @+1 {{groups 3 must divide input channels 4 and output channels 2}}
  %0 = dlc.convolution %x, %w, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 3 : (tensor<1x4x4x4xf32>, tensor<2x2x1x1xf32>) -> tensor<1x2x4x4xf32>
  return %0 : tensor<1x2x4x4xf32>
}

// -----

func.func @window_rank(%x: tensor<4x4xf32>) -> tensor<2x2xf32> {
  // expected-error @+1 {{window has 1 entries, expected 2}}
  %0 = dlc.reduce_window max %x, window = [2], strides = [2, 2], pad = [0, 0] x [0, 0], dilations = [1, 1] : tensor<4x4xf32> -> tensor<2x2xf32>
  return %0 : tensor<2x2xf32>
}

// -----

func.func @gather_axis(%x: tensor<4xf32>, %i: tensor<2xi64>) -> tensor<2xf32> {
  // expected-error @+1 {{axis 1 out of range for rank 1}}
  %0 = dlc.gather %x, %i, axis = 1 : (tensor<4xf32>, tensor<2xi64>) -> tensor<2xf32>
  return %0 : tensor<2xf32>
}

// -----

func.func @scatter_updates_shape(%x: tensor<4x3xf32>, %i: tensor<2xi64>, %u: tensor<2x2xf32>) -> tensor<4x3xf32> {
  // expected-error @+1 {{result type 'tensor<2x2xf32>' does not match the inferred shape [2, 3]}}
  %0 = dlc.scatter max %x, %i, %u, axis = 0 : (tensor<4x3xf32>, tensor<2xi64>, tensor<2x2xf32>) -> tensor<4x3xf32>
  return %0 : tensor<4x3xf32>
}

// -----

func.func @scatter_result_type(%x: tensor<4xf32>, %i: tensor<2xi64>, %u: tensor<2xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{result type 'tensor<4xf16>' differs from base type 'tensor<4xf32>'}}
  %0 = dlc.scatter replace %x, %i, %u, axis = 0 : (tensor<4xf32>, tensor<2xi64>, tensor<2xf32>) -> tensor<4xf16>
  return %0 : tensor<4xf16>
}

// -----

func.func @iota_dim(%x: tensor<4xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{dim 1 out of range for rank 1}}
  %0 = dlc.iota dim = 1 : tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @exp_on_int(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit float or 16-bit float}}
  %0 = dlc.exp %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @atan2_on_integers(%a: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{must be statically shaped tensor of 32-bit float or 16-bit float}}
  %0 = dlc.atan2 %a, %a : tensor<4xi32>
  return %0 : tensor<4xi32>
}

// -----

func.func @dynamic_shape(%a: tensor<?xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{must be statically shaped tensor}}
  %0 = dlc.neg %a : tensor<?xf32>
  return %0 : tensor<?xf32>
}

// -----

// Integers are signless (signed) or unsigned; explicitly signed ones are not IR types.
func.func @signed_integer(%a: tensor<4xsi8>) -> tensor<4xsi8> {
  // expected-error @+1 {{must be statically shaped tensor}}
  %0 = dlc.neg %a : tensor<4xsi8>
  return %0 : tensor<4xsi8>
}

// -----

func.func @bitcast_widths(%a: tensor<4xf32>) -> tensor<4xi64> {
  // expected-error @+1 {{element types 'f32' and 'i64' have different bit widths}}
  %0 = dlc.bitcast_convert %a : tensor<4xf32> -> tensor<4xi64>
  return %0 : tensor<4xi64>
}

// -----

func.func @bitcast_to_bool(%a: tensor<4xui8>) -> tensor<4xi1> {
  // expected-error @+1 {{cannot produce i1}}
  %0 = dlc.bitcast_convert %a : tensor<4xui8> -> tensor<4xi1>
  return %0 : tensor<4xi1>
}

// -----

func.func @shift_float(%a: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{must be statically shaped tensor of 64-bit signless integer}}
  %0 = dlc.shift_left %a, %a : tensor<4xf32>
  return %0 : tensor<4xf32>
}

// -----

func.func @argsort_dim(%x: tensor<3x4xf32>) -> tensor<3x4xi64> {
  // expected-error @+1 {{dim 2 out of range for rank 2}}
  %0 = dlc.argsort %x, dim = 2 : tensor<3x4xf32> -> tensor<3x4xi64>
  return %0 : tensor<3x4xi64>
}

// -----

func.func @argsort_shape(%x: tensor<3x4xf32>) -> tensor<3x2xi64> {
  // expected-error @+1 {{does not match the inferred shape [3, 4]}}
  %0 = dlc.argsort %x, dim = 1 : tensor<3x4xf32> -> tensor<3x2xi64>
  return %0 : tensor<3x2xi64>
}

// -----

func.func @argsort_result_type(%x: tensor<3x4xf32>) -> tensor<3x4xi32> {
  // expected-error @+1 {{must be statically shaped tensor of 64-bit signless integer}}
  %0 = dlc.argsort %x, dim = 1 : tensor<3x4xf32> -> tensor<3x4xi32>
  return %0 : tensor<3x4xi32>
}
