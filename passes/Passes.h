// The dlc pass pipeline. Each pass has a name (its dlc-opt flag), and the
// pass manager runs the verifier after every pass.
#pragma once

namespace mlir {
class OpPassManager;
}

namespace dlc {

// Registers dlc's passes and pipelines with the global registry (dlc-opt).
void registerPasses();

// import -> verify -> canonicalize (fold, CSE, DCE). Later stages (fusion,
// memory planning) are appended by their own issues' passes.
void buildInferencePipeline(mlir::OpPassManager& pm);

}  // namespace dlc
