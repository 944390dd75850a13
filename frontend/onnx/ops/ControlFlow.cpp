// ONNX control flow with a static structure: If, Loop and Scan. dlc's IR has
// no regions, so a construct is imported only when its structure is known at
// compile time: If's condition picks the one branch that is imported inline,
// Loop's trip count (and condition) and Scan's sequence length unroll the
// body, each iteration imported inline (OnnxNode::callGraphAttr). A
// condition or trip count that depends on run-time data fails clearly.
// Sequence- and optional-typed values (If/Loop over sequences) do not exist
// in dlc and fail where their values are first needed.
#include "frontend/onnx/OnnxNode.h"

namespace dlc::onnx_import {
namespace {

using mlir::Value;

// Unrolling is for short static loops; a longer one would bloat the IR.
constexpr int64_t kMaxUnroll = 4096;

// A compile-time scalar as a boolean (If's condition, Loop's cond).
bool truthOf(const rt::HostTensor& t) { return rt::loadAsDouble(t.cref(), 0) != 0; }

Value boolConstant(Emitter& e, bool v) { return e.splat(v ? 1.0 : 0.0, e.builder().getI1Type()); }

Value i64Constant(Emitter& e, int64_t v) {
  rt::HostTensor t({rt::DType::I64, {}}, &v);
  return e.constant(t);
}

// xs[i] with a new axis of size 1 at `axis`, concatenated along it: the
// per-iteration values of a scan output stacked.
Value stack(Emitter& e, const std::vector<Value>& xs, int64_t axis) {
  std::vector<Value> parts;
  for (Value x : xs) {
    Dims s = Emitter::shape(x);
    s.insert(s.begin() + axis, 1);
    parts.push_back(e.reshape(x, s));
  }
  return parts.size() == 1 ? parts[0] : e.concatenate(parts, axis);
}

// x[..., i, ...] along `axis`, that axis removed.
Value takeIndex(Emitter& e, Value x, int64_t axis, int64_t i) {
  Dims s = Emitter::shape(x);
  Dims lo(s.size(), 0), hi = s, st(s.size(), 1);
  lo[axis] = i;
  hi[axis] = i + 1;
  Dims out = s;
  out.erase(out.begin() + axis);
  return e.reshape(e.slice(x, lo, hi, st), out);
}

//===--- If ---------------------------------------------------------------===//

// Only the branch the compile-time condition selects is imported.
std::vector<Value> ifOp(OnnxNode& n) {
  n.onlyAttrs({"then_branch", "else_branch"});
  n.input(0);
  const rt::HostTensor* cond = n.constantInput(0);
  if (!cond)
    n.fail("If needs a compile-time condition (a constant, or a graph input whose value dlc run "
           "is given): dlc has no run-time branches");
  if (cond->numElements() != 1)
    n.fail("the condition must hold one element, got " + std::to_string(cond->numElements()));
  return n.callGraphAttr(truthOf(*cond) ? "then_branch" : "else_branch", {});
}

//===--- Loop -------------------------------------------------------------===//

// The body called once per iteration with (iteration number, cond,
// loop-carried values); it stops after M iterations or when the body's
// condition output, which must then be known at compile time, is false.
std::vector<Value> loop(OnnxNode& n) {
  n.onlyAttrs({"body"});
  Emitter& e = n.e();
  int64_t tripCount = -1;  // none: until the condition is false
  if (n.hasInput(0)) {
    n.input(0);
    const rt::HostTensor* m = n.constantInput(0);
    if (!m)
      n.fail("Loop needs a compile-time trip count M (a constant, or a graph input whose value "
             "dlc run is given) to be unrolled");
    tripCount = static_cast<int64_t>(rt::loadAsDouble(m->cref(), 0));
  }
  bool cond = true;
  if (n.hasInput(1)) {
    n.input(1);
    const rt::HostTensor* c = n.constantInput(1);
    if (!c) n.fail("Loop needs a compile-time condition input to be unrolled");
    cond = truthOf(*c);
  }
  std::vector<Value> carried;
  for (int i = 2; i < n.proto().input_size(); ++i) carried.push_back(n.input(i));
  const size_t numCarried = carried.size();
  // Outputs beyond the loop-carried values are scan outputs.
  const size_t numScan = static_cast<size_t>(n.proto().output_size()) - numCarried;
  std::vector<std::vector<Value>> scans(numScan);

  int64_t it = 0;
  for (; cond && (tripCount < 0 || it < tripCount); ++it) {
    if (it >= kMaxUnroll)
      n.fail("the loop runs more than " + std::to_string(kMaxUnroll) +
             " iterations, too many to unroll");
    std::vector<Value> args = {i64Constant(e, it), boolConstant(e, cond)};
    args.insert(args.end(), carried.begin(), carried.end());
    std::vector<Value> outs = n.callGraphAttr("body", args);
    if (outs.size() != 1 + numCarried + numScan)
      n.fail("the body has " + std::to_string(outs.size()) + " outputs, the node needs 1 + " +
             std::to_string(numCarried) + " loop-carried + " + std::to_string(numScan) +
             " scan outputs");
    std::copy(outs.begin() + 1, outs.begin() + 1 + numCarried, carried.begin());
    for (size_t k = 0; k < numScan; ++k) scans[k].push_back(outs[1 + numCarried + k]);
    std::optional<rt::HostTensor> c = n.constantValue(outs[0]);
    if (!c)
      n.fail("the body's condition output is not known at compile time: a loop whose "
             "termination depends on run-time data cannot be unrolled");
    cond = truthOf(*c);
  }

  std::vector<Value> results = carried;
  for (size_t k = 0; k < numScan; ++k) {
    if (scans[k].empty())
      n.fail("the loop runs no iteration, so the shape of scan output " + std::to_string(k) +
             " is unknown");
    results.push_back(stack(e, scans[k], 0));
  }
  return results;
}

//===--- Scan -------------------------------------------------------------===//

// The layout of a Scan (opset 9+ attributes; opset 8 maps onto it).
struct ScanSpec {
  Dims inputAxes, inputReverse, outputAxes, outputReverse;
};

// The body run over the sequence: `states` carried from step to step, the
// scan inputs sliced along their axis (in their direction), the scan
// outputs stacked along theirs. Returns final states then scan outputs.
std::vector<Value> runScan(OnnxNode& n, std::vector<Value> states, const std::vector<Value>& xs,
                           const ScanSpec& spec, size_t numScanOutputs) {
  Emitter& e = n.e();
  int64_t len = -1;
  for (size_t j = 0; j < xs.size(); ++j) {
    int64_t l = Emitter::shape(xs[j])[spec.inputAxes[j]];
    if (len >= 0 && l != len)
      n.fail("the scan inputs have different sequence lengths, " + std::to_string(len) + " and " +
             std::to_string(l));
    len = l;
  }
  if (len <= 0) n.fail("the sequence is empty, so the scan outputs' shapes are unknown");
  if (len > kMaxUnroll)
    n.fail("the sequence has " + std::to_string(len) + " steps, more than the " +
           std::to_string(kMaxUnroll) + " that are unrolled");
  std::vector<std::vector<Value>> scans(numScanOutputs);
  for (int64_t t = 0; t < len; ++t) {
    std::vector<Value> args = states;
    for (size_t j = 0; j < xs.size(); ++j)
      args.push_back(takeIndex(e, xs[j], spec.inputAxes[j], spec.inputReverse[j] ? len - 1 - t : t));
    std::vector<Value> outs = n.callGraphAttr("body", args);
    if (outs.size() != states.size() + numScanOutputs)
      n.fail("the body has " + std::to_string(outs.size()) + " outputs, the node needs " +
             std::to_string(states.size() + numScanOutputs));
    std::copy(outs.begin(), outs.begin() + states.size(), states.begin());
    for (size_t k = 0; k < numScanOutputs; ++k) scans[k].push_back(outs[states.size() + k]);
  }
  std::vector<Value> results = states;
  for (size_t k = 0; k < numScanOutputs; ++k) {
    // A reverse output gets each step's value prepended.
    if (spec.outputReverse[k]) std::reverse(scans[k].begin(), scans[k].end());
    int64_t rank = Emitter::rank(scans[k][0]) + 1;
    results.push_back(stack(e, scans[k], n.axis(spec.outputAxes[k], rank, "scan_output_axes")));
  }
  return results;
}

// A per-input/output attribute list: absent means all `dflt`.
Dims perItem(OnnxNode& n, const char* name, size_t count, int64_t dflt) {
  Dims v = n.attrInts(name, Dims(count, dflt));
  if (v.size() != count)
    n.fail(std::string("attribute '") + name + "' has " + std::to_string(v.size()) +
           " entries, expected " + std::to_string(count));
  return v;
}

// Opset 8: every input and output has a leading batch axis, the sequence is
// axis 1; each batch entry is scanned on its own. sequence_lens shorter than
// the sequence would need per-entry lengths, refused unless all are full.
std::vector<Value> scan8(OnnxNode& n, int64_t numScanInputs) {
  n.onlyAttrs({"body", "num_scan_inputs", "directions"});
  Emitter& e = n.e();
  std::vector<Value> states, xs;
  const int numInputs = n.proto().input_size();
  for (int i = 1; i < numInputs; ++i)
    (i < numInputs - numScanInputs ? states : xs).push_back(n.input(i));
  if (xs.empty()) n.fail("num_scan_inputs must be at least 1");
  for (Value v : n.inputs())
    if (Emitter::rank(v) < 1) n.fail("opset 8 Scan inputs need a leading batch axis");
  for (Value x : xs)
    if (Emitter::rank(x) < 2) n.fail("opset 8 scan inputs need [batch, sequence, ...] axes");
  const int64_t batch = Emitter::shape(xs[0])[0];
  const int64_t len = Emitter::shape(xs[0])[1];
  if (n.hasInput(0)) {
    Dims lens = n.intsInput(0, "sequence_lens");
    for (int64_t l : lens)
      if (l != len)
        n.fail("sequence_lens " + std::to_string(l) + " differs from the sequence length " +
               std::to_string(len) + ": per-entry lengths are not supported");
  }
  const size_t numOutputs = static_cast<size_t>(n.proto().output_size());
  if (numOutputs < states.size()) n.fail("fewer outputs than loop states");
  ScanSpec spec;
  spec.inputAxes = Dims(xs.size(), 0);
  spec.inputReverse = perItem(n, "directions", xs.size(), 0);
  spec.outputAxes = Dims(numOutputs - states.size(), 0);
  spec.outputReverse = Dims(numOutputs - states.size(), 0);
  std::vector<std::vector<Value>> perBatch(numOutputs);
  for (int64_t b = 0; b < batch; ++b) {
    std::vector<Value> s, x;
    for (Value v : states) s.push_back(takeIndex(e, v, 0, b));
    for (Value v : xs) x.push_back(takeIndex(e, v, 0, b));
    std::vector<Value> outs = runScan(n, s, x, spec, numOutputs - states.size());
    for (size_t k = 0; k < numOutputs; ++k) perBatch[k].push_back(outs[k]);
  }
  std::vector<Value> results;
  for (auto& vs : perBatch) results.push_back(stack(e, vs, 0));
  return results;
}

std::vector<Value> scan(OnnxNode& n) {
  const int64_t numScanInputs = n.attrInt("num_scan_inputs", -1);
  if (numScanInputs < 1) n.fail("attribute 'num_scan_inputs' must be at least 1");
  if (n.opset() < 9) return scan8(n, numScanInputs);
  n.onlyAttrs({"body", "num_scan_inputs", "scan_input_axes", "scan_input_directions",
               "scan_output_axes", "scan_output_directions"});
  std::vector<Value> all = n.inputs();
  if (static_cast<int64_t>(all.size()) < numScanInputs)
    n.fail("num_scan_inputs " + std::to_string(numScanInputs) + " exceeds the " +
           std::to_string(all.size()) + " inputs");
  std::vector<Value> states(all.begin(), all.end() - numScanInputs);
  std::vector<Value> xs(all.end() - numScanInputs, all.end());
  const size_t numOutputs = static_cast<size_t>(n.proto().output_size());
  if (numOutputs < states.size()) n.fail("fewer outputs than loop states");
  const size_t numScanOutputs = numOutputs - states.size();
  ScanSpec spec;
  spec.inputAxes = perItem(n, "scan_input_axes", xs.size(), 0);
  for (size_t j = 0; j < xs.size(); ++j)
    spec.inputAxes[j] = n.axis(spec.inputAxes[j], Emitter::rank(xs[j]), "scan_input_axes");
  spec.inputReverse = perItem(n, "scan_input_directions", xs.size(), 0);
  spec.outputAxes = perItem(n, "scan_output_axes", numScanOutputs, 0);
  spec.outputReverse = perItem(n, "scan_output_directions", numScanOutputs, 0);
  return runScan(n, states, xs, spec, numScanOutputs);
}

}  // namespace

void registerControlFlowOps(ConverterTable& t) {
  t["If"] = ifOp;
  t["Loop"] = loop;
  t["Scan"] = scan;
}

}  // namespace dlc::onnx_import
