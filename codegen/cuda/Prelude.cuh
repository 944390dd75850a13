// The prelude of every generated CUDA module: the element types, the
// conversions and the op semantics of runtime/host/Kernels.h, written so the
// module compiles with NVRTC with no #include and no include path.
//
// The same text also compiles as plain C++ (g++ -std=c++20): then the CUDA
// built-ins (threadIdx, __syncthreads, warp shuffles, atomics, __shared__)
// are emulated on host threads, so the differential tests run the generated
// kernels on a machine with no GPU (DLC_HOST_EMULATION below).
#if defined(__CUDACC__) || defined(__CUDACC_RTC__)
#define DLC_FN __device__ __forceinline__
#define DLC_UNROLL _Pragma("unroll")
#else
#define DLC_HOST_EMULATION 1
#endif

#ifdef DLC_HOST_EMULATION
//===--- host emulation of the CUDA execution model ------------------------===//
// Blocks run one after another. A kernel that never synchronises runs its
// threads one after another on the calling thread; one that does (block
// reductions) runs each thread of a block on a std::thread, with
// __syncthreads a std::barrier over the block and a warp shuffle an exchange
// through a per-warp slot array between two warp barriers.
#include <atomic>
#include <barrier>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>
#define DLC_FN inline
#define __global__
#define __device__
#define __forceinline__ inline
// One copy per kernel function: the threads of the running block share it.
#define __shared__ static
#define __restrict__ __restrict
#define __launch_bounds__(...)
#define DLC_UNROLL
struct dim3 {
  unsigned x = 1, y = 1, z = 1;
};
namespace dlc_emu {
inline thread_local dim3 tIdx, bIdx;
inline dim3 bDim, gDim;
inline std::barrier<>* blockBarrier = nullptr;
inline std::vector<std::unique_ptr<std::barrier<>>> warpBarriers;
inline std::vector<unsigned long long> warpSlots;
inline std::mutex atomicMutex;
inline unsigned flatThread() { return tIdx.x + bDim.x * (tIdx.y + bDim.y * tIdx.z); }
inline unsigned blockThreads() { return bDim.x * bDim.y * bDim.z; }

template <typename F>
void launch(dim3 grid, dim3 block, bool synchronises, F&& body) {
  gDim = grid;
  bDim = block;
  const unsigned n = blockThreads();
  for (unsigned bz = 0; bz < grid.z; ++bz)
    for (unsigned by = 0; by < grid.y; ++by)
      for (unsigned bx = 0; bx < grid.x; ++bx) {
        dim3 b{bx, by, bz};
        auto run = [&](unsigned t) {
          bIdx = b;
          tIdx = {t % block.x, (t / block.x) % block.y, t / (block.x * block.y)};
          body();
        };
        if (!synchronises) {
          for (unsigned t = 0; t < n; ++t) run(t);
          continue;
        }
        std::barrier<> barrier(n);
        blockBarrier = &barrier;
        warpBarriers.clear();
        for (unsigned w = 0; w < (n + 31) / 32; ++w)
          warpBarriers.push_back(std::make_unique<std::barrier<>>(n - w * 32 < 32 ? n - w * 32 : 32));
        warpSlots.assign(n, 0);
        std::vector<std::thread> threads;
        for (unsigned t = 0; t < n; ++t) threads.emplace_back(run, t);
        for (std::thread& th : threads) th.join();
        blockBarrier = nullptr;
      }
}
}  // namespace dlc_emu
#define threadIdx (dlc_emu::tIdx)
#define blockIdx (dlc_emu::bIdx)
#define blockDim (dlc_emu::bDim)
#define gridDim (dlc_emu::gDim)
inline void __syncthreads() { dlc_emu::blockBarrier->arrive_and_wait(); }
template <typename T>
T __shfl_xor_sync(unsigned, T v, int laneMask) {
  static_assert(sizeof(T) <= 8, "a register value");
  unsigned t = dlc_emu::flatThread(), n = dlc_emu::blockThreads();
  std::barrier<>& warp = *dlc_emu::warpBarriers[t / 32];
  unsigned long long bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  dlc_emu::warpSlots[t] = bits;
  warp.arrive_and_wait();
  unsigned from = (t & ~31u) | ((t & 31u) ^ static_cast<unsigned>(laneMask));
  if (from < n) bits = dlc_emu::warpSlots[from];
  warp.arrive_and_wait();
  T out;
  std::memcpy(&out, &bits, sizeof(T));
  return out;
}
inline int atomicCAS(int* p, int expected, int desired) {
  std::lock_guard<std::mutex> lock(dlc_emu::atomicMutex);
  int old = *p;
  if (old == expected) *p = desired;
  return old;
}
#endif  // DLC_HOST_EMULATION

