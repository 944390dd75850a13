// Loading models: read and parse here (so that a missing file or bytes that
// are not a model fail at load), import at compile time (Compile.cpp), where
// the input shapes are known. The messages are those the importer and the
// driver give the dlc tool for the same failure; ApiTest compares them.
#include <filesystem>

#include "api/Internal.h"
#include "frontend/dsl/Dsl.h"
#include "frontend/onnx/ModelFile.h"

#include "onnx/onnx_pb.h"

namespace fs = std::filesystem;

namespace dlc {
namespace {

using Source = Model::Impl::Source;

// The file's bytes; `missing` is the message for a path that is not a file.
std::string readFile(const std::string& path, const std::string& missing) {
  try {
    return onnx_io::readFileBytes(path, missing);
  } catch (const onnx_io::ModelFileError& e) {
    throw Error(1, e.what());
  }
}

// The importer's first checks, at load (frontend/onnx/ModelFile.h).
void checkOnnx(const std::string& bytes, const std::string& name) {
  onnx::ModelProto model;
  try {
    onnx_io::parseModel(bytes, name, model);
  } catch (const onnx_io::ModelFileError& e) {
    throw Error(1, e.what());
  }
}

// DSL source -> its ONNX translation; syntax and meaning errors are the
// frontend's diagnostics, as the tool prints them.
std::string translateDsl(const std::string& source, const std::string& name, const std::string& baseDir) {
  dsl::Translation t = dsl::translateToOnnx(source, name, baseDir);
  if (!t.ok()) throw Error(1, t.errors);
  return std::move(t.modelBytes);
}

Model make(Model::Impl impl) { return Model(std::make_shared<const Model::Impl>(std::move(impl))); }

Status tryLoad(const std::function<Model()>& load, Model& out) {
  Model m;
  Status s = api::catchStatus([&] { m = load(); });
  if (s.ok()) out = std::move(m);
  return s;
}

}  // namespace

Model::Model() = default;
Model::~Model() = default;
Model::Model(const Model&) = default;
Model& Model::operator=(const Model&) = default;
Model::Model(Model&&) noexcept = default;
Model& Model::operator=(Model&&) noexcept = default;
Model::Model(std::shared_ptr<const Impl> impl) : impl_(std::move(impl)) {}

Model Model::fromFile(const std::string& path) {
  std::string ext = fs::path(path).extension().string();
  if (ext == ".dlc") return fromDslFile(path);
  if (ext == ".mlir") {
    std::error_code ec;
    if (!fs::exists(path, ec)) throw Error(1, path + ": no such file");
    Impl impl;
    impl.source = Source::IrFile;
    impl.name = path;
    return make(std::move(impl));
  }
  return fromOnnxFile(path);
}

Model Model::fromOnnxFile(const std::string& path) {
  Impl impl;
  api::translateExceptions([&] { checkOnnx(readFile(path, path + ": no such model file"), path); });
  impl.source = Source::OnnxFile;
  impl.name = path;
  return make(std::move(impl));
}

Model Model::fromOnnxBytes(std::string bytes, const std::string& name, const std::string& baseDir) {
  api::translateExceptions([&] { checkOnnx(bytes, name); });
  Impl impl;
  impl.source = Source::OnnxBytes;
  impl.name = name;
  impl.text = std::move(bytes);
  impl.baseDir = baseDir;
  return make(std::move(impl));
}

Model Model::fromDslFile(const std::string& path) {
  Impl impl;
  api::translateExceptions([&] {
    std::string source = readFile(path, path + ": no such file");
    impl.onnx = translateDsl(source, path, fs::path(path).parent_path().string());
  });
  impl.source = Source::DslFile;
  impl.name = path;
  return make(std::move(impl));
}

Model Model::fromDslString(std::string source, const std::string& name, const std::string& baseDir) {
  Impl impl;
  api::translateExceptions([&] { impl.onnx = translateDsl(source, name, baseDir); });
  impl.source = Source::DslString;
  impl.name = name;
  impl.text = std::move(source);
  impl.baseDir = baseDir;
  return make(std::move(impl));
}

Status Model::tryFromFile(const std::string& path, Model& out) {
  return tryLoad([&] { return fromFile(path); }, out);
}
Status Model::tryFromOnnxFile(const std::string& path, Model& out) {
  return tryLoad([&] { return fromOnnxFile(path); }, out);
}
Status Model::tryFromOnnxBytes(std::string bytes, const std::string& name, const std::string& baseDir,
                               Model& out) {
  return tryLoad([&] { return fromOnnxBytes(std::move(bytes), name, baseDir); }, out);
}
Status Model::tryFromDslFile(const std::string& path, Model& out) {
  return tryLoad([&] { return fromDslFile(path); }, out);
}
Status Model::tryFromDslString(std::string source, const std::string& name, const std::string& baseDir,
                               Model& out) {
  return tryLoad([&] { return fromDslString(std::move(source), name, baseDir); }, out);
}

bool Model::isEmpty() const { return !impl_; }

const std::string& Model::name() const {
  static const std::string kEmpty;
  return impl_ ? impl_->name : kEmpty;
}

ModelFormat Model::format() const {
  if (!impl_) throw Error(1, "an empty Model (default-constructed) has no format");
  switch (impl_->source) {
    case Source::DslFile:
    case Source::DslString: return ModelFormat::Dsl;
    case Source::IrFile: return ModelFormat::Ir;
    default: return ModelFormat::Onnx;
  }
}

std::string Model::toOnnx() const {
  if (!impl_) throw Error(1, "an empty Model (default-constructed) has no ONNX form");
  switch (impl_->source) {
    case Source::OnnxFile: {
      std::string bytes;
      api::translateExceptions([&] { bytes = readFile(impl_->name, impl_->name + ": no such model file"); });
      return bytes;
    }
    case Source::OnnxBytes:
    case Source::Built: return impl_->text;
    case Source::DslFile:
    case Source::DslString: return impl_->onnx;
    case Source::IrFile: break;
  }
  throw Error(1, impl_->name + ": a model in dlc IR text has no ONNX form");
}

}  // namespace dlc
