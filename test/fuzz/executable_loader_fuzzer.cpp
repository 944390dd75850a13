// Fuzz target of the executable loader (runtime/Executable.h): any bytes
// must load or end in an ExecutableError, never a crash, a hang or unbounded
// memory; and a program that loads must run on the host device without
// touching memory outside its buffers (run errors are fine: the data may
// be anything). Each input is tried as given (the header and checksum
// checks) and with its checksum made right, so that mutations reach the
// sections behind it. Built with libFuzzer under DLC_BUILD_FUZZERS
// (scripts/fuzz.sh executable_loader_fuzzer), and in the normal build with
// standalone_main.cpp over the seed corpus as a ctest.
#include <cstddef>
#include <cstdint>
#include <exception>
#include <string>

#include "runtime/Checksum.h"
#include "runtime/Executable.h"
#include "runtime/host/HostDevice.h"

namespace {

// Runs only programs whose values fit in a few MB: a file may declare
// tensors as large as it likes, and allocating them is not a bug.
constexpr int64_t kMaxRunBytes = 8 << 20;

void tryRun(const dlc::rt::Program& p) {
  int64_t total = p.arenaBytes;
  for (const auto& v : p.values) {
    total += v.type.byteSize();
    if (total > kMaxRunBytes) return;
  }
  std::vector<dlc::rt::HostTensor> inputs;
  for (int32_t id : p.inputs) {
    const auto& v = p.values[id];
    inputs.push_back(v.isSpecialized ? dlc::rt::HostTensor(v.type, v.specialized.data()) : dlc::rt::HostTensor(v.type));
  }
  try {
    dlc::rt::runOnHost(p, inputs);
  } catch (const std::exception&) {
    // A data error (index out of range), an op on a dtype it does not take:
    // reported, not a crash.
  }
}

void load(const std::string& bytes) {
  try {
    dlc::rt::Executable exe = dlc::rt::parseExecutable(bytes, "fuzz.dlcx");
    tryRun(exe.program);
  } catch (const dlc::rt::ExecutableError&) {
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  std::string bytes(reinterpret_cast<const char*>(data), size);
  load(bytes);
  if (size >= 16) {
    uint64_t sum = dlc::rt::checksum64(bytes.data() + 16, size - 16);
    for (int i = 0; i < 8; ++i) bytes[8 + i] = static_cast<char>((sum >> (8 * i)) & 0xff);
    load(bytes);
  }
  return 0;
}