//===--- element types -------------------------------------------------------===//
// Storage types as in memory; f16, bf16 and i1 are distinct structs so that
// loads and stores overload on them. Registers hold f16/bf16 as float
// (rounded to the 16-bit type after every op, as the host device does) and i1
// as bool.
typedef long long dlc_i64;
typedef unsigned long long dlc_u64;
struct dlc_f16 { unsigned short bits; };
struct dlc_bf16 { unsigned short bits; };
struct dlc_i1 { unsigned char v; };

DLC_FN unsigned dlc_f32_bits(float f) {
#ifdef DLC_HOST_EMULATION
  unsigned u; std::memcpy(&u, &f, 4); return u;
#else
  return __float_as_uint(f);
#endif
}
DLC_FN float dlc_bits_f32(unsigned u) {
#ifdef DLC_HOST_EMULATION
  float f; std::memcpy(&f, &u, 4); return f;
#else
  return __uint_as_float(u);
#endif
}
DLC_FN dlc_u64 dlc_f64_bits(double d) {
#ifdef DLC_HOST_EMULATION
  dlc_u64 u; std::memcpy(&u, &d, 8); return u;
#else
  return static_cast<dlc_u64>(__double_as_longlong(d));
#endif
}
DLC_FN double dlc_bits_f64(dlc_u64 u) {
#ifdef DLC_HOST_EMULATION
  double d; std::memcpy(&d, &u, 8); return d;
#else
  return __longlong_as_double(static_cast<long long>(u));
#endif
}

//===--- math: one name per function, float and double --------------------===//
#ifdef DLC_HOST_EMULATION
#define DLC_MATH1(name, f, d) \
  DLC_FN float name(float x) { return std::d(x); } \
  DLC_FN double name(double x) { return std::d(x); }
#define DLC_MATH2(name, f, d) \
  DLC_FN float name(float x, float y) { return std::d(x, y); } \
  DLC_FN double name(double x, double y) { return std::d(x, y); }
#else
#define DLC_MATH1(name, f, d) \
  DLC_FN float name(float x) { return f(x); } \
  DLC_FN double name(double x) { return d(x); }
#define DLC_MATH2(name, f, d) \
  DLC_FN float name(float x, float y) { return f(x, y); } \
  DLC_FN double name(double x, double y) { return d(x, y); }
#endif
DLC_MATH1(dlc_exp, expf, exp)
DLC_MATH1(dlc_log, logf, log)
DLC_MATH1(dlc_sqrt, sqrtf, sqrt)
DLC_MATH1(dlc_tanh, tanhf, tanh)
DLC_MATH1(dlc_erf, erff, erf)
DLC_MATH1(dlc_sin, sinf, sin)
DLC_MATH1(dlc_cos, cosf, cos)
DLC_MATH1(dlc_floor, floorf, floor)
DLC_MATH1(dlc_ceil, ceilf, ceil)
DLC_MATH1(dlc_fabs, fabsf, fabs)
DLC_MATH1(dlc_rint, rintf, nearbyint)  // half to even in the default rounding mode
DLC_MATH2(dlc_pow, powf, pow)
DLC_MATH2(dlc_fmod, fmodf, fmod)
DLC_MATH2(dlc_atan2, atan2f, atan2)
template <typename T> DLC_FN bool dlc_isnan(T x) { return x != x; }
template <typename T> DLC_FN T dlc_nan();
template <> DLC_FN float dlc_nan<float>() { return dlc_bits_f32(0x7fc00000u); }
template <> DLC_FN double dlc_nan<double>() { return dlc_bits_f64(0x7ff8000000000000ull); }
template <typename T> DLC_FN T dlc_inf();
template <> DLC_FN float dlc_inf<float>() { return dlc_bits_f32(0x7f800000u); }
template <> DLC_FN double dlc_inf<double>() { return dlc_bits_f64(0x7ff0000000000000ull); }

