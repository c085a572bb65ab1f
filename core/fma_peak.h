#pragma once
// The machine's single-precision peak: fused multiply-adds per second that the vector units
// sustain on independent registers (no memory traffic), all threads busy. The yardstick against
// which `layerlens bench --per-layer` and bench/fma_peak state what fraction of the machine a
// kernel uses.

#include <cstdint>

namespace ll {

struct FmaPeak {
    double gflops = 0;     // 2 FLOPs per multiply-add lane, summed over the threads
    int threads = 0;       // threads that ran
    int lanes = 0;         // fp32 lanes of the widest vector used (16, 8 or 4)
    const char* isa = "";  // "avx512f", "avx2+fma" or "sse2 (no fma)"; the widest of what the
                           // build targets and the AVX-512 code it picks at run time
};

/// Runs the FMA loop on `threads` threads (0: numThreads()) for about `seconds`, best of a few
/// repetitions.
FmaPeak measureFmaPeak(int threads = 0, double seconds = 0.5);

namespace fma_avx512 {
/// The loop with AVX-512 vectors (core/fma_peak_avx512.cpp): call only on a CPU with AVX-512F.
float loop(std::int64_t iters, float seed);
}  // namespace fma_avx512

}  // namespace ll
