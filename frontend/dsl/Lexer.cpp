#include "frontend/dsl/Lexer.h"

#include <cerrno>
#include <cstdlib>
#include <map>

namespace dlc::dsl {

namespace {

bool isIdentStart(char c) { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_'; }
bool isDigit(char c) { return c >= '0' && c <= '9'; }
bool isIdentChar(char c) { return isIdentStart(c) || isDigit(c); }

const std::map<std::string, Tok>& keywords() {
  static const std::map<std::string, Tok> k = {
      {"model", Tok::KwModel},   {"opset", Tok::KwOpset}, {"seed", Tok::KwSeed},
      {"const", Tok::KwConst},   {"input", Tok::KwInput}, {"param", Tok::KwParam},
      {"fn", Tok::KwFn},         {"let", Tok::KwLet},     {"return", Tok::KwReturn},
      {"output", Tok::KwOutput}, {"train", Tok::KwTrain}, {"as", Tok::KwAs},
      {"int", Tok::KwInt},       {"float", Tok::KwFloat},
      {"f32", Tok::DType},       {"f16", Tok::DType},     {"bf16", Tok::DType},
      {"f64", Tok::DType},       {"i64", Tok::DType},     {"i32", Tok::DType},
      {"i8", Tok::DType},        {"bool", Tok::DType},
  };
  return k;
}

class Lexer {
 public:
  Lexer(const std::string& src, Diagnostics& diags) : src_(src), diags_(diags) {}

  std::vector<Token> run() {
    while (pos_ < src_.size()) {
      char c = src_[pos_];
      if (c == '\n') {
        // A newline ends a statement unless it is inside ( ) or [ ].
        if (open_.empty() || open_.back() == '{') push(Tok::Newline, "\n", here());
        advance();
      } else if (c == ' ' || c == '\t' || c == '\r') {
        advance();
      } else if (c == '#') {
        while (pos_ < src_.size() && src_[pos_] != '\n') advance();
      } else if (isIdentStart(c)) {
        identifier();
      } else if (isDigit(c) || (c == '.' && pos_ + 1 < src_.size() && isDigit(src_[pos_ + 1]))) {
        number();
      } else if (c == '"') {
        string();
      } else {
        punctuation();
      }
    }
    push(Tok::Newline, "\n", here());
    push(Tok::Eof, "", here());
    return std::move(tokens_);
  }

 private:
  SourceLoc here() const { return {line_, col_}; }
  void advance() {
    if (src_[pos_] == '\n') ++line_, col_ = 1;
    else ++col_;
    ++pos_;
  }
  char peek(size_t ahead = 0) const { return pos_ + ahead < src_.size() ? src_[pos_ + ahead] : '\0'; }
  void push(Tok kind, std::string text, SourceLoc loc) {
    Token t;
    t.kind = kind, t.text = std::move(text), t.loc = loc;
    tokens_.push_back(std::move(t));
    lastEnd_ = here();
  }

  void identifier() {
    SourceLoc loc = here();
    size_t begin = pos_;
    bool dotted = false;
    for (;;) {
      while (isIdentChar(peek())) advance();
      // A dot joins identifiers into a name only when one follows directly.
      if (peek() == '.' && isIdentStart(peek(1))) {
        dotted = true;
        advance();
        continue;
      }
      break;
    }
    std::string text = src_.substr(begin, pos_ - begin);
    if (dotted) return push(Tok::Name, text, loc);
    auto it = keywords().find(text);
    // A statement keyword first on its line while a ( or [ is still open:
    // the bracket was never closed. Closing it here keeps one missing ')'
    // from swallowing the rest of the file into one statement.
    if (it != keywords().end() && startsStatement(it->second) && firstOnLine(begin) && !open_.empty() &&
        open_.back() != '{') {
      while (!open_.empty() && open_.back() != '{') open_.pop_back();
      push(Tok::Newline, "\n", lastEnd_);
    }
    push(it == keywords().end() ? Tok::Ident : it->second, text, loc);
  }

  void number() {
    SourceLoc loc = here();
    size_t begin = pos_;
    bool isFloat = false;
    while (isDigit(peek())) advance();
    if (peek() == '.') {
      isFloat = true;
      advance();
      while (isDigit(peek())) advance();
    }
    if (peek() == 'e' || peek() == 'E') {
      size_t save = pos_;
      int saveCol = col_;
      advance();
      if (peek() == '+' || peek() == '-') advance();
      if (!isDigit(peek())) {
        pos_ = save, col_ = saveCol;
        diags_.error(here(), "a number's exponent needs digits");
        advance();
      } else {
        isFloat = true;
        while (isDigit(peek())) advance();
      }
    }
    std::string text = src_.substr(begin, pos_ - begin);
    if (isIdentStart(peek())) {
      diags_.error(here(), "'" + std::string(1, peek()) + "' cannot follow a number");
      while (isIdentChar(peek())) advance();
    }
    Token t;
    t.loc = loc, t.text = text;
    errno = 0;
    if (isFloat) {
      t.kind = Tok::Float;
      t.floatValue = std::strtod(text.c_str(), nullptr);
      if (errno == ERANGE && (t.floatValue > 1 || t.floatValue < -1)) {
        diags_.error(loc, "the number " + text + " is out of range");
        t.floatValue = 0;
      }
    } else {
      t.kind = Tok::Int;
      t.intValue = std::strtoll(text.c_str(), nullptr, 10);
      if (errno == ERANGE) {
        diags_.error(loc, "the integer " + text + " does not fit in 64 bits");
        t.intValue = 0;
      }
    }
    tokens_.push_back(std::move(t));
    lastEnd_ = here();
  }

  void string() {
    SourceLoc loc = here();
    advance();
    std::string value;
    for (;;) {
      char c = peek();
      if (pos_ >= src_.size() || c == '\n') {
        diags_.error(loc, "the string does not end on its line (a '\"' is missing)");
        break;
      }
      if (c == '"') {
        advance();
        break;
      }
      if (c == '\\') {
        SourceLoc escLoc = here();
        advance();
        char e = peek();
        if (e == '"' || e == '\\') {
          value += e;
          advance();
        } else {
          diags_.error(escLoc, "unknown escape in a string (only \\\" and \\\\)");
        }
        continue;
      }
      value += c;
      advance();
    }
    push(Tok::String, value, loc);
  }

  void punctuation() {
    SourceLoc loc = here();
    char c = peek(), n = peek(1);
    auto two = [&](Tok kind, const char* text) {
      advance(), advance();
      push(kind, text, loc);
    };
    auto one = [&](Tok kind) {
      advance();
      push(kind, std::string(1, c), loc);
    };
    switch (c) {
      case '*': return n == '*' ? two(Tok::StarStar, "**") : one(Tok::Star);
      case '=': return n == '=' ? two(Tok::EqEq, "==") : one(Tok::Assign);
      case '!':
        if (n == '=') return two(Tok::NotEq, "!=");
        break;
      case '<': return n == '=' ? two(Tok::Le, "<=") : one(Tok::Lt);
      case '>': return n == '=' ? two(Tok::Ge, ">=") : one(Tok::Gt);
      case '+': return one(Tok::Plus);
      case '-': return one(Tok::Minus);
      case '/': return one(Tok::Slash);
      case '%': return one(Tok::Percent);
      case '@': return one(Tok::At);
      case ',': return one(Tok::Comma);
      case ':': return one(Tok::Colon);
      case ';': return one(Tok::Semi);
      case '(': open_.push_back('('); return one(Tok::LParen);
      case '[': open_.push_back('['); return one(Tok::LBracket);
      case '{': open_.push_back('{'); return one(Tok::LBrace);
      case ')': close('('); return one(Tok::RParen);
      case ']': close('['); return one(Tok::RBracket);
      case '}':
        // A block's end also closes whatever was left open inside it.
        while (!open_.empty() && open_.back() != '{') open_.pop_back();
        if (!open_.empty()) open_.pop_back();
        return one(Tok::RBrace);
      default:
        break;
    }
    unsigned char u = static_cast<unsigned char>(c);
    std::string shown = (u >= 0x20 && u < 0x7f) ? "'" + std::string(1, c) + "'" : "byte " + std::to_string(u);
    diags_.error(loc, "unexpected character " + shown);
    advance();
  }

  static bool startsStatement(Tok k) {
    return k == Tok::KwModel || k == Tok::KwOpset || k == Tok::KwSeed || k == Tok::KwConst || k == Tok::KwInput ||
           k == Tok::KwParam || k == Tok::KwFn || k == Tok::KwLet || k == Tok::KwReturn || k == Tok::KwOutput ||
           k == Tok::KwTrain;
  }
  bool firstOnLine(size_t at) const {
    while (at > 0 && (src_[at - 1] == ' ' || src_[at - 1] == '\t')) --at;
    return at == 0 || src_[at - 1] == '\n';
  }

  // Closes the innermost `opener` unless a block is in the way.
  void close(char opener) {
    for (size_t i = open_.size(); i-- > 0;) {
      if (open_[i] == '{') return;
      if (open_[i] == opener) return open_.resize(i);
    }
  }

  const std::string& src_;
  Diagnostics& diags_;
  std::vector<Token> tokens_;
  std::vector<char> open_;  // the brackets open at this point
  size_t pos_ = 0;
  int line_ = 1, col_ = 1;
  SourceLoc lastEnd_{1, 1};  // just after the last token
};

}  // namespace

std::string describe(Tok kind) {
  switch (kind) {
    case Tok::Eof: return "the end of the file";
    case Tok::Newline: return "the end of the line";
    case Tok::Semi: return "';'";
    case Tok::Ident: return "an identifier";
    case Tok::Name: return "a name";
    case Tok::Int: return "an integer";
    case Tok::Float: return "a number";
    case Tok::String: return "a string";
    case Tok::DType: return "an element type";
    case Tok::KwModel: return "'model'";
    case Tok::KwOpset: return "'opset'";
    case Tok::KwSeed: return "'seed'";
    case Tok::KwConst: return "'const'";
    case Tok::KwInput: return "'input'";
    case Tok::KwParam: return "'param'";
    case Tok::KwFn: return "'fn'";
    case Tok::KwLet: return "'let'";
    case Tok::KwReturn: return "'return'";
    case Tok::KwOutput: return "'output'";
    case Tok::KwTrain: return "'train'";
    case Tok::KwAs: return "'as'";
    case Tok::KwInt: return "'int'";
    case Tok::KwFloat: return "'float'";
    case Tok::Plus: return "'+'";
    case Tok::Minus: return "'-'";
    case Tok::Star: return "'*'";
    case Tok::Slash: return "'/'";
    case Tok::Percent: return "'%'";
    case Tok::StarStar: return "'**'";
    case Tok::At: return "'@'";
    case Tok::EqEq: return "'=='";
    case Tok::NotEq: return "'!='";
    case Tok::Lt: return "'<'";
    case Tok::Le: return "'<='";
    case Tok::Gt: return "'>'";
    case Tok::Ge: return "'>='";
    case Tok::LParen: return "'('";
    case Tok::RParen: return "')'";
    case Tok::LBracket: return "'['";
    case Tok::RBracket: return "']'";
    case Tok::LBrace: return "'{'";
    case Tok::RBrace: return "'}'";
    case Tok::Comma: return "','";
    case Tok::Colon: return "':'";
    case Tok::Assign: return "'='";
  }
  return "a token";
}

std::string describe(const Token& t) {
  switch (t.kind) {
    case Tok::Ident:
    case Tok::Name:
    case Tok::Int:
    case Tok::Float:
    case Tok::DType:
      return "'" + t.text + "'";
    default:
      return describe(t.kind);
  }
}

std::vector<Token> lex(const std::string& source, Diagnostics& diags) {
  return Lexer(source, diags).run();
}

}  // namespace dlc::dsl
