// Errors: dlc::Error (thrown) and dlc::Status (returned by the try*
// variants of loading, compiling and running, for code without exceptions).
// Both carry the exit code the dlc tool uses for the same failure and the
// message it prints:
//   1  a problem with the caller's input (a model, a flag, a tensor);
//   2  an internal error (a bug in dlc).
#pragma once

#include <exception>
#include <string>

#include "dlc/Export.h"

namespace dlc {

class DLC_API Error : public std::exception {
 public:
  Error(int code, std::string message);
  ~Error() override;
  // 1: the caller's input, 2: internal (see above).
  int code() const noexcept { return code_; }
  // The complete message: "FILE: node 'NAME' (Op, opset N): reason", or
  // several "FILE:LINE:COL: error: ..." diagnostics for a DSL model.
  const char* what() const noexcept override;
  const std::string& message() const noexcept { return message_; }

 private:
  int code_;
  std::string message_;
};

// The outcome of a try* function: ok, or the code and message of the Error
// the throwing variant would have thrown.
class DLC_API Status {
 public:
  Status() = default;  // ok
  Status(int code, std::string message) : code_(code), message_(std::move(message)) {}
  static Status fromError(const Error& e) { return Status(e.code(), e.message()); }

  bool ok() const { return code_ == 0; }
  explicit operator bool() const { return ok(); }
  // 0 when ok, else as Error::code().
  int code() const { return code_; }
  const std::string& message() const { return message_; }
  // Throws the equivalent Error if not ok.
  void throwIfError() const;

 private:
  int code_ = 0;
  std::string message_;
};

}  // namespace dlc
