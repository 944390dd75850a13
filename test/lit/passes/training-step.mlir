// dlc-training-step: the training step of passes/TrainingStep.h as IR, here
// its loss scaling (TrainingSpec::LossScaling, passes/LossScaling.cpp) and
// how dlc-mixed-precision treats the backward pass. The numbers are checked
// in test/unit/LossScalingTest.cpp and test/models/test_training_precision.py.
// RUN: dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.5 params=1 labels=tensor<4x2xf32> loss-scale=dynamic growth-interval=7" %S/Inputs/training-step-linear.mlir | FileCheck %s
// RUN: dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.5 params=1 labels=tensor<4x2xf32>" %S/Inputs/training-step-linear.mlir | FileCheck %s --check-prefix=NONE
// RUN: dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.5 params=1 labels=tensor<4x2xf32> loss-scale=128" --canonicalize %S/Inputs/training-step-linear.mlir | FileCheck %s --check-prefix=STATIC
// RUN: dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.5 params=1 labels=tensor<4x2xf32> loss-scale=dynamic" --dlc-mixed-precision=fp16 %S/Inputs/training-step-linear.mlir | FileCheck %s --check-prefix=F16
// RUN: dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.5 params=1,2 labels=tensor<1x2x2x2xf32> loss-scale=dynamic" --dlc-mixed-precision=bf16 %s | FileCheck %s --check-prefix=CONV
// RUN: not dlc-opt --dlc-training-step="loss=mse params=1 labels=tensor<4x2xf32> loss-scale=dynamic growth-interval=0" %S/Inputs/training-step-linear.mlir 2>&1 | FileCheck %s --check-prefix=ERR

// Dynamic loss scaling: S (loss_scale) and the good-step counter come after
// the step counter, as arguments and as results written over them.
// CHECK-LABEL: func.func @main
// CHECK-SAME:    %[[W:arg1]]: tensor<3x2xf32>
// CHECK-SAME:    %[[STEP:arg3]]: tensor<f32> {dlc.name = "step"}, %[[S:arg4]]: tensor<f32> {dlc.name = "loss_scale"}, %[[GOOD:arg5]]: tensor<f32> {dlc.name = "loss_scale.good_steps"}
// CHECK-SAME:    tensor<f32> {dlc.alias_arg = 4 : i64, dlc.name = "loss_scale"}, tensor<f32> {dlc.alias_arg = 5 : i64, dlc.name = "loss_scale.good_steps"})
// The backward pass differentiates loss * S; the loss result is unscaled.
// CHECK:         %[[LOSS:.*]] = dlc.mul %{{.*}}, %{{.*}} : tensor<f32>
// CHECK-NEXT:    dlc.mul %[[LOSS]], %[[S]] : tensor<f32>
// The gradient times 1/S.
// CHECK:         %[[INV:.*]] = dlc.div %{{.*}}, %[[S]] : tensor<f32>
// CHECK:         %[[INVB:.*]] = dlc.broadcast_in_dim %[[INV]], dims = [] : tensor<f32> -> tensor<3x2xf32>
// CHECK:         %[[G:.*]] = dlc.mul %{{.*}}, %[[INVB]] : tensor<3x2xf32>
// The finiteness check: |g| < inf is false for inf and NaN; max over the 0/1 flags.
// CHECK:         %[[INF:.*]] = dlc.constant dense<0x7F800000> : tensor<3x2xf32>
// CHECK:         %[[ABS:.*]] = dlc.abs %[[G]]
// CHECK:         %[[OK:.*]] = dlc.compare lt, %[[ABS]], %[[INF]]
// CHECK:         %[[FLAGS:.*]] = dlc.select %[[OK]], %{{.*}}, %{{.*}} : tensor<3x2xi1>, tensor<3x2xf32>
// CHECK:         %[[ANY:.*]] = dlc.reduce max %[[FLAGS]], dims = [0, 1]
// CHECK:         %[[FINITE:.*]] = dlc.compare eq, %[[ANY]], %{{.*}} : tensor<f32> -> tensor<i1>
// The update from the unscaled gradient, and the skip: the old parameter
// and step where a gradient overflowed.
// CHECK:         %[[T:.*]] = dlc.add %[[STEP]], %{{.*}} : tensor<f32>
// CHECK:         %[[LR:.*]] = dlc.mul %[[G]], %{{.*}} : tensor<3x2xf32>
// CHECK:         %[[NEWW:.*]] = dlc.sub %[[W]], %[[LR]] : tensor<3x2xf32>
// CHECK:         %[[FB:.*]] = dlc.broadcast_in_dim %[[FINITE]], dims = [] : tensor<i1> -> tensor<3x2xi1>
// CHECK:         %[[KEEPW:.*]] = dlc.select %[[FB]], %[[NEWW]], %[[W]]
// CHECK:         %[[KEEPT:.*]] = dlc.select %[[FINITE]], %[[T]], %[[STEP]]
// The scale: x2 on the 7th good step (unless inf), x0.5 on an overflow.
// CHECK:         %[[COUNT:.*]] = dlc.add %[[GOOD]], %{{.*}} : tensor<f32>
// CHECK:         %[[SEVEN:.*]] = dlc.constant dense<7.000000e+00> : tensor<f32>
// CHECK:         %[[GROW:.*]] = dlc.compare ge, %[[COUNT]], %[[SEVEN]]
// CHECK:         %[[TWO:.*]] = dlc.constant dense<2.000000e+00> : tensor<f32>
// CHECK:         %[[DOUBLED:.*]] = dlc.mul %[[S]], %[[TWO]]
// CHECK:         %[[FITS:.*]] = dlc.compare lt, %[[DOUBLED]], %{{.*}}
// CHECK:         %[[IFFITS:.*]] = dlc.select %[[FITS]], %[[DOUBLED]], %[[S]]
// CHECK:         %[[ONGOOD:.*]] = dlc.select %[[GROW]], %[[IFFITS]], %[[S]]
// CHECK:         %[[HALF:.*]] = dlc.constant dense<5.000000e-01> : tensor<f32>
// CHECK:         %[[HALVED:.*]] = dlc.mul %[[S]], %[[HALF]]
// CHECK:         %[[NEWS:.*]] = dlc.select %[[FINITE]], %[[ONGOOD]], %[[HALVED]]
// CHECK:         %[[RESET:.*]] = dlc.select %[[GROW]], %[[ZERO:.*]], %[[COUNT]]
// CHECK:         %[[NEWGOOD:.*]] = dlc.select %[[FINITE]], %[[RESET]], %[[ZERO]]
// CHECK:         return %[[LOSS]], %[[KEEPW]], %[[KEEPT]], %[[NEWS]], %[[NEWGOOD]]