//===--- f16 / bf16 <-> float, round to nearest even -------------------------===//
DLC_FN unsigned dlc_shift_round_even(unsigned v, int shift) {
  unsigned kept = v >> shift, rest = v & ((1u << shift) - 1u), half = 1u << (shift - 1);
  return kept + (rest > half || (rest == half && (kept & 1u)));
}
DLC_FN float dlc_h2f(unsigned short h) {
  unsigned sign = static_cast<unsigned>(h & 0x8000u) << 16, e = (h >> 10) & 0x1fu, m = h & 0x3ffu;
  if (e == 0) {  // zero or denormal: m * 2^-24, exact in float
    float f = static_cast<float>(m) * 5.9604644775390625e-8f;
    return sign ? -f : f;
  }
  if (e == 31) return dlc_bits_f32(sign | 0x7f800000u | (m << 13));
  return dlc_bits_f32(sign | ((e + 112u) << 23) | (m << 13));
}
DLC_FN unsigned short dlc_f2h(float f) {
  unsigned x = dlc_f32_bits(f), a = x & 0x7fffffffu;
  unsigned short sign = static_cast<unsigned short>((x >> 16) & 0x8000u);
  if (a > 0x7f800000u) return sign | 0x7e00u | static_cast<unsigned short>((a >> 13) & 0x3ffu);
  if (a >= 0x477ff000u) return sign | 0x7c00u;
  if (a >= 0x38800000u) return sign | static_cast<unsigned short>(dlc_shift_round_even(a - (112u << 23), 13));
  if (a <= 0x33000000u) return sign;
  unsigned e = a >> 23, m = (a & 0x7fffffu) | 0x800000u;
  return sign | static_cast<unsigned short>(dlc_shift_round_even(m, static_cast<int>(126 - e)));
}
DLC_FN float dlc_bf2f(unsigned short b) { return dlc_bits_f32(static_cast<unsigned>(b) << 16); }
DLC_FN unsigned short dlc_f2bf(float f) {
  unsigned x = dlc_f32_bits(f);
  if ((x & 0x7fffffffu) > 0x7f800000u) return static_cast<unsigned short>((x >> 16) | 0x40u);
  return static_cast<unsigned short>(dlc_shift_round_even(x, 16));
}
// A float register holding an f16/bf16 op's result, rounded to that type.
DLC_FN float dlc_round_f16(float f) { return dlc_h2f(dlc_f2h(f)); }
DLC_FN float dlc_round_bf16(float f) { return dlc_bf2f(dlc_f2bf(f)); }
// double -> float toward zero with the last bit set when inexact ("round to
// odd"): rounding that to f16/bf16 then rounds once, as the host does.
DLC_FN float dlc_odd_float(double d) {
  float f = static_cast<float>(d);
  if (dlc_isnan(d) || static_cast<double>(f) == d) return f;
  unsigned u = dlc_f32_bits(f);
  if ((f < 0 ? -static_cast<double>(f) : static_cast<double>(f)) > (d < 0 ? -d : d)) u -= 1;
  return dlc_bits_f32(u | 1u);
}

//===--- loads and stores: storage -> register -> storage -------------------===//
DLC_FN float dlc_ld(const float* p, dlc_i64 i) { return p[i]; }
DLC_FN double dlc_ld(const double* p, dlc_i64 i) { return p[i]; }
DLC_FN float dlc_ld(const dlc_f16* p, dlc_i64 i) { return dlc_h2f(p[i].bits); }
DLC_FN float dlc_ld(const dlc_bf16* p, dlc_i64 i) { return dlc_bf2f(p[i].bits); }
DLC_FN bool dlc_ld(const dlc_i1* p, dlc_i64 i) { return p[i].v != 0; }
template <typename T> DLC_FN T dlc_ld(const T* p, dlc_i64 i) { return p[i]; }
DLC_FN void dlc_st(float* p, dlc_i64 i, float v) { p[i] = v; }
DLC_FN void dlc_st(double* p, dlc_i64 i, double v) { p[i] = v; }
DLC_FN void dlc_st(dlc_f16* p, dlc_i64 i, float v) { p[i].bits = dlc_f2h(v); }
DLC_FN void dlc_st(dlc_bf16* p, dlc_i64 i, float v) { p[i].bits = dlc_f2bf(v); }
DLC_FN void dlc_st(dlc_i1* p, dlc_i64 i, bool v) { p[i].v = v ? 1 : 0; }
template <typename T> DLC_FN void dlc_st(T* p, dlc_i64 i, T v) { p[i] = v; }

