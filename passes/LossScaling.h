// The loss-scaling part of the training step (TrainingSpec::LossScaling,
// passes/LossScaling.cpp): the graph pieces buildTrainingStep puts around
// the backward pass and the update. All of it is core ops on the gradients
// and two f32 scalars, so the fusion pass makes the finiteness check one
// reduction per gradient and the skip part of each parameter's update
// kernel.
#pragma once

#include <utility>
#include <vector>

#include "ir/GraphBuild.h"
#include "passes/TrainingStep.h"

namespace dlc {

// The gradients times 1/scale (an f32 scalar; the reciprocal is exact for
// the powers of two a dynamic scale takes), and `finite`: an i1 scalar,
// true when no element of any unscaled gradient is an inf or a NaN.
struct UnscaledGradients {
  std::vector<mlir::Value> grads;
  mlir::Value finite;
};
UnscaledGradients unscaleGradients(GraphBuild& gb, const std::vector<mlir::Value>& grads, mlir::Value scale);

// `finite ? updated : old`, the scalar `finite` broadcast to old's shape:
// a skipped step leaves `old` bit-unchanged.
mlir::Value keepOnOverflow(GraphBuild& gb, mlir::Value finite, mlir::Value updated, mlir::Value old);

// The next scale and good-step counter (GradScaler's update):
//   overflow:            scale * backoff,                          0
//   good, count+1 < N:   scale,                                    count + 1
//   good, count+1 >= N:  scale * growth (scale if that is inf),    0
std::pair<mlir::Value, mlir::Value> updateLossScale(GraphBuild& gb, const TrainingSpec::LossScaling& ls,
                                                    mlir::Value finite, mlir::Value scale, mlir::Value goodSteps);

}  // namespace dlc
