#include "frontend/dsl/Parser.h"

#include <algorithm>

#include "frontend/dsl/Lexer.h"

namespace dlc::dsl {

const char* spelling(BinOp op) {
  switch (op) {
    case BinOp::Add: return "+";
    case BinOp::Sub: return "-";
    case BinOp::Mul: return "*";
    case BinOp::Div: return "/";
    case BinOp::Mod: return "%";
    case BinOp::Pow: return "**";
    case BinOp::MatMul: return "@";
    case BinOp::Eq: return "==";
    case BinOp::Ne: return "!=";
    case BinOp::Lt: return "<";
    case BinOp::Le: return "<=";
    case BinOp::Gt: return ">";
    case BinOp::Ge: return ">=";
  }
  return "?";
}

namespace {

// Thrown nowhere: a syntax error sets `failed_`, the statement's parser
// returns early, and parseStatements skips to the next statement.
class Parser {
 public:
  Parser(std::vector<Token> tokens, Diagnostics& diags) : toks_(std::move(tokens)), diags_(diags) {}

  File run() {
    File file;
    while (!at(Tok::Eof) && !diags_.full()) {
      if (at(Tok::Newline) || at(Tok::Semi)) {
        ++pos_;
        continue;
      }
      if (at(Tok::RBrace)) {
        error(cur().loc, "unexpected '}': no block is open");
        failed_ = false;
        ++pos_;
        continue;
      }
      StmtPtr s = statement(Context::Top);
      finishStatement(s, file.stmts);
    }
    return file;
  }

 private:
  enum class Context { Top, Fn, Train };

  const Token& cur() const { return toks_[pos_]; }
  bool at(Tok k) const { return cur().kind == k; }
  const Token& take() {
    const Token& t = toks_[pos_];
    if (t.kind != Tok::Eof) ++pos_;
    return t;
  }
  bool accept(Tok k) {
    if (!at(k)) return false;
    ++pos_;
    return true;
  }

  void error(SourceLoc loc, const std::string& message) {
    if (failed_) return;  // one error a statement: the rest would be noise
    failed_ = true;
    diags_.error(loc, message);
  }
  // Requires `k`; reports "expected WHAT" otherwise.
  bool expect(Tok k, const std::string& what) {
    if (accept(k)) return true;
    error(cur().loc, "expected " + what + ", found " + describe(cur()));
    return false;
  }
  bool atStatementEnd() const {
    return at(Tok::Newline) || at(Tok::Semi) || at(Tok::Eof) || at(Tok::RBrace);
  }

  // After a statement: it must end here; on an error skip to the next
  // statement (a newline or ';', or a '}' that closes the block).
  void finishStatement(StmtPtr& s, std::vector<StmtPtr>& into) {
    if (!failed_ && !atStatementEnd()) {
      if (isCompare(cur().kind))
        error(cur().loc, "comparisons do not chain; use parentheses");
      else
        error(cur().loc, "expected the end of the statement (a newline or ';'), found " + describe(cur()));
    }
    if (failed_) {
      while (!at(Tok::Eof) && !at(Tok::Newline) && !at(Tok::Semi) && !at(Tok::RBrace)) ++pos_;
      failed_ = false;
    }
    if (s) into.push_back(std::move(s));
  }

  static bool isCompare(Tok k) {
    return k == Tok::EqEq || k == Tok::NotEq || k == Tok::Lt || k == Tok::Le || k == Tok::Gt || k == Tok::Ge;
  }
  static bool isName(Tok k) { return k == Tok::Ident || k == Tok::Name; }

  StmtPtr make(Stmt::Kind kind, SourceLoc loc) {
    auto s = std::make_unique<Stmt>();
    s->kind = kind, s->loc = loc;
    return s;
  }

