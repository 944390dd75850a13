#include "frontend/dsl/Diagnostics.h"

namespace dlc::dsl {

namespace {

// The text of 1-based line `line`, without its end of line.
std::string sourceLine(const std::string& source, int line) {
  size_t begin = 0;
  for (int l = 1; l < line; ++l) {
    begin = source.find('\n', begin);
    if (begin == std::string::npos) return {};
    ++begin;
  }
  size_t end = source.find('\n', begin);
  std::string text = source.substr(begin, end == std::string::npos ? std::string::npos : end - begin);
  if (!text.empty() && text.back() == '\r') text.pop_back();
  return text;
}

}  // namespace

std::string formatDiagnostic(const std::string& source, const std::string& name, SourceLoc loc,
                             const std::string& message) {
  std::string out = name + ":" + std::to_string(loc.line) + ":" + std::to_string(loc.col) +
                    ": error: " + message;
  if (loc.line < 1 || loc.col < 1) return out;
  std::string line = sourceLine(source, loc.line);
  // Control bytes would garble a terminal; they are shown as '?' (one byte
  // for one byte, so the caret stays under its column).
  for (char& c : line)
    if ((static_cast<unsigned char>(c) < 0x20 && c != '\t') || c == 0x7f) c = '?';
  std::string caret;
  for (int i = 0; i + 1 < loc.col && i < static_cast<int>(line.size()); ++i)
    caret += line[i] == '\t' ? '\t' : ' ';
  while (static_cast<int>(caret.size()) + 1 < loc.col) caret += ' ';
  return out + "\n" + line + "\n" + caret + "^";
}

void Diagnostics::error(SourceLoc loc, const std::string& message) {
  // A function expanded at several calls would repeat its body's errors.
  std::string text = formatDiagnostic(source_, name_, loc, message);
  for (const std::string& e : errors_)
    if (e == text) return;
  ++count_;
  if (count_ > kMaxErrors) {
    truncated_ = true;
    return;
  }
  errors_.push_back(std::move(text));
}

std::string Diagnostics::text() const {
  std::string out;
  for (const std::string& e : errors_) out += (out.empty() ? "" : "\n") + e;
  if (truncated_ || count_ >= kMaxErrors)
    out += "\n" + name_ + ": note: stopped after " + std::to_string(kMaxErrors) + " errors";
  return out;
}

}  // namespace dlc::dsl
