// The DSL's tokens (docs/dsl.md "Lexical structure"). Newlines inside ( )
// and [ ] are dropped here, so the parser sees statement ends only where
// they end a statement.
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include "frontend/dsl/Diagnostics.h"

namespace dlc::dsl {

enum class Tok {
  Eof, Newline, Semi,
  Ident,   // an identifier
  Name,    // identifiers joined by dots: conv1.w
  Int, Float, String,
  DType,   // f32 f16 bf16 f64 i64 i32 i8 bool
  // Keywords.
  KwModel, KwOpset, KwSeed, KwConst, KwInput, KwParam, KwFn, KwLet, KwReturn, KwOutput, KwTrain,
  KwAs, KwInt, KwFloat,
  // Operators and punctuation.
  Plus, Minus, Star, Slash, Percent, StarStar, At, EqEq, NotEq, Lt, Le, Gt, Ge,
  LParen, RParen, LBracket, RBracket, LBrace, RBrace, Comma, Colon, Assign,
};

struct Token {
  Tok kind = Tok::Eof;
  std::string text;  // identifiers, names, keywords, dtypes: as written; strings: the value
  SourceLoc loc;
  int64_t intValue = 0;
  double floatValue = 0;
};

// How a token kind is spelled in messages ("'('", "a newline", "an identifier").
std::string describe(Tok kind);
std::string describe(const Token& t);

// Splits `source` into tokens ending with Eof. Bad characters, unterminated
// strings and out-of-range numbers are reported to `diags` and skipped.
std::vector<Token> lex(const std::string& source, Diagnostics& diags);

}  // namespace dlc::dsl