  // A NAME (dots allowed) or an IDENT (`identOnly`).
  bool name(Stmt& s, bool identOnly, const std::string& what) {
    if (at(Tok::Ident) || (!identOnly && at(Tok::Name))) {
      s.name = cur().text, s.nameLoc = cur().loc;
      ++pos_;
      return true;
    }
    if (identOnly && at(Tok::Name)) {
      error(cur().loc, what + " is an identifier without dots; '" + cur().text + "' has dots");
      return false;
    }
    error(cur().loc, "expected " + what + ", found " + describe(cur()) +
                         (cur().kind >= Tok::KwModel && cur().kind <= Tok::KwFloat ? " (a keyword)" : ""));
    return false;
  }

  StmtPtr statement(Context ctx) {
    SourceLoc loc = cur().loc;
    switch (cur().kind) {
      case Tok::KwModel:
      case Tok::KwOpset:
      case Tok::KwSeed: {
        if (ctx != Context::Top) return misplaced(ctx);
        Tok k = take().kind;
        auto s = make(k == Tok::KwModel ? Stmt::Kind::Model : k == Tok::KwOpset ? Stmt::Kind::Opset : Stmt::Kind::Seed, loc);
        if (k == Tok::KwModel) {
          name(*s, true, "the model's name");
        } else if (at(Tok::Int)) {
          s->intValue = cur().intValue, s->nameLoc = cur().loc;
          ++pos_;
        } else {
          error(cur().loc, "expected an integer after '" + std::string(k == Tok::KwOpset ? "opset" : "seed") +
                               "', found " + describe(cur()));
        }
        return s;
      }
      case Tok::KwConst: {
        if (ctx == Context::Train) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Const, loc);
        if (!name(*s, true, "the constant's name")) return s;
        if (!expect(Tok::Assign, "'='")) return s;
        s->value = expr();
        return s;
      }
      case Tok::KwInput: {
        if (ctx != Context::Top) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Input, loc);
        if (!name(*s, false, "the input's name")) return s;
        if (!expect(Tok::Colon, "':' and the input's type")) return s;
        type(s->type);
        return s;
      }
      case Tok::KwParam: {
        if (ctx == Context::Train) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Param, loc);
        if (!name(*s, false, "the parameter's name")) return s;
        if (!expect(Tok::Colon, "':' and the parameter's type")) return s;
        if (!type(s->type)) return s;
        if (accept(Tok::Assign)) s->value = initializer();
        return s;
      }
      case Tok::KwFn:
        if (ctx != Context::Top) return misplaced(ctx);
        return function();
      case Tok::KwLet: {
        if (ctx == Context::Train) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Let, loc);
        do {
          if (!at(Tok::Ident)) {
            error(cur().loc, "expected a name to bind after 'let', found " + describe(cur()) +
                                 (at(Tok::Name) ? " (a let binding's name has no dots)" : ""));
            return s;
          }
          s->names.push_back(cur().text), s->nameLocs.push_back(cur().loc);
          ++pos_;
        } while (accept(Tok::Comma));
        if (!expect(Tok::Assign, "'='")) return s;
        s->value = expr();
        return s;
      }
      case Tok::KwReturn: {
        if (ctx != Context::Fn) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Return, loc);
        do {
          ExprPtr e = expr();
          if (!e) return s;
          s->values.push_back(std::move(e));
        } while (accept(Tok::Comma));
        return s;
      }
      case Tok::KwOutput: {
        if (ctx != Context::Top) return misplaced(ctx);
        ++pos_;
        auto s = make(Stmt::Kind::Output, loc);
        if (!name(*s, false, "the output's name")) return s;
        if (accept(Tok::Assign)) s->value = expr();
        return s;
      }
      case Tok::KwTrain:
        if (ctx != Context::Top) return misplaced(ctx);
        return trainBlock();
      case Tok::Ident:
      case Tok::Name:
        if (ctx == Context::Train) return trainStatement();
        [[fallthrough]];
      default:
        break;
    }
    if (ctx == Context::Fn)
      error(loc, "expected a statement of a function ('let', 'param', 'const' or 'return'), found " + describe(cur()));
    else if (isName(cur().kind) && toks_[pos_ + 1].kind == Tok::Assign)
      error(loc, "expected a statement, found " + describe(cur()) + "; a binding is written 'let " + cur().text + " = ...'");
    else
      error(loc, "expected a statement, found " + describe(cur()));
    return nullptr;
  }

  StmtPtr misplaced(Context ctx) {
    std::string where = ctx == Context::Fn ? "inside a function" : ctx == Context::Train ? "inside 'train { }'"
                                                                                       : "at the top level";
    error(cur().loc, describe(cur()) + " is not allowed " + where);
    return nullptr;
  }

  StmtPtr function() {
    auto s = make(Stmt::Kind::Fn, cur().loc);
    ++pos_;
    if (!name(*s, true, "the function's name")) return s;
    if (!expect(Tok::LParen, "'(' and the function's parameters")) return s;
    if (!at(Tok::RParen)) {
      do {
        FnParam p;
        if (!at(Tok::Ident)) {
          error(cur().loc, "expected a parameter name, found " + describe(cur()));
          return s;
        }
        p.name = cur().text, p.loc = cur().loc;
        ++pos_;
        if (accept(Tok::Colon)) {
          if (accept(Tok::KwInt)) p.kind = FnParam::Kind::Int;
          else if (accept(Tok::KwFloat)) p.kind = FnParam::Kind::Float;
          else {
            error(cur().loc, "expected 'int' or 'float' (a tensor parameter has no annotation), found " + describe(cur()));
            return s;
          }
        }
        s->params.push_back(p);
      } while (accept(Tok::Comma));
    }
    if (!expect(Tok::RParen, "')' or ','")) return s;
    block(*s, Context::Fn, "fn " + s->name);
    return s;
  }

  StmtPtr trainBlock() {
    auto s = make(Stmt::Kind::Train, cur().loc);
    ++pos_;
    block(*s, Context::Train, "train");
    return s;
  }

  // "{" { statement } "}": the statements go to s.body.
  void block(Stmt& s, Context ctx, const std::string& what) {
    while (at(Tok::Newline)) ++pos_;
    if (!expect(Tok::LBrace, "'{'")) return;
    for (;;) {
      if (diags_.full()) return;
      if (at(Tok::Newline) || at(Tok::Semi)) {
        ++pos_;
        continue;
      }
      if (accept(Tok::RBrace)) return;
      if (at(Tok::Eof)) {
        error(s.loc, "the block of '" + what + "' is not closed (a '}' is missing)");
        return;
      }
      StmtPtr inner = statement(ctx);
      finishStatement(inner, s.body);
    }
  }

  StmtPtr trainStatement() {
    auto s = make(Stmt::Kind::Setting, cur().loc);
    s->name = cur().text, s->nameLoc = cur().loc;
    bool dotted = at(Tok::Name);
    ++pos_;
    if (accept(Tok::Colon)) {
      s->kind = Stmt::Kind::Label;
      type(s->type);
      return s;
    }
    if (dotted) {
      error(s->nameLoc, "expected ':' and a label's type after '" + s->name + "'");
      return s;
    }
    if (!expect(Tok::Assign, "'=' (a setting) or ':' (a label input)")) return s;
    s->value = expr();
    return s;
  }

  bool type(Type& t) {
    if (!at(Tok::DType)) {
      error(cur().loc, "expected an element type (f32, f16, bf16, f64, i64, i32, i8, bool), found " + describe(cur()));
      return false;
    }
    t.dtype = cur().text, t.loc = cur().loc;
    ++pos_;
    if (!expect(Tok::LBracket, "'[' and the dimensions (an empty list for a scalar)")) return false;
    if (accept(Tok::RBracket)) return true;
    do {
      ExprPtr e = expr();
      if (!e) return false;
      t.dims.push_back(std::move(e));
    } while (accept(Tok::Comma));
    return expect(Tok::RBracket, "']' or ','");
  }

  // IDENT [ "(" [ args ] ")" ]: a Name or a Call expression.
  ExprPtr initializer() {
    if (!at(Tok::Ident)) {
      error(cur().loc, "expected an initialiser (zeros, ones, constant, normal, uniform, xavier, kaiming, load), found " +
                           describe(cur()));
      return nullptr;
    }
    auto e = std::make_unique<Expr>();
    e->kind = Expr::Kind::Name, e->text = cur().text, e->loc = cur().loc;
    ++pos_;
    if (accept(Tok::LParen)) {
      e->kind = Expr::Kind::Call;
      if (!arguments(*e)) return nullptr;
    }
    return e;
  }

  // --- expressions -------------------------------------------------------

  ExprPtr node(Expr::Kind kind, SourceLoc loc) {
    auto e = std::make_unique<Expr>();
    e->kind = kind, e->loc = loc;
    return e;
  }
  // Sets e's depth from its children; false (and an error) past the cap.
  bool sized(Expr& e) {
    int d = 0;
    for (const auto& a : e.args) d = std::max(d, a->depth);
    for (const auto& k : e.kwargs) d = std::max(d, k.value->depth);
    e.depth = d + 1;
    if (e.depth <= kMaxExprDepth) return true;
    error(e.loc, "the expression is nested too deeply (more than " + std::to_string(kMaxExprDepth) + " levels)");
    return false;
  }

  // Guards the recursion of the expression parser itself.
  struct DepthGuard {
    Parser& p;
    bool ok;
    explicit DepthGuard(Parser& parser) : p(parser), ok(++p.depth_ <= kMaxExprDepth) {
      if (!ok) p.error(p.cur().loc, "the expression is nested too deeply (more than " +
                                        std::to_string(kMaxExprDepth) + " levels)");
    }
    ~DepthGuard() { --p.depth_; }
  };

  ExprPtr expr() {
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    ExprPtr lhs = additive();
    if (!lhs || !isCompare(cur().kind)) return lhs;
    static const std::pair<Tok, BinOp> ops[] = {{Tok::EqEq, BinOp::Eq}, {Tok::NotEq, BinOp::Ne},
                                                {Tok::Lt, BinOp::Lt},   {Tok::Le, BinOp::Le},
                                                {Tok::Gt, BinOp::Gt},   {Tok::Ge, BinOp::Ge}};
    BinOp op = BinOp::Eq;
    for (const auto& [t, o] : ops)
      if (at(t)) op = o;
    SourceLoc loc = take().loc;
    ExprPtr rhs = additive();
    return binary(op, loc, std::move(lhs), std::move(rhs));
  }

  ExprPtr binary(BinOp op, SourceLoc loc, ExprPtr lhs, ExprPtr rhs) {
    if (!lhs || !rhs) return nullptr;
    auto e = node(Expr::Kind::Binary, loc);
    e->op = op;
    e->args.push_back(std::move(lhs));
    e->args.push_back(std::move(rhs));
    if (!sized(*e)) return nullptr;
    return e;
  }

  ExprPtr additive() {
    ExprPtr lhs = term();
    while (lhs && (at(Tok::Plus) || at(Tok::Minus))) {
      BinOp op = at(Tok::Plus) ? BinOp::Add : BinOp::Sub;
      SourceLoc loc = take().loc;
      lhs = binary(op, loc, std::move(lhs), term());
    }
    return lhs;
  }

  ExprPtr term() {
    ExprPtr lhs = unary();
    while (lhs && (at(Tok::Star) || at(Tok::Slash) || at(Tok::Percent) || at(Tok::At))) {
      BinOp op = at(Tok::Star) ? BinOp::Mul : at(Tok::Slash) ? BinOp::Div : at(Tok::Percent) ? BinOp::Mod : BinOp::MatMul;
      SourceLoc loc = take().loc;
      lhs = binary(op, loc, std::move(lhs), unary());
    }
    return lhs;
  }

  ExprPtr unary() {
    if (!at(Tok::Minus)) return power();
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    SourceLoc loc = take().loc;
    ExprPtr operand = unary();
    if (!operand) return nullptr;
    auto e = node(Expr::Kind::Neg, loc);
    e->args.push_back(std::move(operand));
    if (!sized(*e)) return nullptr;
    return e;
  }

  ExprPtr power() {
    ExprPtr base = postfix();
    if (!base || !at(Tok::StarStar)) return base;
    DepthGuard guard(*this);
    if (!guard.ok) return nullptr;
    SourceLoc loc = take().loc;
    return binary(BinOp::Pow, loc, std::move(base), unary());
  }

  ExprPtr postfix() {
    ExprPtr e = primary();
    if (!e || !at(Tok::KwAs)) return e;
    SourceLoc asLoc = take().loc;
    if (e->kind != Expr::Kind::Call) {
      error(asLoc, "'as' names the parameters of a function call; it must follow a call");
      return nullptr;
    }
    if (!at(Tok::Ident)) {
      error(cur().loc, "expected a prefix name after 'as', found " + describe(cur()) +
                           (at(Tok::Name) ? " (the prefix is one identifier; calls nest the prefixes)" : ""));
      return nullptr;
    }
    e->asName = cur().text, e->asLoc = asLoc;
    ++pos_;
    return e;
  }

  ExprPtr primary() {
    const Token& t = cur();
    switch (t.kind) {
      case Tok::Int: {
        auto e = node(Expr::Kind::Int, t.loc);
        e->intValue = t.intValue, e->text = t.text;
        ++pos_;
        return e;
      }
      case Tok::Float: {
        auto e = node(Expr::Kind::Float, t.loc);
        e->floatValue = t.floatValue, e->text = t.text;
        ++pos_;
        return e;
      }
      case Tok::String: {
        auto e = node(Expr::Kind::String, t.loc);
        e->text = t.text;
        ++pos_;
        return e;
      }
      case Tok::DType: {
        auto e = node(Expr::Kind::DType, t.loc);
        e->text = t.text;
        ++pos_;
        return e;
      }
      case Tok::Ident:
      case Tok::Name: {
        auto e = node(Expr::Kind::Name, t.loc);
        e->text = t.text;
        ++pos_;
        if (accept(Tok::LParen)) {
          e->kind = Expr::Kind::Call;
          if (!arguments(*e) || !sized(*e)) return nullptr;
        }
        return e;
      }
      case Tok::LParen: {
        ++pos_;
        ExprPtr inner = expr();
        if (!inner) return nullptr;
        if (!expect(Tok::RParen, "')'")) return nullptr;
        return inner;
      }
      case Tok::LBracket: {
        auto e = node(Expr::Kind::List, t.loc);
        ++pos_;
        if (!accept(Tok::RBracket)) {
          do {
            ExprPtr item = expr();
            if (!item) return nullptr;
            e->args.push_back(std::move(item));
          } while (accept(Tok::Comma));
          if (!expect(Tok::RBracket, "']' or ','")) return nullptr;
        }
        if (!sized(*e)) return nullptr;
        return e;
      }
      default:
        error(t.loc, "expected an expression, found " + describe(t) +
                         (t.kind >= Tok::KwModel && t.kind <= Tok::KwFloat ? " (a keyword)" : ""));
        return nullptr;
    }
  }

  // After "(": [ args ] ")". Positional arguments come first.
  bool arguments(Expr& call) {
    if (accept(Tok::RParen)) return true;
    do {
      if (at(Tok::Ident) && toks_[pos_ + 1].kind == Tok::Assign) {
        KwArg k;
        k.name = cur().text, k.loc = cur().loc;
        pos_ += 2;
        for (const KwArg& other : call.kwargs)
          if (other.name == k.name) {
            error(k.loc, "keyword argument '" + k.name + "' is given twice");
            return false;
          }
        k.value = expr();
        if (!k.value) return false;
        call.kwargs.push_back(std::move(k));
      } else {
        SourceLoc loc = cur().loc;
        ExprPtr e = expr();
        if (!e) return false;
        if (!call.kwargs.empty()) {
          error(loc, "a positional argument cannot follow keyword arguments");
          return false;
        }
        call.args.push_back(std::move(e));
      }
    } while (accept(Tok::Comma));
    return expect(Tok::RParen, "')' or ','");
  }

  std::vector<Token> toks_;
  Diagnostics& diags_;
  size_t pos_ = 0;
  int depth_ = 0;
  bool failed_ = false;
};

}  // namespace

File parse(const std::string& source, Diagnostics& diags) {
  return Parser(lex(source, diags), diags).run();
}

}  // namespace dlc::dsl
