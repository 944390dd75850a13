// Diagnostics of the model DSL: "NAME:LINE:COL: error: MESSAGE", the source
// line and a caret under the column (docs/dsl.md "Errors").
#pragma once

#include <string>
#include <vector>

#include "frontend/dsl/Dsl.h"

namespace dlc::dsl {

// One diagnostic in the house format; `loc` outside the source prints the
// header line only.
std::string formatDiagnostic(const std::string& source, const std::string& name, SourceLoc loc,
                             const std::string& message);

// Collects the errors of one translation, up to a limit: past it the parser
// and the translator stop (one run reports at most kMaxErrors).
class Diagnostics {
 public:
  static constexpr int kMaxErrors = 20;

  Diagnostics(const std::string& source, std::string name) : source_(source), name_(std::move(name)) {}

  void error(SourceLoc loc, const std::string& message);
  int count() const { return count_; }
  bool full() const { return count_ >= kMaxErrors; }
  // Every error, in the order reported, one block each.
  std::string text() const;
  const std::string& name() const { return name_; }

 private:
  const std::string& source_;
  std::string name_;
  std::vector<std::string> errors_;
  int count_ = 0;
  bool truncated_ = false;
};

}  // namespace dlc::dsl