//===--- vector loads and stores ---------------------------------------------===//
// N consecutive elements moved as one access of N * sizeof(S) bytes (up to
// 16: ld/st.global.v4.u32); the address must be aligned to that size, which
// a vectorised loop kernel checks before it takes its vector path.
template <typename S, int N> struct alignas(sizeof(S) * N) dlc_vec { S v[N]; };
#ifdef DLC_HOST_EMULATION
// A misaligned vector access faults on the GPU; the emulation aborts.
inline void dlc_emu_check_aligned(const void* p, unsigned long bytes) {
  if (reinterpret_cast<unsigned long long>(p) % bytes == 0) return;
  std::fprintf(stderr, "misaligned %lu-byte vector access at %p\n", bytes, p);
  std::abort();
}
#endif
template <int N, typename S> DLC_FN dlc_vec<S, N> dlc_ldv(const S* p, dlc_i64 i) {
#ifdef DLC_HOST_EMULATION
  dlc_emu_check_aligned(p + i, sizeof(dlc_vec<S, N>));
  dlc_vec<S, N> r; std::memcpy(&r, p + i, sizeof r); return r;
#else
  return *reinterpret_cast<const dlc_vec<S, N>*>(p + i);
#endif
}
template <int N, typename S> DLC_FN void dlc_stv(S* p, dlc_i64 i, const dlc_vec<S, N>& v) {
#ifdef DLC_HOST_EMULATION
  dlc_emu_check_aligned(p + i, sizeof(dlc_vec<S, N>));
  std::memcpy(p + i, &v, sizeof v);
#else
  *reinterpret_cast<dlc_vec<S, N>*>(p + i) = v;
#endif
}
// Whether p is aligned to `bytes` (a power of two).
template <typename S> DLC_FN bool dlc_aligned(const S* p, unsigned bytes) {
  return (reinterpret_cast<dlc_u64>(p) & (bytes - 1)) == 0;
}

//===--- status word ---------------------------------------------------------===//
// The first failure stored wins (CudaPlan.h KernelStatus).
enum { DLC_INDEX_OUT_OF_RANGE = 1, DLC_INT_DIV_BY_ZERO = 2 };
DLC_FN void dlc_fail(int* status, int code) { atomicCAS(status, 0, code); }

//===--- warp shuffles -------------------------------------------------------===//
// Butterfly exchange within a warp for every register type: types narrower
// than 32 bits (bool, 8/16-bit integers) travel as int, which
// __shfl_xor_sync has no overload for otherwise.
template <typename T> DLC_FN T dlc_shfl_xor(T v, int laneMask) {
  if constexpr (sizeof(T) < 4) {
    return static_cast<T>(__shfl_xor_sync(0xffffffffu, static_cast<int>(v), laneMask));
  } else {
    return __shfl_xor_sync(0xffffffffu, v, laneMask);
  }
}

