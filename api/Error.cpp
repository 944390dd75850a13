#include <new>
#include <stdexcept>

#include "api/Internal.h"
#include "dlc/Version.h"

namespace dlc {

Error::Error(int code, std::string message) : code_(code), message_(std::move(message)) {}
Error::~Error() = default;
const char* Error::what() const noexcept { return message_.c_str(); }

void Status::throwIfError() const {
  if (!ok()) throw Error(code_, message_);
}

#define DLC_STR2(x) #x
#define DLC_STR(x) DLC_STR2(x)
const char* version() {
  return DLC_STR(DLC_VERSION_MAJOR) "." DLC_STR(DLC_VERSION_MINOR) "." DLC_STR(DLC_VERSION_PATCH);
}

namespace api {

void translateExceptions(const std::function<void()>& fn) {
  try {
    fn();
  } catch (const Error&) {
    throw;
  } catch (const std::bad_alloc&) {
    throw Error(1, "out of memory");
  } catch (const std::exception& e) {
    throw Error(2, std::string("internal error: ") + e.what());
  }
}

Status catchStatus(const std::function<void()>& fn) {
  try {
    translateExceptions(fn);
    return Status();
  } catch (const Error& e) {
    return Status::fromError(e);
  }
}

void cudaNotAvailable(const std::string& what) {
  throw Error(1, what + ": the tensor is in CUDA device memory; dlc reads only host tensors here");
}

}  // namespace api
}  // namespace dlc
