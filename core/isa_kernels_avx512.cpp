// core/isa_kernels.h's kernels compiled for AVX-512 (this file's object library adds the flags),
// called only on a CPU that has it. Eigen's namespace is renamed first: its instantiations here
// must not stand in for the portable ones (core/isa_kernels.h).

#define Eigen LLEigenAvx512
#define LL_ISA_KERNELS_NS isa_avx512
#define LL_ISA_KERNELS_NAME "AVX-512"
#include "core/isa_kernels.inc"
