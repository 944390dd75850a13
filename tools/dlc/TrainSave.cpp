// `dlc train --save` (TrainSave.h).
#include "tools/dlc/TrainSave.h"

#include <cstdio>
#include <fstream>
#include <map>

#include "frontend/onnx/TensorProtoIO.h"

namespace dlc::tool {

void saveTrainedModel(const Settings& s, TrainSetup& setup, const TrainStep& step,
                      const std::vector<rt::HostTensor>& trained) {
  std::map<std::string, const rt::HostTensor*> byName;
  for (size_t i = 0; i < setup.paramNames.size(); ++i) byName[setup.paramNames[i]] = &trained[step.paramInput(i)];
  for (size_t i = 0; i < setup.stateNames.size(); ++i) byName[setup.stateNames[i]] = &trained[step.stateInput(i)];
  for (auto& t : *setup.model.mutable_graph()->mutable_initializer()) {
    auto it = byName.find(t.name());
    if (it == byName.end()) continue;
    onnx::TensorProto fresh;
    onnx_io::toTensorProto(*it->second, fresh);
    fresh.set_name(t.name());
    t = fresh;
  }
  std::ofstream file(s.save, std::ios::binary | std::ios::trunc);
  if (!file || !setup.model.SerializeToOstream(&file)) throw TrainError{1, s.save + ": cannot write the file"};
  std::printf("saved %s (%zu trained parameters", s.save.c_str(), setup.paramNames.size());
  if (!setup.stateNames.empty()) std::printf(", %zu running statistics", setup.stateNames.size());
  std::printf(")\n");
}

}  // namespace dlc::tool
