// The version of the dlc library. CMake reads the project version from
// these lines (one source of truth); the package's dlcConfigVersion.cmake
// and libdlc.so's SOVERSION (the major version) follow them.
#pragma once

#include "dlc/Export.h"

#define DLC_VERSION_MAJOR 0
#define DLC_VERSION_MINOR 1
#define DLC_VERSION_PATCH 0

namespace dlc {
// The version of the libdlc the program runs with, "MAJOR.MINOR.PATCH"
// (the macros above are the one it was compiled against).
DLC_API const char* version();
}  // namespace dlc
