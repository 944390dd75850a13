// A ReLU at a large activation shape: its 0.0 is a splat constant of
// 64x256x56x56 (205 MB if it were expanded). The Program, the summary and
// the executable file keep one element of it (runtime/Program.h), for the
// host and the CUDA target (test/unit/LowerToHostTest.cpp runs one).
// RUN: dlc compile %s | FileCheck %s --check-prefix=HOST
// RUN: rm -rf %t && mkdir -p %t
// RUN: dlc compile %s --target cuda --no-kernel-cache -o %t/relu.dlcx | FileCheck %s --check-prefix=CUDA
// RUN: dlc compile %s --target host -o %t/relu-host.dlcx | FileCheck %s --check-prefix=FILE

// HOST: 4 bytes of constants (1 of them splats, one element each)
// CUDA: 4 bytes of constants (1 of them splats, one element each)
// CUDA: wrote {{.*}}relu.dlcx ({{[0-9][0-9]?[0-9]?[0-9]?[0-9]?}} bytes)
// FILE: wrote {{.*}}relu-host.dlcx ({{[0-9][0-9]?[0-9]?[0-9]?[0-9]?}} bytes)

func.func @main(%x: tensor<64x256x56x56xf32>) -> tensor<64x256x56x56xf32> {
  %zero = dlc.constant dense<0.0> : tensor<64x256x56x56xf32>
  %y = dlc.max %x, %zero : tensor<64x256x56x56xf32>
  return %y : tensor<64x256x56x56xf32>
}
