#include "runtime/cuda/CublasLt.h"

#include <cublasLt.h>

#include "runtime/cuda/CudaDevice.h"
#include "runtime/cuda/DynamicLibrary.h"

namespace dlc::rt::cuda {
namespace {

#define DLC_LT_CALLS(X)                                                                   \
  X(cublasLtCreate) X(cublasLtDestroy) X(cublasLtGetVersion) X(cublasLtGetStatusName)     \
  X(cublasLtGetStatusString) X(cublasLtMatmulDescCreate) X(cublasLtMatmulDescDestroy)     \
  X(cublasLtMatmulDescSetAttribute) X(cublasLtMatrixLayoutCreate)                         \
  X(cublasLtMatrixLayoutDestroy) X(cublasLtMatrixLayoutSetAttribute)                      \
  X(cublasLtMatmulPreferenceCreate) X(cublasLtMatmulPreferenceDestroy)                    \
  X(cublasLtMatmulPreferenceSetAttribute) X(cublasLtMatmulAlgoGetHeuristic) X(cublasLtMatmul)

struct Lt {
#define DLC_DECLARE(name) decltype(&::name) name = nullptr;
  DLC_LT_CALLS(DLC_DECLARE)
#undef DLC_DECLARE
  DynamicLibrary library;
  cublasLtHandle_t handle = nullptr;  // one per process, created on first use
  std::string why;
};

Lt* loadLt() {
  auto* lt = new Lt;  // never destroyed: the handle lives as long as the process
  std::string why;
  lt->library = DynamicLibrary::open(
      libraryCandidates({"libcublasLt.so.13", "libcublasLt.so"}, {"nvidia/cublas/lib", "nvidia/cu13/lib"}), why);
  if (!lt->library.loaded()) {
    lt->why = "cuBLASLt is needed for this model's matrix products and cannot be loaded: " + why;
    return lt;
  }
#define DLC_LOOKUP(name)                                                                   \
  lt->name = reinterpret_cast<decltype(lt->name)>(lt->library.symbol(#name));              \
  if (!lt->name) {                                                                         \
    lt->why = "cuBLASLt at " + lt->library.path() + " has no " #name;                      \
    return lt;                                                                             \
  }
  DLC_LT_CALLS(DLC_LOOKUP)
#undef DLC_LOOKUP
  return lt;
}

Lt& lt() {
  static Lt* l = loadLt();
  if (!l->why.empty()) throw DeviceUnavailable(l->why);
  return *l;
}

void checkLt(cublasStatus_t s, const char* call, const std::string& where) {
  if (s == CUBLAS_STATUS_SUCCESS) return;
  Lt& l = lt();
  throw DeviceError(where + ": " + call + " failed: " + l.cublasLtGetStatusName(s) + " (" +
                    l.cublasLtGetStatusString(s) + ")");
}

#define DLC_LT(call, ...) checkLt(lt().call(__VA_ARGS__), #call, where)

cudaDataType_t dataType(DType t, const std::string& where) {
  switch (t) {
    case DType::F32: return CUDA_R_32F;
    case DType::F16: return CUDA_R_16F;
    case DType::BF16: return CUDA_R_16BF;
    case DType::F64: return CUDA_R_64F;
    default:
      throw DeviceError(where + ": cuBLASLt GEMM on " + std::string(dtypeName(t)) +
                        " is not supported (codegen must generate this product)");
  }
}

cublasLtEpilogue_t epilogue(GemmEpilogue e) {
  switch (e) {
    case GemmEpilogue::None: return CUBLASLT_EPILOGUE_DEFAULT;
    case GemmEpilogue::Bias: return CUBLASLT_EPILOGUE_BIAS;
    case GemmEpilogue::Relu: return CUBLASLT_EPILOGUE_RELU;
    case GemmEpilogue::BiasRelu: return CUBLASLT_EPILOGUE_RELU_BIAS;
    case GemmEpilogue::Gelu: return CUBLASLT_EPILOGUE_GELU;
    case GemmEpilogue::BiasGelu: return CUBLASLT_EPILOGUE_GELU_BIAS;
  }
  return CUBLASLT_EPILOGUE_DEFAULT;
}

}  // namespace

std::string cublasLtUnavailableReason() {
  try {
    lt();
    return "";
  } catch (const DeviceError& e) {
    return e.what();
  }
}

struct LtGemmRunner::Impl {
  std::string where;
  GemmCall call;
  LtGemm map;
  bool f64 = false;
  cublasLtMatmulDesc_t desc = nullptr;
  cublasLtMatrixLayout_t a = nullptr, b = nullptr, c = nullptr, d = nullptr;
  cublasLtMatmulPreference_t pref = nullptr;
  cublasLtMatmulAlgo_t algo{};
  size_t workspace = 0;

  ~Impl() {
    if (pref) lt().cublasLtMatmulPreferenceDestroy(pref);
    for (auto* l : {a, b, c, d})
      if (l) lt().cublasLtMatrixLayoutDestroy(l);
    if (desc) lt().cublasLtMatmulDescDestroy(desc);
  }

  cublasLtMatrixLayout_t layout(const LtMatrix& m, cudaDataType_t type) {
    cublasLtMatrixLayout_t l = nullptr;
    DLC_LT(cublasLtMatrixLayoutCreate, &l, type, static_cast<uint64_t>(m.rows),
           static_cast<uint64_t>(m.cols), m.ld);
    if (map.batchCount > 1) {
      int32_t count = static_cast<int32_t>(map.batchCount);
      int64_t stride = m.batchStride;
      try {
        DLC_LT(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_BATCH_COUNT, &count, sizeof count);
        DLC_LT(cublasLtMatrixLayoutSetAttribute, l, CUBLASLT_MATRIX_LAYOUT_STRIDED_BATCH_OFFSET, &stride,
               sizeof stride);
      } catch (...) {
        lt().cublasLtMatrixLayoutDestroy(l);
        throw;
      }
    }
    return l;
  }
};

LtGemmRunner::LtGemmRunner(const GemmCall& call, const std::string& where) : impl_(new Impl) {
  Impl& g = *impl_;
  g.where = where;
  g.call = call;
  try {
    g.map = mapGemm(call);
  } catch (const GemmLayoutError& e) {
    throw DeviceError(where + ": the GEMM cannot be a cuBLASLt call: " + e.what());
  }
  lt();  // DeviceUnavailable first, before any descriptor
  Lt& l = lt();
  if (!l.handle) DLC_LT(cublasLtCreate, &l.handle);

  cudaDataType_t aType = dataType(g.map.swapped ? call.bType : call.aType, where);
  cudaDataType_t bType = dataType(g.map.swapped ? call.aType : call.bType, where);
  cudaDataType_t cdType = dataType(call.cdType, where);
  g.f64 = call.cdType == DType::F64;
  if (g.f64 != (call.aType == DType::F64) || g.f64 != (call.bType == DType::F64))
    throw DeviceError(where + ": a GEMM mixing f64 with other types");
  cublasComputeType_t compute = CUBLAS_COMPUTE_32F;
  if (g.f64) compute = CUBLAS_COMPUTE_64F;
  else if (call.allowTf32 && call.aType == DType::F32 && call.bType == DType::F32)
    compute = CUBLAS_COMPUTE_32F_FAST_TF32;
  DLC_LT(cublasLtMatmulDescCreate, &g.desc, compute, g.f64 ? CUDA_R_64F : CUDA_R_32F);
  cublasOperation_t ta = g.map.a.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  cublasOperation_t tb = g.map.b.transpose ? CUBLAS_OP_T : CUBLAS_OP_N;
  DLC_LT(cublasLtMatmulDescSetAttribute, g.desc, CUBLASLT_MATMUL_DESC_TRANSA, &ta, sizeof ta);
  DLC_LT(cublasLtMatmulDescSetAttribute, g.desc, CUBLASLT_MATMUL_DESC_TRANSB, &tb, sizeof tb);
  cublasLtEpilogue_t ep = epilogue(call.epilogue);
  DLC_LT(cublasLtMatmulDescSetAttribute, g.desc, CUBLASLT_MATMUL_DESC_EPILOGUE, &ep, sizeof ep);

  g.a = g.layout(g.map.a, aType);
  g.b = g.layout(g.map.b, bType);
  g.d = g.layout(g.map.d, cdType);
  g.c = g.map.c.value >= 0 ? g.layout(g.map.c, cdType) : nullptr;

  DLC_LT(cublasLtMatmulPreferenceCreate, &g.pref);
  uint64_t limit = kLtWorkspaceLimit;
  DLC_LT(cublasLtMatmulPreferenceSetAttribute, g.pref, CUBLASLT_MATMUL_PREF_MAX_WORKSPACE_BYTES, &limit,
         sizeof limit);
  // cuBLASLt assumes 256-byte aligned operands unless told otherwise.
  const std::pair<cublasLtMatmulPreferenceAttributes_t, int> aligns[] = {
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_A_BYTES, g.map.alignA},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_B_BYTES, g.map.alignB},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_C_BYTES, g.map.alignC},
      {CUBLASLT_MATMUL_PREF_MIN_ALIGNMENT_D_BYTES, g.map.alignD}};
  for (const auto& [attr, bytes] : aligns) {
    uint32_t v = static_cast<uint32_t>(bytes);
    DLC_LT(cublasLtMatmulPreferenceSetAttribute, g.pref, attr, &v, sizeof v);
  }
  cublasLtMatmulHeuristicResult_t result{};
  int found = 0;
  DLC_LT(cublasLtMatmulAlgoGetHeuristic, l.handle, g.desc, g.a, g.b, g.c ? g.c : g.d, g.d, g.pref, 1,
         &result, &found);
  if (found == 0 || result.state != CUBLAS_STATUS_SUCCESS)
    throw DeviceError(where + ": cuBLASLt has no algorithm for this GEMM (" + describe(g.map) + ")");
  g.algo = result.algo;
  g.workspace = result.workspaceSize;
}

