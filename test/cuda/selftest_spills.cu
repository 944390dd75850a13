// 64 accumulators live across a loop with a dynamic trip count, under a
// launch bound that allows 32 registers per thread: ptxas must spill.
extern "C" __global__ void __launch_bounds__(1024, 2) k0_spills(const float* x, float* y, int n, int* status) {
  float acc[64];
#pragma unroll
  for (int j = 0; j < 64; ++j) acc[j] = x[j * 1024 + threadIdx.x];
  for (int i = 0; i < n; ++i) {
#pragma unroll
    for (int j = 0; j < 64; ++j) acc[j] = acc[j] * x[i] + acc[(j + 1) & 63];
  }
  float s = 0;
#pragma unroll
  for (int j = 0; j < 64; ++j) s += acc[j] * float(j);
  y[threadIdx.x] = s;
}
