// Recursive-descent parser of the DSL (docs/dsl.md "Grammar"). On a syntax
// error it reports, skips to the next statement and goes on, so that one run
// shows every syntax error (up to Diagnostics::kMaxErrors).
#pragma once

#include <string>

#include "frontend/dsl/Ast.h"
#include "frontend/dsl/Diagnostics.h"

namespace dlc::dsl {

// The deepest expression nesting accepted; deeper is an error, so that no
// input makes the parser or the translator recurse without bound.
constexpr int kMaxExprDepth = 200;

// Parses `source`; errors go to `diags`. The tree holds whatever parsed.
File parse(const std::string& source, Diagnostics& diags);

}  // namespace dlc::dsl
