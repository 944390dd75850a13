// The text of Prelude.cuh, embedded at build time (Prelude.cpp.in).
#pragma once

namespace dlc::codegen::cuda {
const char* preludeSource();
}
