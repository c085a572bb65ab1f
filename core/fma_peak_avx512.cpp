// The FMA peak loop (fma_peak.cpp) compiled for AVX-512 whatever the build's target, so a
// portable build measures the peak its AVX-512 kernels can reach. The same rule as
// direct_conv_avx512.cpp (core/layers/direct_conv_isa.h): nothing here the linker could share.
#include <immintrin.h>

#include <cstdint>

#include "core/fma_peak.h"

namespace ll::fma_avx512 {

float loop(std::int64_t iters, float seed) {
    constexpr int kAcc = 12;  // as fma_peak.cpp: hides the FMA latency on two pipes
    __m512 acc[kAcc];
    for (int i = 0; i < kAcc; ++i)
        acc[i] = _mm512_set1_ps(seed + static_cast<float>(i));
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (std::int64_t it = 0; it < iters; ++it) {
        for (int i = 0; i < kAcc; ++i)
            acc[i] = _mm512_fmadd_ps(acc[i], a, b);
    }
    // Lanes summed from memory: GCC 12 warns on its own _mm512_reduce_add_ps.
    alignas(64) float f[16];
    float s = 0;
    for (int i = 0; i < kAcc; ++i) {
        _mm512_store_ps(f, acc[i]);
        for (float v : f)
            s += v;
    }
    return s;
}

}  // namespace ll::fma_avx512
