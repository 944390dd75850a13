#include "runtime/cuda/Cudnn.h"

#include "runtime/cuda/CudaDevice.h"

#ifdef DLC_NO_CUDNN
// Built without cudnn.h: every convolution step is refused with the reason.
namespace dlc::rt::cuda {
struct CudnnConvRunner::Impl {};
std::string cudnnUnavailableReason() { return "this dlc was built without cuDNN's headers (cudnn.h)"; }
CudnnConvRunner::CudnnConvRunner(const ConvCall&, CUstream, const std::string& where) {
  throw DeviceUnavailable(where + ": " + cudnnUnavailableReason());
}
CudnnConvRunner::~CudnnConvRunner() = default;
size_t CudnnConvRunner::workspaceBytes() const { return 0; }
void CudnnConvRunner::enqueue(const ConvBuffers&, CUdeviceptr, size_t) const {}
}  // namespace dlc::rt::cuda
#else

#include <cudnn.h>

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/DynamicLibrary.h"

namespace dlc::rt::cuda {
namespace {

#define DLC_CUDNN_CALLS(X)                                                                   \
  X(cudnnGetVersion) X(cudnnGetErrorString) X(cudnnCreate) X(cudnnDestroy) X(cudnnSetStream) \
  X(cudnnCreateTensorDescriptor) X(cudnnSetTensorNdDescriptor) X(cudnnDestroyTensorDescriptor) \
  X(cudnnCreateFilterDescriptor) X(cudnnSetFilterNdDescriptor) X(cudnnDestroyFilterDescriptor) \
  X(cudnnCreateConvolutionDescriptor) X(cudnnSetConvolutionNdDescriptor)                     \
  X(cudnnSetConvolutionGroupCount) X(cudnnSetConvolutionMathType)                            \
  X(cudnnDestroyConvolutionDescriptor) X(cudnnGetConvolutionNdForwardOutputDim)              \
  X(cudnnGetConvolutionForwardAlgorithm_v7) X(cudnnGetConvolutionForwardWorkspaceSize)       \
  X(cudnnConvolutionForward) X(cudnnAddTensor) X(cudnnCreateActivationDescriptor)            \
  X(cudnnSetActivationDescriptor) X(cudnnDestroyActivationDescriptor) X(cudnnActivationForward)

struct Dnn {
#define DLC_DECLARE(name) decltype(&::name) name = nullptr;
  DLC_CUDNN_CALLS(DLC_DECLARE)
#undef DLC_DECLARE
  DynamicLibrary library;
  cudnnHandle_t handle = nullptr;  // one per process (cudnnCreate is slow), made on first use
  std::string why;
};

Dnn* loadDnn() {
  auto* d = new Dnn;  // never destroyed (see DynamicLibrary)
  std::string why;
  d->library = DynamicLibrary::open(libraryCandidates({"libcudnn.so.9", "libcudnn.so"},
                                                      {"nvidia/cudnn/lib", "nvidia/cu13/lib"}),
                                    why);
  if (!d->library.loaded()) {
    d->why = "cuDNN is needed for this model's convolutions and cannot be loaded: " + why;
    return d;
  }
#define DLC_LOOKUP(name)                                                                   \
  d->name = reinterpret_cast<decltype(d->name)>(d->library.symbol(#name));                 \
  if (!d->name) {                                                                          \
    d->why = "cuDNN at " + d->library.path() + " has no " #name " (cuDNN 9 is needed)";    \
    return d;                                                                              \
  }
  DLC_CUDNN_CALLS(DLC_LOOKUP)
#undef DLC_LOOKUP
  return d;
}

Dnn& dnn() {
  static Dnn* d = loadDnn();
  if (!d->why.empty()) throw DeviceUnavailable(d->why);
  return *d;
}

void checkDnn(cudnnStatus_t s, const char* call, const std::string& where) {
  if (s == CUDNN_STATUS_SUCCESS) return;
  throw DeviceError(where + ": " + call + " failed: " + dnn().cudnnGetErrorString(s) + " (status " +
                    std::to_string(static_cast<int>(s)) + ")");
}

#define DLC_DNN(call, ...) checkDnn(dnn().call(__VA_ARGS__), #call, where)

cudnnDataType_t dataType(DType t, const std::string& where) {
  switch (t) {
    case DType::F32: return CUDNN_DATA_FLOAT;
    case DType::F16: return CUDNN_DATA_HALF;
    case DType::BF16: return CUDNN_DATA_BFLOAT16;
    case DType::F64: return CUDNN_DATA_DOUBLE;
    default:
      throw DeviceError(where + ": cuDNN convolution on " + std::string(dtypeName(t)) +
                        " is not supported (codegen must generate this convolution)");
  }
}

bool isTensorOp(cudnnMathType_t m) { return m == CUDNN_TENSOR_OP_MATH || m == CUDNN_TENSOR_OP_MATH_ALLOW_CONVERSION; }

}  // namespace

std::string cudnnUnavailableReason() {
  try {
    dnn();
    return "";
  } catch (const DeviceError& e) {
    return e.what();
  }
}

struct CudnnConvRunner::Impl {
  std::string where;
  ConvCall call;
  CudnnConv map;
  CUstream stream = nullptr;
  cudnnTensorDescriptor_t x = nullptr, y = nullptr, bias = nullptr;
  cudnnFilterDescriptor_t w = nullptr;
  cudnnConvolutionDescriptor_t conv = nullptr;
  cudnnActivationDescriptor_t relu = nullptr;
  cudnnConvolutionFwdAlgo_t algo = CUDNN_CONVOLUTION_FWD_ALGO_IMPLICIT_GEMM;
  size_t workspace = 0;

  ~Impl() {
    if (!x) return;  // nothing was created (cuDNN may not even be loaded)
    Dnn& d = dnn();
    if (relu) d.cudnnDestroyActivationDescriptor(relu);
    if (conv) d.cudnnDestroyConvolutionDescriptor(conv);
    if (w) d.cudnnDestroyFilterDescriptor(w);
    for (auto* t : {x, y, bias})
      if (t) d.cudnnDestroyTensorDescriptor(t);
  }
};

CudnnConvRunner::CudnnConvRunner(const ConvCall& call, CUstream stream, const std::string& where)
    : impl_(new Impl) {
  Impl& c = *impl_;
  c.where = where;
  c.call = call;
  try {
    c.map = mapConv(call);
  } catch (const ConvLayoutError& e) {
    throw DeviceError(where + ": the convolution cannot be a cuDNN call: " + e.what());
  }
  dnn();  // DeviceUnavailable before anything else
  cudnnDataType_t type = dataType(call.dtype, where);
  bool f64 = call.dtype == DType::F64;
  const CudnnConv& m = c.map;
  c.stream = stream;
  Dnn& lib = dnn();
  if (!lib.handle) DLC_DNN(cudnnCreate, &lib.handle);
  cudnnHandle_t handle = lib.handle;
  DLC_DNN(cudnnCreateTensorDescriptor, &c.x);
  DLC_DNN(cudnnSetTensorNdDescriptor, c.x, type, m.nbDims, m.xDims.data(), m.xStrides.data());
  DLC_DNN(cudnnCreateTensorDescriptor, &c.y);
  DLC_DNN(cudnnSetTensorNdDescriptor, c.y, type, m.nbDims, m.yDims.data(), m.yStrides.data());
  DLC_DNN(cudnnCreateFilterDescriptor, &c.w);
  DLC_DNN(cudnnSetFilterNdDescriptor, c.w, type, CUDNN_TENSOR_NCHW, m.nbDims, m.wDims.data());
  DLC_DNN(cudnnCreateConvolutionDescriptor, &c.conv);
  // Accumulation: f32 for f32/f16/bf16 (as the host device's policy), f64 for f64.
  DLC_DNN(cudnnSetConvolutionNdDescriptor, c.conv, m.nbDims - 2, m.pad.data(), m.stride.data(),
          m.dilation.data(), CUDNN_CROSS_CORRELATION, f64 ? CUDNN_DATA_DOUBLE : CUDNN_DATA_FLOAT);
  DLC_DNN(cudnnSetConvolutionGroupCount, c.conv, m.groups);
  // f32 without TF32: FMA kernels only (cuDNN's default math may use TF32
  // tensor cores for f32). f16/bf16 use tensor cores, accumulating in f32.
  bool strictF32 = call.dtype == DType::F32 && !call.allowTf32;
  cudnnMathType_t math = strictF32 ? CUDNN_FMA_MATH
                         : (call.dtype == DType::F16 || call.dtype == DType::BF16) ? CUDNN_TENSOR_OP_MATH
                                                                                   : CUDNN_DEFAULT_MATH;
  DLC_DNN(cudnnSetConvolutionMathType, c.conv, math);

  std::vector<int> out(m.nbDims);
  DLC_DNN(cudnnGetConvolutionNdForwardOutputDim, c.conv, c.x, c.w, m.nbDims, out.data());
  if (out != m.yDims)
    throw DeviceError(where + ": cuDNN computes another output shape for this convolution than " +
                      shapeString(call.yShape));

  cudnnConvolutionFwdAlgoPerf_t perf[CUDNN_CONVOLUTION_FWD_ALGO_COUNT];
  int found = 0;
  DLC_DNN(cudnnGetConvolutionForwardAlgorithm_v7, handle, c.x, c.w, c.conv, c.y,
          CUDNN_CONVOLUTION_FWD_ALGO_COUNT, &found, perf);
  bool chosen = false;
  for (int i = 0; i < found && !chosen; ++i) {
    const cudnnConvolutionFwdAlgoPerf_t& p = perf[i];
    if (p.status != CUDNN_STATUS_SUCCESS || p.memory > kCudnnWorkspaceLimit) continue;
    if (strictF32 && isTensorOp(p.mathType)) continue;
    c.algo = p.algo;
    DLC_DNN(cudnnSetConvolutionMathType, c.conv, p.mathType);
    chosen = true;
  }
  if (!chosen)
    throw DeviceError(where + ": cuDNN offers no forward algorithm for this convolution (input " +
                      shapeString(call.xShape) + ", filter " + shapeString(call.wShape) + ", " +
                      std::to_string(m.groups) + " group(s))");
  DLC_DNN(cudnnGetConvolutionForwardWorkspaceSize, handle, c.x, c.w, c.conv, c.y, c.algo, &c.workspace);

  if (call.bias >= 0) {
    DLC_DNN(cudnnCreateTensorDescriptor, &c.bias);
    DLC_DNN(cudnnSetTensorNdDescriptor, c.bias, type, m.nbDims, m.biasDims.data(), m.biasStrides.data());
  }
  if (call.activation == ConvActivation::Relu) {
    DLC_DNN(cudnnCreateActivationDescriptor, &c.relu);
    DLC_DNN(cudnnSetActivationDescriptor, c.relu, CUDNN_ACTIVATION_RELU, CUDNN_NOT_PROPAGATE_NAN, 0.0);
  }
}

CudnnConvRunner::~CudnnConvRunner() = default;

size_t CudnnConvRunner::workspaceBytes() const { return impl_->workspace; }

void CudnnConvRunner::enqueue(const ConvBuffers& buf, CUdeviceptr workspace, size_t workspaceSize) const {
  const Impl& c = *impl_;
  const std::string& where = c.where;
  // Scaling factors are double for double data, float otherwise.
  double one64 = 1.0, zero64 = 0.0;
  float one32 = 1.0f, zero32 = 0.0f;
  bool f64 = c.call.dtype == DType::F64;
  const void* one = f64 ? static_cast<const void*>(&one64) : &one32;
  const void* zero = f64 ? static_cast<const void*>(&zero64) : &zero32;
  auto ptr = [](CUdeviceptr p) { return reinterpret_cast<void*>(p); };
  cudnnHandle_t handle = dnn().handle;
  DLC_DNN(cudnnSetStream, handle, reinterpret_cast<cudaStream_t>(c.stream));
  DLC_DNN(cudnnConvolutionForward, handle, one, c.x, ptr(buf.x), c.w, ptr(buf.w), c.conv, c.algo,
          ptr(workspace), workspaceSize, zero, c.y, ptr(buf.y));
  if (c.bias) DLC_DNN(cudnnAddTensor, handle, one, c.bias, ptr(buf.bias), one, c.y, ptr(buf.y));
  if (c.relu) DLC_DNN(cudnnActivationForward, handle, c.relu, one, c.y, ptr(buf.y), zero, c.y, ptr(buf.y));
}

}  // namespace dlc::rt::cuda
#endif  // DLC_NO_CUDNN
