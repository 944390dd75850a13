// Input of autodiff.mlir: loss = sum(x @ w), differentiated with respect to w
// alone: its gradient is x^T g, a dot_general contracting the batch dimension.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    -> (tensor<f32>, tensor<3x2xf32>)
// CHECK:         dlc.dot_general %{{.*}}, %{{.*}}, batch = [] x [], contract = [1] x [0] : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
// CHECK:         %[[GW:.*]] = dlc.dot_general %{{.*}}, %{{.*}}, batch = [] x [], contract = [0] x [0] : (tensor<4x2xf32>, tensor<4x3xf32>) -> tensor<2x3xf32>
// CHECK:         %[[T:.*]] = dlc.transpose %[[GW]], perm = [1, 0] : tensor<2x3xf32> -> tensor<3x2xf32>
// CHECK:         return %{{.*}}, %[[T]] : tensor<f32>, tensor<3x2xf32>
// CHECK-NOT:     tensor<4x3xf32>
func.func @main(%x: tensor<4x3xf32>, %w: tensor<3x2xf32>) -> tensor<f32> {
  %y = dlc.dot_general %x, %w, batch = [] x [], contract = [1] x [0] : (tensor<4x3xf32>, tensor<3x2xf32>) -> tensor<4x2xf32>
  %l = dlc.reduce sum %y, dims = [0, 1] : tensor<4x2xf32> -> tensor<f32>
  return %l : tensor<f32>
}
