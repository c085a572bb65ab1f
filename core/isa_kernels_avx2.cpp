// core/isa_kernels.h's kernels compiled for AVX2 (this file's object library adds the flags),
// called only on a CPU that has it. Eigen's namespace is renamed first: its instantiations here
// must not stand in for the portable ones (core/isa_kernels.h).

#define Eigen LLEigenAvx2
#define LL_ISA_KERNELS_NS isa_avx2
#define LL_ISA_KERNELS_NAME "AVX2"
#include "core/isa_kernels.inc"
