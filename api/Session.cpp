// Session: runs an executable on the host device (its Program,
// runtime/host/HostDevice.h) or on the GPU (its CudaPlan, through a
// CudaExecutor made once per session, runtime/cuda/CudaDevice.h) over the
// caller's tensors. Inputs and output buffers are checked here first, with
// the runtime's wording, so that nothing runs on a wrong call.
#include "api/Internal.h"
#include "dlc/Session.h"
#include "runtime/Executable.h"
#include "runtime/cuda/CudaDevice.h"
#include "runtime/host/HostDevice.h"

namespace dlc {

struct Session::Impl {
  Executable exe;
  Device device = Device::Host;
  std::unique_ptr<rt::cuda::CudaExecutor> cuda;  // Device::Cuda
};

namespace {

std::string prefix(const Executable& exe) { return exe.modelName() + ": "; }

void checkTensors(const Executable& exe, Device device, const std::vector<Tensor>& ts,
                  const std::vector<TensorSpec>& sig, bool outputs) {
  const char* what = outputs ? "output" : "input";
  if (ts.size() != sig.size()) {
    throw Error(1, prefix(exe) + (outputs ? "the model has " : "the model takes ") +
                       std::to_string(sig.size()) + " " + what + "(s), " + std::to_string(ts.size()) +
                       " given");
  }
  for (size_t i = 0; i < ts.size(); ++i) {
    std::string which = std::string(what) + " " + std::to_string(i) + " ('" + sig[i].name + "')";
    if (ts[i].isEmpty()) throw Error(1, prefix(exe) + which + ": an empty Tensor");
    if (ts[i].device() != ts[0].device())
      throw Error(1, prefix(exe) + which + ": a tensor on " + deviceName(ts[i].device()) + ", " + what +
                         " 0 is on " + deviceName(ts[0].device()) + " (all on one device)");
    if (ts[i].device() == Device::Cuda && device != Device::Cuda)
      throw Error(1, prefix(exe) + which + ": a tensor on cuda, the session runs on the host");
    if (ts[i].dtype() != sig[i].dtype || ts[i].shape() != sig[i].shape) {
      // The runtime's words for inputs (what the tool prints for a bad input file).
      throw Error(1, prefix(exe) + which + (outputs ? " is " : " must be ") + sig[i].typeString() +
                         (outputs ? ", the tensor given for it is " : ", got ") + ts[i].typeString());
    }
    if (outputs && ts[i].isReadOnly())
      throw Error(1, prefix(exe) + which + ": a read-only Tensor::wrap view cannot take an output");
  }
}

void runChecked(const Session::Impl& s, const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  const Executable& exe = s.exe;
  checkTensors(exe, s.device, inputs, exe.inputs(), false);
  checkTensors(exe, s.device, outputs, exe.outputs(), true);
  bool onDevice = !inputs.empty() ? inputs[0].device() == Device::Cuda
                                  : !outputs.empty() && outputs[0].device() == Device::Cuda;
  if (!inputs.empty() && !outputs.empty() && inputs[0].device() != outputs[0].device())
    throw Error(1, prefix(exe) + "inputs on " + deviceName(inputs[0].device()) + ", outputs on " +
                       deviceName(outputs[0].device()) + ": give both on one device");
  try {
    if (onDevice) {
      std::vector<rt::cuda::DeviceTensorRef> in, out;
      for (const Tensor& t : inputs)
        in.push_back({reinterpret_cast<uint64_t>(t.rawData()), api::constRef(t).type});
      for (Tensor& t : outputs) out.push_back({reinterpret_cast<uint64_t>(t.mutableData()), api::constRef(t).type});
      s.cuda->runDevice(in, out);
      return;
    }
    std::vector<rt::ConstTensorRef> in;
    for (const Tensor& t : inputs) in.push_back(api::constRef(t));
    std::vector<rt::TensorRef> out;
    for (Tensor& t : outputs) out.push_back(api::mutableRef(t));
    if (s.cuda) s.cuda->run(in, out);
    else rt::runOnHost(*exe.impl()->program, in, out);
  } catch (const rt::RunError& e) {
    throw Error(1, prefix(exe) + e.what());
  } catch (const rt::cuda::DeviceUnavailable& e) {
    throw Error(1, prefix(exe) + "cuda: " + e.what());
  } catch (const rt::cuda::DeviceError& e) {
    throw Error(2, prefix(exe) + "cuda: " + e.what());
  }
}

Session::Impl& nonEmpty(const std::unique_ptr<Session::Impl>& impl) {
  if (!impl) throw Error(1, "an empty Session (default-constructed or moved from) cannot run");
  return *impl;
}

std::vector<Tensor> freshOutputs(const Executable& exe) {
  std::vector<Tensor> outs;
  for (const TensorSpec& o : exe.outputs()) outs.emplace_back(o.dtype, o.shape);
  return outs;
}

}  // namespace

Session::Session() = default;
Session::~Session() = default;
Session::Session(Session&&) noexcept = default;
Session& Session::operator=(Session&&) noexcept = default;

Session::Session(const Executable& executable, Device device) {
  if (executable.isEmpty()) throw Error(1, "Session: the executable is empty (compile a model first)");
  auto impl = std::make_unique<Impl>();
  impl->exe = executable;
  api::translateExceptions([&] {
    const std::string who = "Session(" + executable.modelName() + "): ";
    const auto& file = executable.impl()->file;
    bool hasPlan = file && file->cuda.has_value();
    bool cuda = false;
    if (device == Device::Cuda) {
      if (!hasPlan)
        throw Error(1, who + "device cuda: the executable was compiled for the host (compile with Target::Cuda)");
      if (std::string why = rt::cuda::unavailableReason(); !why.empty())
        throw Error(1, who + "device cuda: " + why);
      cuda = true;
    } else if (device == Device::Auto) {
      cuda = hasPlan && rt::cuda::unavailableReason().empty();
    }
    if (!cuda) return;
    try {
      impl->cuda = std::make_unique<rt::cuda::CudaExecutor>(file->program, *file->cuda, rt::cuda::RunOptions{});
    } catch (const rt::cuda::DeviceUnavailable& e) {
      throw Error(1, who + "device cuda: " + e.what());
    } catch (const rt::cuda::DeviceError& e) {
      throw Error(2, who + "device cuda: " + e.what());
    }
    impl->device = Device::Cuda;
  });
  impl_ = std::move(impl);
}

Status Session::tryCreate(const Executable& executable, Device device, Session& out) {
  return api::catchStatus([&] { out = Session(executable, device); });
}

Device Session::device() const { return nonEmpty(impl_).device; }
const Executable& Session::executable() const { return nonEmpty(impl_).exe; }

std::vector<Tensor> Session::run(const std::vector<Tensor>& inputs) {
  std::vector<Tensor> outputs;
  api::translateExceptions([&] {
    const Impl& s = nonEmpty(impl_);
    std::vector<Tensor> outs = freshOutputs(s.exe);
    runChecked(s, inputs, outs);
    outputs = std::move(outs);
  });
  return outputs;
}

void Session::runInto(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  api::translateExceptions([&] { runChecked(nonEmpty(impl_), inputs, outputs); });
}

Status Session::tryRun(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  return api::catchStatus([&] { outputs = run(inputs); });
}

Status Session::tryRunInto(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs) {
  return api::catchStatus([&] { runInto(inputs, outputs); });
}

}  // namespace dlc
