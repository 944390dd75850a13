// `dlc train --save`: the model's own graph with the trained parameters and
// running statistics as its initializers, under their original names.
#pragma once

#include <vector>

#include "runtime/Tensor.h"
#include "tools/dlc/TrainSetup.h"

namespace dlc::tool {

// `trained` is every input of the step after the last one (runTrainingLoop).
// Writes s.save and says what it saved. Throws TrainError.
void saveTrainedModel(const Settings& s, TrainSetup& setup, const TrainStep& step,
                      const std::vector<rt::HostTensor>& trained);

}  // namespace dlc::tool
