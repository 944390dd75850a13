// The train { } section (docs/dsl.md "Training"): checked here and stored as
// metadata_props `dlc.train.*` for `dlc train`.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "frontend/dsl/Translator.h"

namespace dlc::dsl {

namespace {

// The shortest decimal text that reads back as the same double.
std::string numberText(double v) {
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof(buf), "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

struct Optimizer {
  const char* name;
  std::vector<std::pair<std::string, double>> params;  // NaN: required
};

const std::vector<Optimizer>& optimizers() {
  static const std::vector<Optimizer> table = {
      {"sgd", {{"lr", NAN}, {"momentum", 0}, {"weight_decay", 0}}},
      {"adam", {{"lr", NAN}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0}}},
      {"adamw", {{"lr", NAN}, {"beta1", 0.9}, {"beta2", 0.999}, {"eps", 1e-8}, {"weight_decay", 0}}},
  };
  return table;
}

}  // namespace

void Translator::train(const Stmt& s, Scope& sc) {
  if (sawTrain_) {
    error(s.loc, "'train' is given twice");
    return;
  }
  sawTrain_ = true;
  // Labels are visible to the loss only: they are no inputs of the model.
  Scope labels;
  labels.parent = &sc;
  std::map<std::string, SourceLoc> settings;
  std::vector<std::string> labelNames;
  std::map<std::string, std::string> meta;
  for (const StmtPtr& st : s.body) {
    if (st->kind == Stmt::Kind::Label) {
      rt::DType dtype;
      bool ok = dtypeOf(st->type, dtype);
      std::vector<onnx_io::Dim> dims = inputDims(st->type, sc, ok);
      if (sc.lookup(st->name) || labels.names.count(st->name)) {
        const Binding* b = labels.lookup(st->name);
        error(st->nameLoc, "'" + st->name + "' is already defined at " + std::to_string(b->loc.line) + ":" +
                               std::to_string(b->loc.col));
        continue;
      }
      labels.names[st->name] = {ok ? Value::tensor(st->name, dtype) : Value::none(), st->nameLoc};
      std::string type = dslTypeName(dtype) + "[";
      for (size_t i = 0; i < dims.size(); ++i)
        type += (i ? ", " : "") + (dims[i].symbol.empty() ? std::to_string(dims[i].size) : dims[i].symbol);
      labelNames.push_back(st->name);
      meta["dlc.train.label." + st->name] = type + "]";
      continue;
    }
    // A setting.
    static const std::vector<std::string> known = {"loss", "optimizer", "batch_size", "epochs", "steps", "freeze"};
    const std::string& key = st->name;
    if (std::find(known.begin(), known.end(), key) == known.end()) {
      std::string c = closest(key, known);
      error(st->nameLoc, "unknown training setting '" + key + "'" + (c.empty() ? "" : "; did you mean '" + c + "'?") +
                             " (loss, optimizer, batch_size, epochs, steps, freeze)");
      continue;
    }
    if (settings.count(key)) {
      error(st->nameLoc, "'" + key + "' is set twice");
      continue;
    }
    settings[key] = st->nameLoc;
    const Expr& v = *st->value;
    if (key == "loss") {
      static const std::vector<std::string> losses = {"softmax_cross_entropy", "mse", "bce"};
      if (v.kind != Expr::Kind::Call || std::find(losses.begin(), losses.end(), v.text) == losses.end()) {
        std::string c = v.kind == Expr::Kind::Call ? closest(v.text, losses) : "";
        error(v.loc, "the loss is softmax_cross_entropy(logits, labels), mse(pred, target) or bce(logits, target)" +
                         (c.empty() ? "" : "; did you mean '" + c + "'?"));
        continue;
      }
      if (v.args.size() != 2 || !v.kwargs.empty()) {
        error(v.loc, v.text + " takes two arguments: the prediction and the target");
        continue;
      }
      std::vector<std::string> names;
      bool ok = true;
      for (size_t i = 0; i < 2; ++i) {
        const Expr& a = *v.args[i];
        if (a.kind != Expr::Kind::Name) {
          error(a.loc, "the loss's arguments name an output, an input or a label");
          ok = false;
          continue;
        }
        const Binding* b = labels.lookup(a.text);
        if (!b) {
          eval(a, labels);  // reports the undefined name
          ok = false;
          continue;
        }
        bool isOutput = std::find(outputs_.begin(), outputs_.end(), a.text) != outputs_.end();
        bool isLabel = labels.names.count(a.text) != 0;
        bool isInput = b->value.kind == Value::Kind::Tensor && b->value.s == a.text &&
                       !paramNames_.count(a.text) && !isOutput;
        if (i == 0 && !isOutput) {
          error(a.loc, "the loss's prediction '" + a.text + "' must be an output of the model (declare 'output " +
                           a.text + "')");
          ok = false;
          continue;
        }
        if (i == 1 && !isOutput && !isLabel && !isInput) {
          error(a.loc, "the loss's target '" + a.text + "' must be a label, an input or an output");
          ok = false;
          continue;
        }
        names.push_back(a.text);
      }
      if (!ok) continue;
      meta["dlc.train.loss"] = v.text;
      meta["dlc.train.loss.prediction"] = names[0];
      meta["dlc.train.loss.target"] = names[1];
    } else if (key == "optimizer") {
      const Optimizer* opt = nullptr;
      for (const Optimizer& o : optimizers())
        if ((v.kind == Expr::Kind::Call || v.kind == Expr::Kind::Name) && v.text == o.name) opt = &o;
      if (!opt) {
        error(v.loc, "the optimizer is sgd(lr=...), adam(lr=...) or adamw(lr=...)");
        continue;
      }
      if (!v.args.empty()) {
        error(v.args[0]->loc, v.text + " takes keyword arguments: " + v.text + "(lr=0.01, ...)");
        continue;
      }
      std::vector<std::pair<std::string, double>> values = opt->params;
      bool ok = true;
      for (const KwArg& k : v.kwargs) {
        auto it = std::find_if(values.begin(), values.end(), [&](const auto& p) { return p.first == k.name; });
        if (it == values.end()) {
          std::vector<std::string> names;
          for (const auto& p : values) names.push_back(p.first);
          std::string c = closest(k.name, names);
          error(k.loc, v.text + " has no setting '" + k.name + "'" + (c.empty() ? "" : "; did you mean '" + c + "'?"));
          ok = false;
          continue;
        }
        Value x = eval(*k.value, sc);
        if (!x.ok()) {
          ok = false;
          continue;
        }
        if (!x.number() || !std::isfinite(x.asDouble()) || x.asDouble() < 0) {
          error(k.value->loc, v.text + "'s " + k.name + " must be a non-negative number; this is " + describeValue(x));
          ok = false;
          continue;
        }
        it->second = x.asDouble();
      }
      for (const auto& [name, value] : values)
        if (std::isnan(value) && ok) {
          error(v.loc, v.text + " needs its learning rate: " + v.text + "(lr=...)");
          ok = false;
        }
      if (!ok) continue;
      meta["dlc.train.optimizer"] = v.text;
      for (const auto& [name, value] : values) meta["dlc.train.optimizer." + name] = numberText(value);
    } else if (key == "freeze") {
      if (v.kind != Expr::Kind::List) {
        error(v.loc, "freeze is a list of parameter names: freeze = [conv1.w, conv1.b]");
        continue;
      }
      std::string list;
      for (const ExprPtr& item : v.args) {
        if (item->kind != Expr::Kind::Name || !paramNames_.count(item->text)) {
          std::vector<std::string> params(paramNames_.begin(), paramNames_.end());
          std::string c = item->kind == Expr::Kind::Name ? closest(item->text, params) : "";
          error(item->loc, "freeze lists parameters (by their full names); " +
                               (item->kind == Expr::Kind::Name ? "'" + item->text + "' is not one" : std::string("this is not a name")) +
                               (c.empty() ? "" : "; did you mean '" + c + "'?"));
          continue;
        }
        list += (list.empty() ? "" : ",") + item->text;
      }
      meta["dlc.train.freeze"] = list;
    } else {  // batch_size, epochs, steps
      Value x = eval(v, sc);
      if (!x.ok()) continue;
      if (x.kind != Value::Kind::Int || x.i <= 0) {
        error(v.loc, key + " must be a positive integer; this is " + describeValue(x));
        continue;
      }
      meta["dlc.train." + key] = std::to_string(x.i);
    }
  }
  if (settings.count("epochs") && settings.count("steps"))
    error(settings["steps"], "give 'epochs' or 'steps', not both");
  for (const char* required : {"loss", "optimizer"})
    if (!settings.count(required)) error(s.loc, std::string("the train section needs a '") + required + "'");
  std::string labelList;
  for (const std::string& l : labelNames) labelList += (labelList.empty() ? "" : ",") + l;
  meta["dlc.train.labels"] = labelList;
  for (const auto& [key, value] : meta) builder_->setMetadata(key, value);
}

}  // namespace dlc::dsl
