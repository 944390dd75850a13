// dlc-training-step: buildTrainingStep (TrainingStep.h) as a pass, so that
// lit tests can show the training step's graph in IR text (the loss
// scaling's multiply, unscale, finiteness check and skip). `dlc train`
// calls buildTrainingStep directly; this pass is for dlc-opt.
//
//   dlc-opt --dlc-training-step="loss=mse optimizer=sgd lr=0.1 params=1,2
//            labels=tensor<4x3xf32> loss-scale=dynamic growth-interval=2000"
#include "passes/Passes.h"
#include "passes/TrainingStep.h"

#include "mlir/AsmParser/AsmParser.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/Pass.h"

using namespace mlir;

namespace dlc {

namespace {

struct TrainingStepPass : PassWrapper<TrainingStepPass, OperationPass<ModuleOp>> {
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(TrainingStepPass)
  TrainingStepPass() = default;
  TrainingStepPass(const TrainingStepPass& other) : PassWrapper(other) {}
  StringRef getArgument() const override { return "dlc-training-step"; }
  StringRef getDescription() const override {
    return "turn @main into a training step: loss, gradients, optimizer update (and loss scaling)";
  }
  Option<std::string> loss{*this, "loss", llvm::cl::desc("softmax_cross_entropy | mse | bce"), llvm::cl::init("mse")};
  Option<std::string> optimizer{*this, "optimizer", llvm::cl::desc("sgd | adam | adamw"), llvm::cl::init("sgd")};
  Option<double> lr{*this, "lr", llvm::cl::desc("learning rate"), llvm::cl::init(0.01)};
  Option<double> momentum{*this, "momentum", llvm::cl::desc("sgd's momentum"), llvm::cl::init(0)};
  Option<unsigned> prediction{*this, "prediction", llvm::cl::desc("the result the loss reads"), llvm::cl::init(0)};
  ListOption<unsigned> params{*this, "params", llvm::cl::desc("the trained argument indices")};
  Option<std::string> labels{*this, "labels", llvm::cl::desc("the labels' tensor type")};
  Option<std::string> lossScale{*this, "loss-scale", llvm::cl::desc("none | dynamic | a static scale"),
                                llvm::cl::init("none")};
  Option<int64_t> growthInterval{*this, "growth-interval", llvm::cl::desc("good steps before the scale doubles"),
                                 llvm::cl::init(2000)};

  void runOnOperation() override {
    ModuleOp module = getOperation();
    TrainingSpec spec;
    spec.loss = loss;
    spec.optimizer = optimizer;
    spec.lr = lr;
    spec.momentum = momentum;
    spec.prediction = prediction;
    spec.params.assign(params.begin(), params.end());
    spec.labelType = parseType(labels, &getContext());
    if (!spec.labelType) {
      module.emitError() << "dlc-training-step: labels='" << labels << "' is not a type";
      return signalPassFailure();
    }
    if (lossScale != "none") {
      spec.lossScaling.enabled = true;
      spec.lossScaling.growthInterval = growthInterval;
      if (lossScale != "dynamic") spec.lossScaling.growth = spec.lossScaling.backoff = 1;
    }
    spec.modelState = modelStatePairs(module);
    std::string error;
    if (failed(buildTrainingStep(module, spec, error))) {
      module.emitError() << "dlc-training-step: " << error;
      signalPassFailure();
    }
  }
};

}  // namespace

std::unique_ptr<Pass> createTrainingStepPass() { return std::make_unique<TrainingStepPass>(); }

}  // namespace dlc
