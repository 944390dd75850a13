// The syntax tree of a .dlc file (docs/dsl.md "Grammar"). Every node keeps
// its source location for diagnostics and for the ONNX node names.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "frontend/dsl/Dsl.h"

namespace dlc::dsl {

enum class BinOp { Add, Sub, Mul, Div, Mod, Pow, MatMul, Eq, Ne, Lt, Le, Gt, Ge };
const char* spelling(BinOp op);

struct Expr;
using ExprPtr = std::unique_ptr<Expr>;

struct KwArg {
  std::string name;
  SourceLoc loc;
  ExprPtr value;
};

struct Expr {
  enum class Kind { Int, Float, String, Name, DType, Call, Binary, Neg, List };
  Kind kind = Kind::Int;
  SourceLoc loc;       // the operator of Binary/Neg, the callee of Call, else the first token
  int64_t intValue = 0;
  double floatValue = 0;
  std::string text;    // Name, DType, String (the value), Call (the callee)
  BinOp op = BinOp::Add;
  std::vector<ExprPtr> args;   // Call: positional; List: elements; Binary: 2; Neg: 1
  std::vector<KwArg> kwargs;   // Call only
  std::string asName;          // Call only: `f(...) as NAME`
  SourceLoc asLoc;
  int depth = 1;               // nesting depth, capped by the parser
};

struct Type {
  std::string dtype;  // as written: f32, i64, bool ...
  SourceLoc loc;
  std::vector<ExprPtr> dims;
};

struct FnParam {
  std::string name;
  SourceLoc loc;
  enum class Kind { Tensor, Int, Float } kind = Kind::Tensor;
};

struct Stmt;
using StmtPtr = std::unique_ptr<Stmt>;

struct Stmt {
  enum class Kind {
    Model, Opset, Seed, Const, Input, Param, Fn, Let, Return, Output, Train,
    Label,    // in train { }: NAME ":" type
    Setting,  // in train { }: IDENT "=" expr
  };
  Kind kind = Kind::Model;
  SourceLoc loc;                   // the statement's first token
  std::string name;                // model/const/input/param/fn/output/label/setting name
  SourceLoc nameLoc;
  int64_t intValue = 0;            // opset, seed
  std::vector<std::string> names;  // let: the names bound
  std::vector<SourceLoc> nameLocs;
  ExprPtr value;                   // const, let, output (may be null), setting; param: the init (Name or Call; may be null)
  std::vector<ExprPtr> values;     // return
  Type type;                       // input, param, label
  std::vector<FnParam> params;     // fn
  std::vector<StmtPtr> body;       // fn, train
};

struct File {
  std::vector<StmtPtr> stmts;
};

}  // namespace dlc::dsl
