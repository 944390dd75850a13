// `dlc run MODEL.dlcx`: loads an executable file and runs it without the
// compiler (runtime/Executable.h): on the host device, or with its CUDA plan
// on the CUDA device.
#pragma once

#include <string>

#include "api/Driver.h"
#include "runtime/host/HostDevice.h"

namespace dlc::driver {

// device: "auto", "host" or "cuda". Reads DIR/input_N.pb, writes output_N.pb.
// cudaGraph: on the CUDA device, run through a captured CUDA graph;
// hostOptions: --check-nan, on either device.
Failure runExecutableFile(const std::string& path, const std::string& device, const std::string& inputDir,
                          const std::string& outputDir, bool cudaGraph = false,
                          const rt::HostRunOptions& hostOptions = {});

}  // namespace dlc::driver
