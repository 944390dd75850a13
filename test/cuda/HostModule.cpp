#include "test/cuda/HostModule.h"

#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <functional>
#include <stdexcept>

#include "codegen/cuda/Prelude.h"

namespace dlc::test {

namespace fs = std::filesystem;

namespace {

constexpr const char* kFlags = "-std=c++20 -O1 -fPIC -pthread -w";

// Runs a compiler command; on failure throws with its output.
void run(const std::string& cmd, const fs::path& log, const fs::path& what) {
  if (std::system((cmd + " > '" + log.string() + "' 2>&1").c_str()) != 0) {
    std::ifstream in(log);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    throw std::runtime_error(what.string() + " does not compile as C++:\n" + text.substr(0, 4000));
  }
}

}  // namespace

std::string buildHostModule(const std::string& source, const std::string& workDir) {
  size_t hash = std::hash<std::string>{}(source);
  fs::path dir = workDir.empty() ? fs::temp_directory_path() / "dlc-cuda-emulation" : fs::path(workDir);
  fs::create_directories(dir);
  char name[32];
  std::snprintf(name, sizeof name, "%016zx", hash);
  fs::path cu = dir / (std::string(name) + ".cpp"), so = dir / (std::string(name) + ".so");
  if (!fs::exists(so)) {
    // The prelude (the same text in every module) is precompiled once per
    // directory and included, so a module costs only its kernels.
    std::string text = source;
    std::string prelude = codegen::cuda::preludeSource();
    size_t at = text.find(prelude);
    if (at != std::string::npos) {
      // Named by the prelude's hash: a changed prelude gets a header of its own.
      char preludeName[48];
      std::snprintf(preludeName, sizeof preludeName, "dlc_prelude_%016zx.h", std::hash<std::string>{}(prelude));
      fs::path header = dir / preludeName;
      if (!fs::exists(fs::path(header.string() + ".gch"))) {
        // Written under names of this process, then renamed: tests run in
        // parallel processes.
        std::string pid = std::to_string(::getpid());
        fs::path tmpHeader = dir / (std::string(preludeName) + "." + pid);
        { std::ofstream(tmpHeader) << "#pragma once\n" << prelude; }
        if (!fs::exists(header)) fs::rename(tmpHeader, header);
        else fs::remove(tmpHeader);
        run("c++ " + std::string(kFlags) + " -x c++-header -o '" + header.string() + "." + pid + ".gch' '" +
                header.string() + "'",
            dir / ("dlc_prelude." + pid + ".log"), header);
        fs::rename(header.string() + "." + pid + ".gch", header.string() + ".gch");
      }
      text.replace(at, prelude.size(), "#include \"" + std::string(preludeName) + "\"\n");
    }
    fs::path tmpCu = dir / (std::string(name) + "." + std::to_string(::getpid()) + ".cpp");
    { std::ofstream(tmpCu) << text; }
    fs::rename(tmpCu, cu);
    fs::path tmp = dir / (std::string(name) + "." + std::to_string(::getpid()) + ".so");
    run("c++ " + std::string(kFlags) + " -shared -o '" + tmp.string() + "' '" + cu.string() + "'",
        dir / (std::string(name) + ".log"), cu);
    fs::rename(tmp, so);
  }
  return so.string();
}

}  // namespace dlc::test

