// `dlc run --device`: where no CUDA device can be used, auto runs on the host
// and says why on stderr, cuda is a user error (exit 1) giving the reason,
// and --cuda-graph on the host device is refused. The driver library is
// pointed at a missing file, so this holds on a machine with a GPU too.
// REQUIRES: onnx
// RUN: env DLC_LIBCUDA=/nonexistent-dlc-test/libcuda.so.1 %python %S/../tools/host-run.py %s --input "np.array([1, -2, 3, 4], np.float32)" -- --device auto | FileCheck %s --check-prefix=AUTO
// RUN: env DLC_LIBCUDA=/nonexistent-dlc-test/libcuda.so.1 %python %S/../tools/host-run.py %s --input "np.array([1, -2, 3, 4], np.float32)" -- --device auto --cuda-graph | FileCheck %s --check-prefix=AUTO
// RUN: env DLC_LIBCUDA=/nonexistent-dlc-test/libcuda.so.1 %python %S/../tools/host-run.py %s --input "np.array([1, -2, 3, 4], np.float32)" -- --device cuda | FileCheck %s --check-prefix=CUDA
// RUN: %python %S/../tools/host-run.py %s --input "np.array([1, -2, 3, 4], np.float32)" -- --device host --cuda-graph | FileCheck %s --check-prefix=GRAPH
// RUN: %python %S/../tools/host-run.py %s --input "np.array([1, -2, 3, 4], np.float32)" -- --device tpu | FileCheck %s --check-prefix=BAD

// AUTO:      // chunk 0
// AUTO-NEXT: dlc: running on host (no CUDA device: cannot load /nonexistent-dlc-test/libcuda.so.1 ({{.*}}))
// AUTO-NEXT: // exit 0
// AUTO-NEXT: output 0: float32[4] [-1.,  2., -3., -4.]

// CUDA:      // chunk 0
// CUDA-NEXT: dlc run: --device cuda: no CUDA device: cannot load /nonexistent-dlc-test/libcuda.so.1 ({{.*}})
// CUDA-NEXT: // exit 1

// GRAPH:      dlc run: --cuda-graph needs the CUDA device (--device cuda or auto)
// GRAPH-NEXT: // exit 1

// BAD:      dlc run: --device 'tpu': expected auto, host or cuda
// BAD-NEXT: // exit 1
func.func @main(%x: tensor<4xf32>) -> tensor<4xf32> {
  %y = dlc.neg %x : tensor<4xf32>
  return %y : tensor<4xf32>
}
