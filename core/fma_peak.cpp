#include "core/fma_peak.h"

#include <algorithm>
#include <chrono>
#include <cstdint>

#include <immintrin.h>
#include <omp.h>

#include "core/layers/direct_conv_kernels.h"
#include "core/parallel.h"

namespace ll {

namespace {

// kAcc independent accumulators hide the FMA latency (4 cycles) on two pipes with room to spare.
constexpr int kAcc = 12;

#if defined(__AVX512F__)
using Vec = __m512;
constexpr int kLanes = 16;
constexpr const char* kIsa = "avx512f";
inline Vec vset(float v) {
    return _mm512_set1_ps(v);
}
inline Vec vfma(Vec a, Vec b, Vec c) {
    return _mm512_fmadd_ps(a, b, c);
}
inline float vsum(Vec v) {
    alignas(64) float f[16];
    _mm512_store_ps(f, v);
    float s = 0;
    for (float x : f)
        s += x;
    return s;
}
constexpr int kFlopsPerOp = 2;
#elif defined(__AVX2__) && defined(__FMA__)
using Vec = __m256;
constexpr int kLanes = 8;
constexpr const char* kIsa = "avx2+fma";
inline Vec vset(float v) {
    return _mm256_set1_ps(v);
}
inline Vec vfma(Vec a, Vec b, Vec c) {
    return _mm256_fmadd_ps(a, b, c);
}
inline float vsum(Vec v) {
    alignas(32) float f[8];
    _mm256_store_ps(f, v);
    float s = 0;
    for (float x : f)
        s += x;
    return s;
}
constexpr int kFlopsPerOp = 2;
#else
using Vec = __m128;
constexpr int kLanes = 4;
constexpr const char* kIsa = "sse2 (no fma)";
inline Vec vset(float v) {
    return _mm_set1_ps(v);
}
inline Vec vfma(Vec a, Vec b, Vec c) {
    return _mm_add_ps(_mm_mul_ps(a, b), c);
}
inline float vsum(Vec v) {
    alignas(16) float f[4];
    _mm_store_ps(f, v);
    return f[0] + f[1] + f[2] + f[3];
}
constexpr int kFlopsPerOp = 2;
#endif

// `iters` rounds of kAcc multiply-adds; the sum is returned so the loop cannot be dropped.
float fmaLoop(std::int64_t iters, float seed) {
    Vec acc[kAcc];
    for (int i = 0; i < kAcc; ++i)
        acc[i] = vset(seed + static_cast<float>(i));
    const Vec a = vset(0.999999f), b = vset(1e-7f);
    for (std::int64_t it = 0; it < iters; ++it) {
        for (int i = 0; i < kAcc; ++i)
            acc[i] = vfma(acc[i], a, b);
    }
    float s = 0;
    for (int i = 0; i < kAcc; ++i)
        s += vsum(acc[i]);
    return s;
}

struct Loop {
    float (*run)(std::int64_t, float);
    int lanes;
    const char* isa;
};

// The build's own loop, or the AVX-512 one where the build targets less and the CPU has it (as
// the direct convolution kernels choose).
Loop chooseLoop() {
#if !defined(__AVX512F__) && defined(LAYERLENS_HAVE_AVX512_KERNELS)
    if (directConvAvailable()) return {&fma_avx512::loop, 16, "avx512f (chosen at run time)"};
#endif
    return {&fmaLoop, kLanes, kIsa};
}

}  // namespace

FmaPeak measureFmaPeak(int threads, double seconds) {
    using Clock = std::chrono::steady_clock;
    const int T = threads > 0 ? threads : numThreads();
    const Loop loop = chooseLoop();
    // Calibrate: iterations per thread for ~1/4 of `seconds`, then take the best of 4 runs.
    std::int64_t iters = 1 << 16;
    for (;;) {
        const auto t0 = Clock::now();
        volatile float sink = loop.run(iters, 1.0f);
        (void)sink;
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        if (dt > 0.02 || iters > (std::int64_t{1} << 40)) {
            iters = std::max<std::int64_t>(1, static_cast<std::int64_t>(iters * seconds / 4 / dt));
            break;
        }
        iters *= 4;
    }
    double best = 0;
    for (int rep = 0; rep < 4; ++rep) {
        float sink = 0;
        const auto t0 = Clock::now();
#pragma omp parallel num_threads(T) reduction(+ : sink)
        sink += loop.run(iters, 1.0f + static_cast<float>(omp_get_thread_num()));
        const double dt = std::chrono::duration<double>(Clock::now() - t0).count();
        volatile float keep = sink;
        (void)keep;
        const double flops = static_cast<double>(iters) * kAcc * loop.lanes * kFlopsPerOp * T;
        best = std::max(best, flops / dt / 1e9);
    }
    return {best, T, loop.lanes, loop.isa};
}

}  // namespace ll
