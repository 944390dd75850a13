// The DSL's lexer, parser (precedence, associativity, recovery, limits),
// initialisers (determinism and statistics) and translation entry points.
#include <gtest/gtest.h>

#include <cmath>
#include <functional>

#include "frontend/dsl/Dsl.h"
#include "frontend/dsl/Init.h"
#include "frontend/dsl/Lexer.h"
#include "frontend/dsl/Parser.h"

#include "onnx/onnx_pb.h"

namespace dlc::dsl {
namespace {

std::vector<Token> lexOk(const std::string& src) {
  Diagnostics d(src, "t.dlc");
  auto toks = lex(src, d);
  EXPECT_EQ(d.count(), 0) << d.text();
  return toks;
}

TEST(DslLexer, TokensAndValues) {
  auto t = lexOk("conv1.w = 1.5e-3 .5 2. 42 \"a\\\"b\\\\\" f32 bool ** <= != @ # comment\n");
  std::vector<Tok> kinds;
  for (const Token& x : t) kinds.push_back(x.kind);
  std::vector<Tok> want = {Tok::Name,   Tok::Assign, Tok::Float, Tok::Float, Tok::Float, Tok::Int,
                           Tok::String, Tok::DType,  Tok::DType, Tok::StarStar, Tok::Le, Tok::NotEq,
                           Tok::At,     Tok::Newline, Tok::Newline, Tok::Eof};
  EXPECT_EQ(kinds, want);
  EXPECT_EQ(t[0].text, "conv1.w");
  EXPECT_DOUBLE_EQ(t[2].floatValue, 1.5e-3);
  EXPECT_DOUBLE_EQ(t[3].floatValue, 0.5);
  EXPECT_DOUBLE_EQ(t[4].floatValue, 2.0);
  EXPECT_EQ(t[5].intValue, 42);
  EXPECT_EQ(t[6].text, "a\"b\\");
  EXPECT_EQ(t[2].loc.line, 1);
  EXPECT_EQ(t[2].loc.col, 11);
}

TEST(DslLexer, NewlinesInsideBracketsAreDropped) {
  auto t = lexOk("f(a,\n b)\n[1,\n2]\n{\nx\n}");
  int newlines = 0;
  for (const Token& x : t) newlines += x.kind == Tok::Newline;
  // After f(...), after [...], after '{', after x, and the final one.
  EXPECT_EQ(newlines, 5);
}

TEST(DslLexer, KeywordsAreNotIdentifiers) {
  auto t = lexOk("let fn as int float model");
  EXPECT_EQ(t[0].kind, Tok::KwLet);
  EXPECT_EQ(t[1].kind, Tok::KwFn);
  EXPECT_EQ(t[2].kind, Tok::KwAs);
  EXPECT_EQ(t[3].kind, Tok::KwInt);
  EXPECT_EQ(t[4].kind, Tok::KwFloat);
  EXPECT_EQ(t[5].kind, Tok::KwModel);
}

// The expression of `let v = EXPR` in a fully parenthesised form.
std::string show(const Expr& e) {
  switch (e.kind) {
    case Expr::Kind::Int: return std::to_string(e.intValue);
    case Expr::Kind::Name: return e.text;
    case Expr::Kind::Neg: return "(-" + show(*e.args[0]) + ")";
    case Expr::Kind::Binary:
      return "(" + show(*e.args[0]) + " " + spelling(e.op) + " " + show(*e.args[1]) + ")";
    case Expr::Kind::Call: {
      std::string s = e.text + "(";
      for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + show(*e.args[i]);
      for (const KwArg& k : e.kwargs) s += ", " + k.name + "=" + show(*k.value);
      return s + ")" + (e.asName.empty() ? "" : " as " + e.asName);
    }
    case Expr::Kind::List: {
      std::string s = "[";
      for (size_t i = 0; i < e.args.size(); ++i) s += (i ? ", " : "") + show(*e.args[i]);
      return s + "]";
    }
    default: return "?";
  }
}

std::string parseExpr(const std::string& expr) {
  std::string src = "let v = " + expr;
  Diagnostics d(src, "t.dlc");
  File f = parse(src, d);
  EXPECT_EQ(d.count(), 0) << d.text();
  if (f.stmts.size() != 1 || !f.stmts[0]->value) return "<none>";
  return show(*f.stmts[0]->value);
}

TEST(DslParser, Precedence) {
  EXPECT_EQ(parseExpr("a + b * c"), "(a + (b * c))");
  EXPECT_EQ(parseExpr("a @ b + c"), "((a @ b) + c)");
  EXPECT_EQ(parseExpr("a + b < c * d"), "((a + b) < (c * d))");
  EXPECT_EQ(parseExpr("-a ** 2"), "(-(a ** 2))");
  EXPECT_EQ(parseExpr("a * -b"), "(a * (-b))");
  EXPECT_EQ(parseExpr("(a + b) % c"), "((a + b) % c)");
}

TEST(DslParser, Associativity) {
  EXPECT_EQ(parseExpr("a - b - c"), "((a - b) - c)");
  EXPECT_EQ(parseExpr("a / b * c"), "((a / b) * c)");
  EXPECT_EQ(parseExpr("a ** b ** c"), "(a ** (b ** c))");
  EXPECT_EQ(parseExpr("a ** -b"), "(a ** (-b))");
}

TEST(DslParser, CallsListsAndAs) {
  EXPECT_EQ(parseExpr("f(x, [1, 2], axis=-1) as p"), "f(x, [1, 2], axis=(-1)) as p");
  EXPECT_EQ(parseExpr("g(\n  x,\n  y\n)"), "g(x, y)");
}

int errorCount(const std::string& src, std::string* text = nullptr) {
  Diagnostics d(src, "t.dlc");
  parse(src, d);
  if (text) *text = d.text();
  return d.count();
}

TEST(DslParser, RecoversAtEachStatement) {
  std::string text;
  EXPECT_EQ(errorCount("let = 1\nlet b = 2\nlet c = (\ninput x f32[1]\nfn f( {\n}\noutput y = b\n", &text), 5) << text;
  EXPECT_NE(text.find("t.dlc:1:5: error:"), std::string::npos) << text;
  EXPECT_NE(text.find("t.dlc:4:9: error:"), std::string::npos) << text;
  // The function whose parameter list failed leaves its "}" stray.
  EXPECT_NE(text.find("t.dlc:6:1: error: unexpected '}'"), std::string::npos) << text;
}

TEST(DslParser, StopsAfterTwentyErrors) {
  std::string src, text;
  for (int i = 0; i < 30; ++i) src += "let = 1\n";
  EXPECT_EQ(errorCount(src, &text), Diagnostics::kMaxErrors);
  size_t n = 0;
  for (size_t p = text.find(": error:"); p != std::string::npos; p = text.find(": error:", p + 1)) ++n;
  EXPECT_EQ(n, static_cast<size_t>(Diagnostics::kMaxErrors));
  EXPECT_NE(text.find("stopped after 20 errors"), std::string::npos);
}

TEST(DslParser, NestingIsBounded) {
  for (const std::string& open : {"(", "[", "-", "f("}) {
    std::string src = "let v = ";
    for (int i = 0; i < 100000; ++i) src += open;
    std::string text;
    EXPECT_GE(errorCount(src, &text), 1);
    EXPECT_NE(text.find("nested too deeply"), std::string::npos) << open;
  }
  // A long flat chain is as deep as it is long.
  std::string chain = "let v = a";
  for (int i = 0; i < 100000; ++i) chain += " + a";
  std::string text;
  EXPECT_GE(errorCount(chain, &text), 1);
  EXPECT_NE(text.find("nested too deeply"), std::string::npos);
}

TEST(DslDiagnostics, CaretUnderTheColumn) {
  std::string src = "a\n\tlet x = 1\n";
  EXPECT_EQ(formatDiagnostic(src, "m.dlc", {2, 6}, "boom"), "m.dlc:2:6: error: boom\n\tlet x = 1\n\t    ^");
}

// --- initialisers ----------------------------------------------------------

TEST(DslInit, StreamsAreDeterministicAndIndependent) {
  EXPECT_EQ(streamKey(0, "w"), streamKey(0, "w"));
  EXPECT_NE(streamKey(0, "w"), streamKey(1, "w"));
  EXPECT_NE(streamKey(0, "w"), streamKey(0, "b"));
  uint64_t k = streamKey(7, "fc1.w");
  EXPECT_EQ(uniformAt(k, 123), uniformAt(k, 123));
  EXPECT_NE(uniformAt(k, 123), uniformAt(k, 124));
}

struct Stats {
  double mean = 0, std = 0, min = 1e300, max = -1e300;
};
Stats statsOf(const rt::HostTensor& t) {
  Stats s;
  int64_t n = t.numElements();
  for (int64_t i = 0; i < n; ++i) {
    double v = rt::loadAsDouble(t.cref(), i);
    s.mean += v, s.min = std::min(s.min, v), s.max = std::max(s.max, v);
  }
  s.mean /= n;
  for (int64_t i = 0; i < n; ++i) s.std += std::pow(rt::loadAsDouble(t.cref(), i) - s.mean, 2);
  s.std = std::sqrt(s.std / (n - 1));
  return s;
}

rt::HostTensor filled(const rt::Shape& shape, InitSpec spec, const std::string& name = "p") {
  rt::HostTensor t(rt::TensorType{rt::DType::F32, shape});
  fillInit(t, spec, 3, name);
  return t;
}

TEST(DslInit, NormalStatistics) {
  auto s = statsOf(filled({100, 100}, {InitKind::Normal, 0.5, 2.0}));
  // 10k samples: the mean's standard error is 0.02; 5 of them.
  EXPECT_NEAR(s.mean, 0.5, 0.1);
  EXPECT_NEAR(s.std, 2.0, 0.06);
}

TEST(DslInit, UniformBoundsAndStatistics) {
  auto s = statsOf(filled({10000}, {InitKind::Uniform, -1.0, 3.0}));
  EXPECT_GE(s.min, -1.0);
  EXPECT_LT(s.max, 3.0);
  EXPECT_NEAR(s.mean, 1.0, 0.06);
  EXPECT_NEAR(s.std, 4.0 / std::sqrt(12.0), 0.04);
}

TEST(DslInit, XavierAndKaimingFollowTheFans) {
  // [out=20, in=10, 5, 5]: fan_in = 10*25, fan_out = 20*25.
  Fans f = fans({20, 10, 5, 5});
  EXPECT_DOUBLE_EQ(f.in, 250);
  EXPECT_DOUBLE_EQ(f.out, 500);
  Fans f2 = fans({30, 40});
  EXPECT_DOUBLE_EQ(f2.in, 30);
  EXPECT_DOUBLE_EQ(f2.out, 40);
  EXPECT_DOUBLE_EQ(fans({7}).in, 7);

  double a = 1.0 * std::sqrt(6.0 / (250 + 500));
  auto x = statsOf(filled({20, 10, 5, 5}, {InitKind::Xavier, 1.0, 0}));
  EXPECT_GE(x.min, -a);
  EXPECT_LE(x.max, a);
  EXPECT_NEAR(x.std, a / std::sqrt(3.0), 0.03 * a);

  auto k = statsOf(filled({20, 10, 5, 5}, {InitKind::Kaiming, std::sqrt(2.0), 0}));
  EXPECT_NEAR(k.mean, 0, 0.05 * std::sqrt(2.0 / 250));
  EXPECT_NEAR(k.std, std::sqrt(2.0 / 250), 0.03 * std::sqrt(2.0 / 250));
}

// --- translation -----------------------------------------------------------

std::map<std::string, std::string> initializers(const Translation& t) {
  onnx::ModelProto m;
  EXPECT_TRUE(m.ParseFromString(t.modelBytes));
  std::map<std::string, std::string> out;
  for (const auto& i : m.graph().initializer()) out[i.name()] = i.raw_data();
  return out;
}

TEST(DslTranslate, ParametersDependOnSeedAndNameOnly) {
  std::string a = "seed 5\ninput x: f32[2, 3]\nparam w: f32[3, 4] = normal\noutput y = x @ w\n";
  std::string b = "seed 5\ninput x: f32[2, 3]\nparam v: f32[3] = normal\nparam w: f32[3, 4] = normal\n"
                  "output y = (x + v) @ w\n";
  Translation ta = translateToOnnx(a, "a.dlc", "");
  Translation tb = translateToOnnx(b, "b.dlc", "");
  ASSERT_TRUE(ta.ok()) << ta.errors;
  ASSERT_TRUE(tb.ok()) << tb.errors;
  EXPECT_EQ(ta.modelBytes, translateToOnnx(a, "a.dlc", "").modelBytes);
  EXPECT_EQ(initializers(ta)["w"], initializers(tb)["w"]);
  std::string c = a;
  c.replace(c.find("seed 5"), 6, "seed 6");
  EXPECT_NE(initializers(ta)["w"], initializers(translateToOnnx(c, "c.dlc", ""))["w"]);
}

TEST(DslTranslate, NodesMapToTheirSource) {
  Translation t = translateToOnnx("input x: f32[2]\nlet h = relu(x)\noutput y = h * 2\n", "m.dlc", "");
  ASSERT_TRUE(t.ok()) << t.errors;
  ASSERT_TRUE(t.nodeLocations.count("h"));
  EXPECT_EQ(t.nodeLocations.at("h").line, 2);
  EXPECT_EQ(t.nodeLocations.at("h").col, 9);
  ASSERT_TRUE(t.nodeLocations.count("y"));
  EXPECT_EQ(t.nodeLocations.at("y").line, 3);
  EXPECT_EQ(t.nodeLocations.at("y").col, 14);
  std::string msg = describeImportError("input x: f32[2]\nlet h = relu(x)\noutput y = h * 2\n", "m.dlc", t,
                                        "m.dlc: node 'h' (Relu, opset 17): bad", "h", "bad");
  EXPECT_EQ(msg, "m.dlc:2:9: error: Relu: bad\nlet h = relu(x)\n        ^");
  EXPECT_EQ(describeImportError("", "m.dlc", t, "whole model", "", ""), "whole model");
}

TEST(DslTranslate, NeverThrowsOnGarbage) {
  std::string bytes;
  for (int i = 0; i < 256; ++i) bytes += static_cast<char>(i);
  Translation t = translateToOnnx(bytes, "g.dlc", "");
  EXPECT_FALSE(t.ok());
  EXPECT_TRUE(t.modelBytes.empty());
}

}  // namespace
}  // namespace dlc::dsl
