// Running: a Session executes an Executable on a device. Inputs are checked
// against the signature (count, dtype, shape, device) before anything runs.
#pragma once

#include <memory>
#include <vector>

#include "dlc/Compile.h"
#include "dlc/Error.h"
#include "dlc/Export.h"
#include "dlc/Tensor.h"

namespace dlc {

class DLC_API Session {
 public:
  Session();  // empty: run() refuses
  // Device::Host runs on the host reference device (any executable);
  // Device::Cuda runs a Target::Cuda executable on the GPU (an Error, code 1,
  // naming the reason where there is no usable GPU or the executable was
  // compiled for the host); Device::Auto picks Cuda when both hold, else the
  // host. The session keeps what it needs of the executable alive; on CUDA
  // the module is loaded and the device memory allocated once, here.
  explicit Session(const Executable& executable, Device device = Device::Auto);
  static Status tryCreate(const Executable& executable, Device device, Session& out);
  ~Session();
  Session(Session&&) noexcept;
  Session& operator=(Session&&) noexcept;
  Session(const Session&) = delete;
  Session& operator=(const Session&) = delete;

  // The device the session runs on (never Auto).
  Device device() const;
  const Executable& executable() const;

  // Runs the model; returns the outputs in signature order, each a tensor of
  // its own. Inputs may be views (Tensor::wrap): they are read in place.
  std::vector<Tensor> run(const std::vector<Tensor>& inputs);
  // Zero-copy outputs: output i is written into outputs[i], which must have
  // the signature's dtype and shape and be writable (an owning tensor or a
  // Tensor::wrap view of the caller's buffer).
  void runInto(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);

  // As run(inputs), without exceptions: the outputs are put into `outputs`.
  Status tryRun(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);
  // As runInto, without exceptions.
  Status tryRunInto(const std::vector<Tensor>& inputs, std::vector<Tensor>& outputs);

  struct Impl;  // for the library's own use

 private:
  std::unique_ptr<Impl> impl_;
};

}  // namespace dlc
