// `dlc train`'s preparation (TrainSetup.h): the model, its parameters and
// state, the data, and the compiled training step.
#include "tools/dlc/TrainSetup.h"

#include <algorithm>
#include <cctype>
#include <cstring>
#include <filesystem>
#include <iostream>
#include <map>
#include <set>
#include <sstream>

#include "api/Driver.h"
#include "codegen/host/LowerToHost.h"
#include "frontend/dsl/Dsl.h"
#include "frontend/onnx/Importer.h"
#include "frontend/onnx/ModelFile.h"
#include "frontend/onnx/TensorProtoIO.h"
#include "ir/Dialect.h"
#include "ir/TensorConversions.h"
#include "passes/TrainingStep.h"
#include "tools/dlc/TrainStats.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Diagnostics.h"

namespace fs = std::filesystem;

namespace dlc::tool {

namespace {

using Failed = TrainError;

rt::HostTensor loadData(const std::string& path) {
  try {
    return onnx_io::loadTensorFile(path);
  } catch (const std::exception& e) {
    throw Failed{1, e.what()};
  }
}

// The loss's targets. By default, and when a DSL train section names a
// label as the target, labels.pb (checked against the label's declared
// element type and dims after the batch); when it names a model input, that
// input's own samples (an autoencoder's mse(y, x)), and labels.pb is not
// read. A model output as the target is refused.
rt::HostTensor loadTargets(const Settings& s, const std::vector<std::string>& inputNames,
                           const std::vector<rt::HostTensor>& data, const onnx::GraphProto& g,
                           const std::string& labelsPath) {
  auto input = std::find(inputNames.begin(), inputNames.end(), s.target);
  if (!s.target.empty() && input != inputNames.end()) {
    const rt::HostTensor& x = data[static_cast<size_t>(input - inputNames.begin())];
    return rt::HostTensor(x.type(), x.data());
  }
  if (!s.target.empty() && s.targetLabelType.empty())
    for (const auto& out : g.output())
      if (out.name() == s.target)
        throw Failed{1, s.model + ": the train section's loss target '" + s.target +
                            "' is a model output; dlc train takes the target from labels.pb (a label) or from a "
                            "model input"};
  std::error_code ec;
  if (!fs::exists(labelsPath, ec)) throw Failed{1, labelsPath + ": missing (the labels, one per sample along dim 0)"};
  rt::HostTensor labels = loadData(labelsPath);
  if (s.targetLabelType.empty() || labels.shape().empty()) return labels;
  // "i64[64, 3]": the element type, then the dims; dim 0 is the batch.
  const std::string& declared = s.targetLabelType;
  size_t open = declared.find('[');
  if (open == std::string::npos || declared.back() != ']') return labels;  // not the DSL's format
  std::string dtype = declared.substr(0, open);
  std::vector<std::string> dims;
  std::stringstream list(declared.substr(open + 1, declared.size() - open - 2));
  for (std::string d; std::getline(list, d, ',');) {
    size_t at = d.find_first_not_of(' ');
    dims.push_back(at == std::string::npos ? std::string() : d.substr(at));
  }
  std::string have(rt::dtypeName(labels.dtype()));
  bool same = have == dtype || (have == "i1" && dtype == "bool");
  for (size_t i = 1; same && i < dims.size() && dims.size() == labels.shape().size(); ++i)
    same = dims[i].empty() || !std::isdigit(static_cast<unsigned char>(dims[i][0])) ||
           std::strtoll(dims[i].c_str(), nullptr, 10) == labels.shape()[i];
  if (!same || dims.size() != labels.shape().size()) {
    std::string shape;
    for (size_t i = 0; i < labels.shape().size(); ++i) shape += (i ? ", " : "") + std::to_string(labels.shape()[i]);
    throw Failed{1, labelsPath + ": " + have + "[" + shape + "] does not fit the label '" + s.target +
                        "' that the train section declares as " + declared + " (dim 0 counts the samples)"};
  }
  return labels;
}


// torch's exporter in eval mode stores initializers of equal value once and
// makes the others Identity nodes of it: a fresh BatchNorm's running_var
// (all ones) becomes Identity(its weight), a second LayerNorm's scale
// Identity(the first's), a zero bias Identity(another zero bias). Trained,
// they are separate tensors (shared weights are exported as one initializer
// that several nodes read, never as an Identity), so each Identity of an
// initializer is replaced by an initializer of the Identity's output name
// holding a copy of the value: the graph computes the same, and each copy
// is trained, or updated as a running statistic, and saved on its own.
void untieEqualInitializers(onnx::GraphProto& g) {
  std::map<std::string, const onnx::TensorProto*> inits;
  for (const auto& t : g.initializer()) inits[t.name()] = &t;
  std::set<std::string> outputs;
  for (const auto& o : g.output()) outputs.insert(o.name());
  std::vector<onnx::TensorProto> copies;
  auto* nodes = g.mutable_node();
  for (int i = nodes->size() - 1; i >= 0; --i) {
    const onnx::NodeProto& node = nodes->Get(i);
    if (node.op_type() != "Identity" || node.input_size() != 1 || node.output_size() != 1 ||
        !inits.count(node.input(0)) || inits.count(node.output(0)) || outputs.count(node.output(0)))
      continue;
    copies.push_back(*inits[node.input(0)]);
    copies.back().set_name(node.output(0));
    nodes->DeleteSubrange(i, 1);
  }
  for (auto& t : copies) *g.add_initializer() = std::move(t);
}


}  // namespace

TrainSetup loadTraining(Settings& s) {
  // --- the model as an ONNX ModelProto
  onnx::ModelProto model;
  std::string ext = fs::path(s.model).extension().string();
  std::string baseDir = fs::path(s.model).parent_path().string();
  try {
    std::string bytes = onnx_io::readFileBytes(s.model, s.model + ": no such file");
    if (ext == ".dlc") {
      dsl::Translation t = dsl::translateToOnnx(bytes, s.model, baseDir);
      if (!t.ok()) throw Failed{1, t.errors};
      bytes = t.modelBytes;
    } else if (ext == ".mlir") {
      throw Failed{1, s.model + ": dlc train takes an ONNX or a DSL model (its initializers are the parameters)"};
    }
    onnx_io::parseModel(bytes, s.model, model);
  } catch (const onnx_io::ModelFileError& e) {
    throw Failed{1, e.what()};
  }
  applyModelDefaults(model, s);
  checkSettings(s);

  // --- the data
  std::error_code ec;
  if (!fs::is_directory(s.data, ec)) throw Failed{1, "--data '" + s.data + "' is not a directory"};
  onnx::GraphProto& g = *model.mutable_graph();
  untieEqualInitializers(g);
  std::set<std::string> initNames;
  for (const auto& t : g.initializer()) initNames.insert(t.name());
  std::vector<std::string> inputNames;
  for (const auto& in : g.input())
    if (!initNames.count(in.name())) inputNames.push_back(in.name());
  std::vector<rt::HostTensor> data;
  for (size_t i = 0; i < inputNames.size(); ++i) {
    std::string path = (fs::path(s.data) / ("input_" + std::to_string(i) + ".pb")).string();
    if (!fs::exists(path, ec))
      throw Failed{1, path + ": missing; the model takes " + std::to_string(inputNames.size()) + " input(s)"};
    data.push_back(loadData(path));
  }
  std::string extra = (fs::path(s.data) / ("input_" + std::to_string(inputNames.size()) + ".pb")).string();
  if (fs::exists(extra, ec))
    throw Failed{1, extra + ": the model takes only " + std::to_string(inputNames.size()) + " input(s)"};
  std::string labelsPath = (fs::path(s.data) / "labels.pb").string();
  rt::HostTensor labels = loadTargets(s, inputNames, data, g, labelsPath);
  if (labels.shape().empty()) throw Failed{1, labelsPath + ": the labels are a scalar; dim 0 must count the samples"};
  int64_t samples = labels.shape()[0];
  for (size_t i = 0; i < data.size(); ++i)
    if (data[i].shape().empty() || data[i].shape()[0] != samples)
      throw Failed{1, (fs::path(s.data) / ("input_" + std::to_string(i) + ".pb")).string() + ": " +
                          (data[i].shape().empty() ? std::string("a scalar") : std::to_string(data[i].shape()[0]) + " samples") +
                          ", but labels.pb has " + std::to_string(samples)};
  if (s.batch > samples)
    throw Failed{1, "--batch-size " + std::to_string(s.batch) + " is larger than the data set (" +
                        std::to_string(samples) + " samples)"};

  // --- parameters: float initializers not frozen become graph inputs
  for (const std::string& f : s.freeze)
    if (!initNames.count(f)) throw Failed{1, "--freeze names '" + f + "', which is not an initializer of " + s.model};
  // BatchNormalization's running mean and var (inputs 3 and 4) are state:
  // carried and saved, not trained.
  std::set<std::string> stateSet;
  for (const auto& node : g.node())
    if (node.op_type() == "BatchNormalization")
      for (int k : {3, 4})
        if (node.input_size() > k && initNames.count(node.input(k)) && !s.freeze.count(node.input(k)))
          stateSet.insert(node.input(k));
  // Float initializers that ops read as settings, not weights (Dropout's
  // ratio, Clip's bounds, Resize's scales, Pad's value): they stay constants.
  static const std::map<std::string, std::vector<int>> settingInputs = {
      {"Dropout", {1, 2}}, {"Clip", {1, 2}}, {"Resize", {1, 2, 3}}, {"Upsample", {1}}, {"Pad", {2}}};
  std::set<std::string> settings;
  for (const auto& node : g.node()) {
    auto it = settingInputs.find(node.op_type());
    if (it != settingInputs.end())
      for (int k : it->second)
        if (node.input_size() > k) settings.insert(node.input(k));
  }
  std::vector<std::string> paramNames, stateNames;
  std::vector<rt::HostTensor> params, modelState;
  for (const auto& t : g.initializer()) {
    bool isFloat = t.data_type() == onnx::TensorProto::FLOAT || t.data_type() == onnx::TensorProto::DOUBLE;
    if (!isFloat || s.freeze.count(t.name()) || settings.count(t.name())) continue;
    bool isState = stateSet.count(t.name()) != 0;
    (isState ? stateNames : paramNames).push_back(t.name());
    try {
      (isState ? modelState : params).push_back(onnx_io::fromTensorProto(t, baseDir));
    } catch (const std::exception& e) {
      throw Failed{1, s.model + ": initializer '" + t.name() + "': " + e.what()};
    }
  }
  if (paramNames.empty()) throw Failed{1, s.model + ": no float initializer to train (all frozen or none)"};
  onnx::ModelProto trainable = model;
  {
    onnx::GraphProto& tg = *trainable.mutable_graph();
    // Drop the parameters and the state from the initializers and from the
    // inputs (older exporters list initializers as inputs too), then add
    // them as inputs after the data inputs: parameters, then state.
    std::set<std::string> p(paramNames.begin(), paramNames.end());
    p.insert(stateNames.begin(), stateNames.end());
    auto* inits = tg.mutable_initializer();
    inits->erase(std::remove_if(inits->begin(), inits->end(), [&](const onnx::TensorProto& t) { return p.count(t.name()); }),
                 inits->end());
    auto* ins = tg.mutable_input();
    ins->erase(std::remove_if(ins->begin(), ins->end(), [&](const onnx::ValueInfoProto& v) { return p.count(v.name()); }),
               ins->end());
    auto addInput = [&](const std::string& name, const rt::HostTensor& value) {
      auto* in = tg.add_input();
      in->set_name(name);
      auto* tt = in->mutable_type()->mutable_tensor_type();
      tt->set_elem_type(onnx_io::dtypeToOnnx(value.dtype()));
      for (int64_t d : value.shape()) tt->mutable_shape()->add_dim()->set_dim_value(d);
    };
    for (size_t i = 0; i < paramNames.size(); ++i) addInput(paramNames[i], params[i]);
    for (size_t i = 0; i < stateNames.size(); ++i) addInput(stateNames[i], modelState[i]);
  }
  if (!s.output.empty()) {
    bool found = false;
    for (int i = 0; i < g.output_size(); ++i) found |= g.output(i).name() == s.output;
    if (!found) throw Failed{1, "--output '" + s.output + "' is not an output of " + s.model};
  }
  TrainSetup setup;
  setup.model = std::move(model);
  setup.baseDir = baseDir;
  setup.inputNames = std::move(inputNames);
  setup.data = std::move(data);
  setup.labels = std::move(labels);
  setup.samples = samples;
  setup.paramNames = std::move(paramNames);
  setup.stateNames = std::move(stateNames);
  setup.params = std::move(params);
  setup.modelState = std::move(modelState);
  setup.trainable = std::move(trainable);
  return setup;
}

TrainStep compileTrainStep(const Settings& s, const TrainSetup& setup) {
  const onnx::GraphProto& g = setup.model.graph();
  const std::vector<std::string>& inputNames = setup.inputNames;
  const std::vector<std::string>& paramNames = setup.paramNames;
  const std::vector<std::string>& stateNames = setup.stateNames;
  // The batch fixes every data input's shape.
  driver::CompileOptions opts;
  opts.training = true;
  for (size_t i = 0; i < inputNames.size(); ++i) {
    std::vector<int64_t> dims = setup.data[i].shape();
    dims[0] = s.batch;
    opts.inputShapes[inputNames[i]] = dims;
  }
  unsigned prediction = 0;
  for (int i = 0; i < g.output_size(); ++i)
    if (!s.output.empty() && g.output(i).name() == s.output) prediction = static_cast<unsigned>(i);

  // --- compile the training step
  mlir::MLIRContext ctx;
  driver::InMemoryModel mem{driver::ModelFormat::Onnx, setup.trainable.SerializeAsString(), s.model, setup.baseDir};
  TrainingSpec spec;
  spec.loss = s.loss;
  spec.optimizer = s.optimizer;
  spec.prediction = prediction;
  spec.lr = s.numbers.at("lr");
  auto num = [&](const char* k, double d) { return s.numbers.count(k) ? s.numbers.at(k) : d; };
  spec.momentum = num("momentum", 0);
  spec.weightDecay = num("weight_decay", 0);
  spec.beta1 = num("beta1", 0.9);
  spec.beta2 = num("beta2", 0.999);
  spec.eps = num("eps", 1e-8);
  if (std::string e = applyTrainPrecision(s.precision, opts, spec); !e.empty()) throw UsageError(e);
  {
    rt::TensorType lt = setup.labels.type();
    lt.shape[0] = s.batch;
    spec.labelType = mlir::RankedTensorType::get(lt.shape, elementTypeOf(&ctx, lt.dtype));
  }
  for (size_t i = 0; i < paramNames.size(); ++i) spec.params.push_back(static_cast<unsigned>(inputNames.size() + i));
  // @main's arguments: data, parameters, state, then the random key when a
  // Dropout needs one. Each state pair updates one of the state arguments.
  unsigned stateArg0 = static_cast<unsigned>(inputNames.size() + paramNames.size());
  bool hasKey = false;
  auto compileStep = [&](bool checkpoint) {
    driver::CompileOptions o = opts;
    o.checkpoint = checkpoint;
    driver::Failure failure;
    auto module = driver::loadModel(ctx, mem, o, failure);
    if (failure) throw Failed{failure.exitCode, failure.message};
    spec.modelState = modelStatePairs(*module);
    for (const auto& pair : spec.modelState)
      if (pair.input < stateArg0 || pair.input >= stateArg0 + stateNames.size())
        throw Failed{2, s.model + ": the training import updates argument " + std::to_string(pair.input) +
                            ", which is not a running statistic"};
    {
      auto main = module->lookupSymbol<mlir::func::FuncOp>("main");
      unsigned keyArg = stateArg0 + static_cast<unsigned>(stateNames.size());
      if (main && keyArg < main.getNumArguments()) {
        auto name = main.getArgAttrOfType<mlir::StringAttr>(keyArg, "dlc.name");
        hasKey = name && name.getValue() == kRngKeyName;
        if (!hasKey)
          throw Failed{2, s.model + ": @main has an argument past the model's inputs that is not the random key"};
      }
    }
    std::string diag;
    {
      mlir::ScopedDiagnosticHandler handler(&ctx, [&](mlir::Diagnostic& d) {
        std::string text;
        llvm::raw_string_ostream os(text);
        os << d.getLocation() << ": " << d;
        diag += (diag.empty() ? "" : "\n") + os.str();
        return mlir::success();
      });
      std::string error;
      if (mlir::failed(buildTrainingStep(*module, spec, error)))
        throw Failed{1, s.model + ": cannot train: " + error + (diag.empty() ? "" : "\n" + diag)};
    }
    if ((failure = driver::runPipeline(*module, o))) throw Failed{failure.exitCode, failure.message};
    return module;
  };
  auto module = compileStep(s.checkpoint);
  rt::Program program;
  std::string error;
  if (!lowerToHost(*module, program, error)) throw Failed{2, s.model + ": " + error};
  int perParam = optimizerStatePerParam(spec);
  if (s.stats) {
    StepLayout layout;
    const auto count = static_cast<unsigned>(paramNames.size());
    for (unsigned i = 0; i < count; ++i) {
      StepLayout::Param p{paramNames[i], {1 + i}};
      for (int k = 0; k < perParam; ++k) p.results.push_back(1 + count + static_cast<unsigned>(k) * count + i);
      layout.params.push_back(p);
    }
    TrainStats ts = collectTrainStats(*module, layout);
    ts.checkpoint = s.checkpoint;
    if (s.checkpoint) {  // the same step compiled without, for comparison
      auto plain = compileStep(false);
      ts.peakWithoutCheckpoint = collectTrainStats(*plain, layout).compile.peakBytes;
    }
    if (s.json) printTrainStatsJson(s.model, ts, std::cout);
    else printTrainStatsText(ts, std::cout);
    std::cout.flush();
  }

  TrainStep step;
  step.program = std::move(program);
  step.dataCount = inputNames.size();
  step.paramCount = paramNames.size();
  step.stateCount = stateNames.size();
  step.hasKey = hasKey;
  step.perParam = perParam;
  step.lossScaleCount = static_cast<size_t>(lossScalingStateCount(spec));
  step.initialLossScale = static_cast<float>(spec.lossScaling.initialScale);
  // The results: the loss, the new parameters, the new optimizer state,
  // the new model state (spec.modelState's order), the new step counter,
  // the new loss scale and good-step counter.
  step.updates.push_back(0);  // the loss updates nothing
  for (size_t i = 0; i < step.paramCount; ++i) step.updates.push_back(step.paramInput(i));
  for (size_t k = 0; k < static_cast<size_t>(perParam) * step.paramCount; ++k)
    step.updates.push_back(step.labelsInput() + 1 + k);
  for (const auto& pair : spec.modelState) step.updates.push_back(pair.input);
  step.updates.push_back(step.stepInput());
  for (size_t k = 0; k < step.lossScaleCount; ++k) step.updates.push_back(step.lossScaleInput() + k);
  if (step.program.inputs.size() != step.inputCount() || step.program.outputs.size() != step.updates.size())
    throw Failed{2, s.model + ": the compiled training step takes " + std::to_string(step.program.inputs.size()) +
                        " inputs and gives " + std::to_string(step.program.outputs.size()) + " outputs; expected " +
                        std::to_string(step.inputCount()) + " and " + std::to_string(step.updates.size())};
  return step;
}

std::vector<rt::HostTensor> firstStepInputs(const TrainStep& step, const TrainSetup& setup) {
  const rt::Program& p = step.program;
  std::vector<rt::HostTensor> inputs;
  for (int32_t id : p.inputs) inputs.emplace_back(p.values[id].type);  // zeroed
  auto copy = [](const rt::HostTensor& t) { return rt::HostTensor(t.type(), t.data()); };
  for (size_t i = 0; i < step.paramCount; ++i) inputs[step.paramInput(i)] = copy(setup.params[i]);
  for (size_t i = 0; i < step.stateCount; ++i) inputs[step.stateInput(i)] = copy(setup.modelState[i]);
  if (step.lossScaleCount) inputs[step.lossScaleInput()].as<float>()[0] = step.initialLossScale;
  return inputs;
}

}  // namespace dlc::tool

