#pragma once
// The instruction set of the kernels chosen at run time. A portable build (x86-64-v2) carries
// some kernels compiled a second and third time, for AVX2 and for AVX-512 (their own object
// libraries, core/CMakeLists.txt); the code here picks, once, the widest of them this CPU runs.

namespace ll {

enum class Isa { Baseline, Avx2, Avx512 };

/// The widest instruction set, of those the build compiled kernels for, that this CPU has:
/// Avx512 needs AVX-512 F, DQ, BW and VL with FMA (x86-64-v4), Avx2 needs AVX2 and FMA. The
/// environment variable LAYERLENS_ISA lowers it, to compare: "portable" (Baseline) or "avx2"
/// (other values are ignored). Chosen on the first call.
Isa kernelIsa();

/// Whether this CPU runs code compiled for `isa` (whatever LAYERLENS_ISA says).
bool cpuSupports(Isa isa);

/// "baseline", "AVX2" or "AVX-512".
const char* isaName(Isa isa);

}  // namespace ll