//===--- integer helpers -----------------------------------------------------===//
template <typename T> struct dlc_uns { typedef T type; };
template <> struct dlc_uns<signed char> { typedef unsigned char type; };
template <> struct dlc_uns<short> { typedef unsigned short type; };
template <> struct dlc_uns<int> { typedef unsigned type; };
template <> struct dlc_uns<long long> { typedef unsigned long long type; };
template <typename T> DLC_FN bool dlc_is_signed() { return static_cast<T>(-1) < static_cast<T>(0); }
// Wrapping arithmetic: computed in the unsigned type of the same width.
template <typename T> DLC_FN T dlc_wadd(T a, T b) {
  typedef typename dlc_uns<T>::type U; return static_cast<T>(static_cast<U>(static_cast<U>(a) + static_cast<U>(b)));
}
template <typename T> DLC_FN T dlc_wsub(T a, T b) {
  typedef typename dlc_uns<T>::type U; return static_cast<T>(static_cast<U>(static_cast<U>(a) - static_cast<U>(b)));
}
template <typename T> DLC_FN T dlc_wmul(T a, T b) {
  typedef typename dlc_uns<T>::type U;
  // unsigned short * unsigned short promotes to int and may overflow: go wide.
  return static_cast<T>(static_cast<U>(static_cast<unsigned long long>(static_cast<U>(a)) *
                                       static_cast<unsigned long long>(static_cast<U>(b))));
}
template <typename T> DLC_FN T dlc_wneg(T a) { return dlc_wsub(static_cast<T>(0), a); }
template <typename T> DLC_FN T dlc_idiv(T a, T b, int* st) {
  if (b == 0) { dlc_fail(st, DLC_INT_DIV_BY_ZERO); return 0; }
  if (dlc_is_signed<T>() && b == static_cast<T>(-1)) return dlc_wneg(a);
  return static_cast<T>(a / b);
}
template <typename T> DLC_FN T dlc_irem(T a, T b, int* st) {
  if (b == 0) { dlc_fail(st, DLC_INT_DIV_BY_ZERO); return 0; }
  if (dlc_is_signed<T>() && b == static_cast<T>(-1)) return 0;
  return static_cast<T>(a % b);
}
template <typename T> DLC_FN T dlc_ipow(T base, T e) {
  if (dlc_is_signed<T>() && e < 0) {
    if (base == 1) return 1;
    if (base == static_cast<T>(-1)) return (e & 1) ? static_cast<T>(-1) : static_cast<T>(1);
    return 0;
  }
  T r = 1;
  while (e > 0) {
    if (e & 1) r = dlc_wmul(r, base);
    base = dlc_wmul(base, base);
    e = static_cast<T>(e >> 1);
  }
  return r;
}
template <typename T> DLC_FN T dlc_shl(T a, T b) {
  typedef typename dlc_uns<T>::type U;
  const long long bits = 8 * sizeof(T);
  if ((dlc_is_signed<T>() && b < 0) || static_cast<dlc_u64>(static_cast<U>(b)) >= static_cast<dlc_u64>(bits)) return 0;
  return static_cast<T>(static_cast<U>(static_cast<dlc_u64>(static_cast<U>(a)) << static_cast<int>(b)));
}
template <typename T> DLC_FN T dlc_shr(T a, T b) {
  typedef typename dlc_uns<T>::type U;
  const long long bits = 8 * sizeof(T);
  bool outside = (dlc_is_signed<T>() && b < 0) || static_cast<dlc_u64>(static_cast<U>(b)) >= static_cast<dlc_u64>(bits);
  if (outside) return (dlc_is_signed<T>() && a < 0) ? static_cast<T>(-1) : static_cast<T>(0);
  if (dlc_is_signed<T>() && a < 0) return static_cast<T>(~(static_cast<T>(~a) >> static_cast<int>(b)));
  return static_cast<T>(a >> static_cast<int>(b));
}
template <typename T> DLC_FN T dlc_iabs(T a) { return (dlc_is_signed<T>() && a < 0) ? dlc_wneg(a) : a; }
template <typename T> DLC_FN T dlc_isign(T a) {
  return static_cast<T>(static_cast<int>(a > 0) - static_cast<int>(dlc_is_signed<T>() && a < 0));
}
template <typename T> DLC_FN T dlc_imax(T a, T b) { return a < b ? b : a; }
template <typename T> DLC_FN T dlc_imin(T a, T b) { return b < a ? b : a; }

//===--- float helpers -------------------------------------------------------===//
template <typename T> DLC_FN T dlc_fmax(T a, T b) {
  if (dlc_isnan(a) || dlc_isnan(b)) return dlc_nan<T>();
  return a < b ? b : a;
}
template <typename T> DLC_FN T dlc_fmin(T a, T b) {
  if (dlc_isnan(a) || dlc_isnan(b)) return dlc_nan<T>();
  return b < a ? b : a;
}
template <typename T> DLC_FN T dlc_logistic(T v) {
  if (v >= 0) return T(1) / (T(1) + dlc_exp(-v));
  T e = dlc_exp(v);
  return e / (T(1) + e);
}
template <typename T> DLC_FN T dlc_fsign(T v) { return v > 0 ? T(1) : v < 0 ? T(-1) : v; }
template <typename T> DLC_FN T dlc_rsqrt(T v) { return T(1) / dlc_sqrt(v); }
// The sort order of argsort: IEEE <, with NaN above everything.
template <typename T> DLC_FN bool dlc_sorts_before(T a, T b) {
  if (dlc_isnan(a)) return false;
  if (dlc_isnan(b)) return true;
  return a < b;
}
DLC_FN bool dlc_sorts_before(bool a, bool b) { return !a && b; }

//===--- conversions (runtime/host/Kernels.h convert) ------------------------===//
// float -> integer: truncate toward zero, NaN -> 0, saturate.
template <typename T> DLC_FN T dlc_sat(double v, double lo, double hiExclusive, T tmin, T tmax) {
  if (dlc_isnan(v)) return 0;
  if (v <= lo) return tmin;
  if (v >= hiExclusive) return tmax;
  return static_cast<T>(v);
}