// Without loss scaling: no scale, no check, no skip.
// NONE-LABEL:    func.func @main
// NONE-NOT:      loss_scale
// NONE-NOT:      dlc.select
// NONE-NOT:      dlc.div
// NONE:          return

// A static scale (growth = backoff = 1): the scale result is the argument
// itself once canonicalised, the skip stays.
// STATIC-LABEL:  func.func @main
// STATIC-SAME:     %[[S:arg4]]: tensor<f32> {dlc.name = "loss_scale"}
// STATIC:          dlc.select
// STATIC:          return %{{.*}}, %{{.*}}, %{{.*}}, %[[S]], %{{.*}} :

// fp16: the forward and the backward products read 16-bit operands (the
// scaled gradient converted, the forward's f16 copy of x reused) and
// accumulate to f32, so the weight's gradient is f32; the parameter stays f32.
// F16-LABEL:     func.func @main
// F16-SAME:        %[[X:arg0]]: tensor<4x3xf32>, %[[W:arg1]]: tensor<3x2xf32>
// F16:             %[[W16:.*]] = dlc.convert %[[W]] : tensor<3x2xf32> -> tensor<3x2xf16>
// F16:             %[[X16:.*]] = dlc.convert %[[X]] : tensor<4x3xf32> -> tensor<4x3xf16>
// F16:             dlc.dot_general %[[X16]], %[[W16]], {{.*}} : (tensor<4x3xf16>, tensor<3x2xf16>) -> tensor<4x2xf32>
// F16:             %[[G16:.*]] = dlc.convert %{{.*}} : tensor<4x2xf32> -> tensor<4x2xf16>
// F16:             dlc.dot_general %[[G16]], %[[X16]], {{.*}} : (tensor<4x2xf16>, tensor<4x3xf16>) -> tensor<2x3xf32>
// F16-NOT:         dlc.dot_general
// F16:             dlc.sub %[[W]], %{{.*}} : tensor<3x2xf32>

// bf16 convolutions: the forward ones, the data gradient of the second
// (flowing to the first) and both filter gradients run in bf16, each filter
// gradient widened to f32 for the update.
// CONV-LABEL:    func.func @main
// CONV-COUNT-2:    dlc.convolution {{.*}} : (tensor<{{.*}}xbf16>, tensor<{{.*}}xbf16>) -> tensor<{{.*}}xbf16>
// CONV:            dlc.convolution {{.*}} : (tensor<1x2x6x6xbf16>, tensor<3x2x3x3xbf16>) -> tensor<1x3x4x4xbf16>
// CONV:            dlc.convolution {{.*}} -> tensor<3x2x3x3xbf16>
// CONV-NEXT:       dlc.convert %{{.*}} : tensor<3x2x3x3xbf16> -> tensor<3x2x3x3xf32>
// CONV:            dlc.convolution {{.*}} -> tensor<2x3x3x3xbf16>
// CONV-NEXT:       dlc.convert %{{.*}} : tensor<2x3x3x3xbf16> -> tensor<2x3x3x3xf32>
// CONV-NOT:        dlc.convolution
func.func @main(%x: tensor<1x2x6x6xf32>, %w1: tensor<3x2x3x3xf32>, %w2: tensor<2x3x3x3xf32>) -> tensor<1x2x2x2xf32> {
  %h = dlc.convolution %x, %w1, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 1 : (tensor<1x2x6x6xf32>, tensor<3x2x3x3xf32>) -> tensor<1x3x4x4xf32>
  %y = dlc.convolution %h, %w2, strides = [1, 1], pad = [0, 0] x [0, 0], dilations = [1, 1], groups = 1 : (tensor<1x3x4x4xf32>, tensor<2x3x3x3xf32>) -> tensor<1x2x2x2xf32>
  return %y : tensor<1x2x2x2xf32>
}

// ERR: dlc-training-step: loss scaling needs a growth interval in 1..2^24
