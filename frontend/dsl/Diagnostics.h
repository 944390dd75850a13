// Diagnostics of the model DSL: "NAME:LINE:COL: error: MESSAGE", the source
// line and a caret under the column (docs/dsl.md "Errors").
#pragma once

#include <set>
#include <string>
#include <vector>

#include "frontend/dsl/Dsl.h"

namespace dlc::dsl {

// One diagnostic in the house format; `loc` outside the source prints the
// header line only.
std::string formatDiagnostic(const std::string& source, const std::string& name, SourceLoc loc,
                             const std::string& message);
// The same with the offset of the line's start known (npos: search for it).
std::string formatAt(const std::string& source, const std::string& name, SourceLoc loc, const std::string& message,
                     size_t lineBegin);

// Collects the errors of one translation, up to a limit: past it the parser
// and the translator stop (one run reports at most kMaxErrors).
class Diagnostics {
 public:
  static constexpr int kMaxErrors = 20;

  Diagnostics(const std::string& source, std::string name) : source_(source), name_(std::move(name)) {}

  void error(SourceLoc loc, const std::string& message);
  // True (and counted as a repeat) when an error was reported at `loc`
  // already: callers skip working out a message that would be dropped.
  bool repeatAt(SourceLoc loc) {
    if (!locs_.count({loc.line, loc.col})) return false;
    ++attempts_;
    return true;
  }
  int count() const { return count_; }
  // Also after many repeats of errors already shown (a function body's
  // error at each of its calls), which are not shown again.
  bool full() const { return count_ >= kMaxErrors || attempts_ >= 50 * kMaxErrors; }
  // Every error, in the order reported, one block each.
  std::string text() const;
  const std::string& name() const { return name_; }

 private:
  const std::string& source_;
  std::string name_;
  std::vector<std::string> errors_;
  std::vector<size_t> lineStarts_;
  std::set<std::pair<int, int>> locs_;  // where errors were reported  // offsets of each line's start
  int count_ = 0;
  int attempts_ = 0;
  bool truncated_ = false;
};

}  // namespace dlc::dsl
