#!/usr/bin/env python3
"""Fails where two arguments of one call each build IR (or emit code).

C++ leaves the order in which a call's arguments are evaluated unspecified:
`e.add(e.mul(x, y), e.neg(z))` creates the mul first with clang and the neg
first with GCC, so the IR text (and the lit tests that pin it) would depend
on the compiler that built dlc. Every such call is written with named locals
instead (docs/robustness.md, "IR order"). This check finds the calls left:
with clang-query (Debian's clang-tools), over the compile database of a build
directory, it matches every call or parenthesised construction with two or
more arguments that each contain a call that may have side effects:

- OpBuilder/PatternRewriter create/clone/insert/replace/erase;
- any non-static, non-const method of a dlc class, except the pure
  accessors listed below (shape, elementType, attr* ...) and an op's
  generated getters (getLhs ...);
- any method, const or not, of a helper that holds an Emitter, a GraphBuild
  or a builder (by reference, pointer or value);
- any free function taking a non-const reference or pointer to a dlc class
  or an MLIR builder (a converter's helper given the Emitter);
- any lambda call.

Braced lists ({a(), b()}) are evaluated left to right and are not matched;
nor are overloaded operators (the code generators' string concatenations
of pure helpers: no IR value has an operator).

usage: scripts/check_eval_order.py [--build-dir build] [-j N] [FILE ...]
With no FILE: every source under frontend/ ir/ passes/ codegen/ api/ tools/.
Exit 0: none found; 1: calls found (each printed); 2: clang-query missing.
"""
import argparse
import concurrent.futures
import json
import os
import re
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
FOLDERS = ("frontend/", "ir/", "passes/", "codegen/", "api/", "tools/")
BUILDERS = ["::mlir::OpBuilder", "::mlir::Builder", "::mlir::PatternRewriter", "::mlir::RewriterBase",
            "::mlir::ImplicitLocOpBuilder", "::mlir::ConversionPatternRewriter"]
# Methods of dlc classes that read and never build anything.
PURE = ["tensorType", "type", "elementTypeOf", "arr", "computeType", "loc", "builder", "e", "shape",
        "elementType", "rank", "proto", "opset", "hasInput", "input", "inputs", "constantInput",
        "intsInput", "scalarInput", "hasOutput", "hasAttr", "attrInt", "attrFloat", "attrString",
        "attrInts", "attrTensor", "onlyAttrs", "axis", "fail", "check", "lookup", "model", "graph"]
MAX_ARGS = 8


def names(xs):
    return ",".join('"%s"' % x for x in xs)


def query():
    dlc_or_builder = 'cxxRecordDecl(anyOf(matchesName("^::dlc::"), hasAnyName(%s)))' % names(BUILDERS)
    mutable_ref = "qualType(unless(isConstQualified()), hasDeclaration(%s))" % dlc_or_builder
    holder = "cxxRecordDecl(hasAnyName(%s))" % names(["::dlc::Emitter", "::dlc::GraphBuild"] + BUILDERS)
    effect = (
        "callExpr(callee(functionDecl(anyOf("
        'cxxMethodDecl(ofClass(cxxRecordDecl(hasAnyName(%s))), '
        'matchesName("::(create|createOrFold|clone|insert|replaceOp|eraseOp)[^:]*$")),'
        'cxxMethodDecl(ofClass(cxxRecordDecl(matchesName("^::dlc::"))), unless(isStaticStorageClass()), '
        'unless(isConst()), unless(matchesName("::get[A-Z][^:]*$")), unless(hasAnyName(%s))),'
        'cxxMethodDecl(hasName("callGraphAttr")),'
        # a const method of a helper that holds an emitter or builder
        "cxxMethodDecl(ofClass(cxxRecordDecl(has(fieldDecl(hasType(qualType(anyOf("
        "references(%s), pointsTo(%s), hasDeclaration(%s)))))))), unless(isStaticStorageClass()), "
        "unless(hasAnyName(%s))),"
        'allOf(unless(cxxMethodDecl()), unless(matchesName("^::std::")), '
        "anyOf(hasAnyParameter(hasType(references(%s))), hasAnyParameter(hasType(pointsTo(%s))))),"
        "cxxMethodDecl(ofClass(cxxRecordDecl(isLambda())))"
        "))))" % (names(BUILDERS), names(PURE), holder, holder, holder, names(PURE), mutable_ref, mutable_ref))
    pairs = ",".join("allOf(hasArgument(%d, withEffect), hasArgument(%d, withEffect))" % (i, j)
                     for i in range(MAX_ARGS) for j in range(i + 1, MAX_ARGS))
    match = ("expr(isExpansionInMainFile(), anyOf(callExpr(unless(cxxOperatorCallExpr()), anyOf(%s)), "
             "cxxConstructExpr(unless(isListInitialization()), anyOf(%s))))" % (pairs, pairs))
    return ("set output diag\nset bind-root true\n"
            "let effect %s\nlet withEffect expr(anyOf(effect, hasDescendant(effect)))\nm %s\n" % (effect, match))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--build-dir", default=os.path.join(ROOT, "build"))
    ap.add_argument("-j", "--jobs", type=int, default=2)
    ap.add_argument("files", nargs="*")
    args = ap.parse_args()
    tool = shutil.which("clang-query") or shutil.which("clang-query-14")
    if not tool:
        print("check_eval_order: clang-query not found (Debian: clang-tools)", file=sys.stderr)
        return 2
    db = os.path.join(args.build_dir, "compile_commands.json")
    with open(db) as f:
        known = {os.path.realpath(e["file"]) for e in json.load(f)}
    files = [os.path.realpath(f) for f in args.files] or sorted(
        f for f in known if os.path.relpath(f, ROOT).startswith(FOLDERS))
    qfile = os.path.join(args.build_dir, "eval-order.query")
    with open(qfile, "w") as f:
        f.write(query())

    def run(path):
        out = subprocess.run([tool, "-p", args.build_dir, "-f", qfile, path], capture_output=True, text=True)
        found = re.findall(r'^(\S+:\d+:\d+): note: "root" binds here\n(.*)\n', out.stdout, re.M)
        if out.returncode != 0 or "Error parsing" in out.stdout:
            return ["%s: clang-query failed:\n%s" % (path, (out.stdout + out.stderr).strip()[:2000])]
        return ["%s: two arguments build IR; name them in order:\n    %s" % (loc, text.strip())
                for loc, text in found]

    problems = []
    with concurrent.futures.ThreadPoolExecutor(args.jobs) as pool:
        for found in pool.map(run, files):
            problems += found
    for p in problems:
        print(p)
    print("check_eval_order: %d file(s), %d call(s) with unordered side effects" % (len(files), len(problems)))
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
