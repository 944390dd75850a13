// `dlc bench MODEL|X.dlcx`: compiles (cold and warm kernel cache) and times
// a model on a device: warm-up, then timed runs (CUDA events on the GPU, the
// host's clock on the host device); --profile adds the per-kernel table
// against the cost model and the device's measured copy bandwidth, --trace a
// Chrome trace. docs/perf.md describes the output and the JSON schema.
#pragma once

#include <cstdint>

#include "runtime/Program.h"
#include "tools/dlc/BenchReport.h"

namespace dlc::tool {

extern const char* kBenchHelp;

// Runs `dlc bench` (argv[2..]); returns the exit code (0, 1 the user's
// error or what the machine lacks, 2 ours), having printed any error.
int benchCommand(int argc, char** argv);

// Host-device memory of running `p`: its arena, and every buffer of its own
// (inputs, constants, outputs), into r.memoryBytes and r.arenaBytes.
void hostMemory(const rt::Program& p, BenchResult& r);

// `v` rounded up to the arena's alignment.
int64_t roundUp(int64_t v);

}  // namespace dlc::tool
