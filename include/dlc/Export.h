// DLC_API marks what libdlc exports: the library is built with
// -fvisibility=hidden, so everything else in it (MLIR, ONNX, dlc's internals)
// stays out of its dynamic symbol table.
#pragma once

#if defined(__GNUC__) || defined(__clang__)
#define DLC_API __attribute__((visibility("default")))
#else
#define DLC_API
#endif