LtGemmRunner::~LtGemmRunner() = default;

size_t LtGemmRunner::workspaceBytes() const { return impl_->workspace; }
const LtGemm& LtGemmRunner::mapping() const { return impl_->map; }

void LtGemmRunner::enqueue(CUstream stream, const GemmBuffers& buf, CUdeviceptr workspace,
                           size_t workspaceSize) const {
  const Impl& g = *impl_;
  const std::string& where = g.where;
  const GemmCall& call = g.call;
  Lt& l = lt();
  if (g.map.bias >= 0)
    DLC_LT(cublasLtMatmulDescSetAttribute, g.desc, CUBLASLT_MATMUL_DESC_BIAS_POINTER, &buf.bias,
           sizeof buf.bias);
  // Our A/B are cuBLASLt's B/A when swapped.
  CUdeviceptr aBase = g.map.swapped ? buf.b : buf.a, bBase = g.map.swapped ? buf.a : buf.b;
  int64_t aSize = dtypeSize(g.map.swapped ? call.bType : call.aType);
  int64_t bSize = dtypeSize(g.map.swapped ? call.aType : call.bType);
  int64_t cdSize = dtypeSize(call.cdType);
  double alpha64 = call.alpha, beta64 = g.map.c.value >= 0 ? call.beta : 0.0;
  float alpha32 = call.alpha, beta32 = static_cast<float>(beta64);
  const void* alpha = g.f64 ? static_cast<const void*>(&alpha64) : &alpha32;
  const void* beta = g.f64 ? static_cast<const void*>(&beta64) : &beta32;
  for (int64_t i = 0, n = g.map.calls(); i < n; ++i) {
    LtGemm::Offsets o = g.map.loopOffsets(i);
    auto at = [](CUdeviceptr base, int64_t elems, int64_t size) {
      return reinterpret_cast<void*>(base + static_cast<CUdeviceptr>(elems * size));
    };
    void* a = at(aBase, g.map.a.offset + o.a, aSize);
    void* b = at(bBase, g.map.b.offset + o.b, bSize);
    void* d = at(buf.d, g.map.d.offset + o.d, cdSize);
    void* c = g.c ? at(buf.c, g.map.c.offset + o.c, cdSize) : d;
    DLC_LT(cublasLtMatmul, l.handle, g.desc, alpha, a, g.a, b, g.b, beta, c, g.c ? g.c : g.d, d, g.d,
           &g.algo, reinterpret_cast<void*>(workspace), workspaceSize, reinterpret_cast<cudaStream_t>(stream));
  }
}

}  // namespace dlc::rt::cuda
