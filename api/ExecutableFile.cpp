// Executable files in the public API: Executable::save and loadExecutable
// over runtime/Executable.h, the format `dlc compile -o` writes and `dlc run`
// reads. A loaded executable needs no compiler: its Session runs the Program
// the file holds.
#include "api/Internal.h"

namespace dlc {
namespace api {

namespace {

std::vector<TensorSpec> specs(const rt::Program& p, const std::vector<int32_t>& ids) {
  std::vector<TensorSpec> out;
  for (int32_t id : ids) {
    const rt::ValueInfo& v = p.values[id];
    out.push_back({v.name, fromRt(v.type.dtype), v.type.shape});
  }
  return out;
}

}  // namespace

std::shared_ptr<Executable::Impl> executableImpl(std::shared_ptr<const rt::Executable> file) {
  auto impl = std::make_shared<Executable::Impl>();
  const rt::Program& p = file->program;
  impl->modelName = file->info.modelName;
  impl->target = file->target == "cuda" ? Target::Cuda : Target::Host;
  impl->inputs = specs(p, p.inputs);
  impl->outputs = specs(p, p.outputs);
  CompileStats& s = impl->stats;
  s.kernels = static_cast<int>(p.kernels.size());
  for (const rt::Kernel& k : p.kernels) ++s.kernelsByKind[rt::kernelKindName(k.kind)];
  s.peakBytes = p.arenaBytes;
  for (const rt::ValueInfo& v : p.values)
    s.constantBytes += rt::storedConstantBytes(v);  // a splat: its one element
  // The Program lives as long as the file it belongs to.
  impl->program = std::shared_ptr<const rt::Program>(file, &file->program);
  impl->file = std::move(file);
  return impl;
}

}  // namespace api

void Executable::save(const std::string& path) const {
  api::translateExceptions([&] {
    if (!impl_) throw Error(1, path + ": an empty Executable (default-constructed) cannot be saved");
    try {
      rt::saveExecutable(*impl_->file, path);
    } catch (const rt::ExecutableError& e) {
      throw Error(1, e.what());
    }
  });
}

Status Executable::trySave(const std::string& path) const {
  return api::catchStatus([&] { save(path); });
}

Executable loadExecutable(const std::string& path) {
  Executable exe;
  api::translateExceptions([&] {
    try {
      auto impl = api::executableImpl(std::make_shared<rt::Executable>(rt::loadExecutable(path)));
      impl->modelName = path;  // run-time messages name the file, as `dlc run` does
      exe = Executable(std::move(impl));
    } catch (const rt::ExecutableError& e) {
      throw Error(1, e.what());
    }
  });
  return exe;
}

Status tryLoadExecutable(const std::string& path, Executable& out) {
  Executable exe;
  Status s = api::catchStatus([&] { exe = loadExecutable(path); });
  if (s.ok()) out = std::move(exe);
  return s;
}

}  // namespace dlc
