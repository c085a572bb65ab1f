#pragma once
// Kernels compiled for the CPU found at run time. Eigen picks its vector instructions when it is
// compiled, and so does the compiler for plain loops: in a portable build (x86-64-v2, SSE) they
// were 2–4× slower than the native build's on small products (LeNet-5's first convolution, the
// fully connected layers), tanh, Adam's square roots and divisions, and batch norm's sums in
// double. The same code (isa_kernels.inc) is therefore compiled three times: for the build's
// target (isa_kernels_baseline.cpp), for AVX2 with FMA (isa_kernels_avx2.cpp) and for AVX-512
// (isa_kernels_avx512.cpp), the last two in object libraries of their own (core/CMakeLists.txt);
// isaKernels() picks one. In a native build the build's own copy is already the widest.
//
// The linker keeps one copy of each template instantiation for the whole program, and could
// take the AVX-512 one for a caller on any CPU (core/layers/direct_conv_isa.h). The ISA files
// therefore rename Eigen's namespace before including it (`#define Eigen LLEigenAvx512`): their
// instantiations have names no other object defines. The IsaObjects test checks that every
// shared symbol of those objects is in the renamed namespace.

#include <cstddef>
#include <cstdint>
#include <string>

#include "core/kernels.h"

namespace ll {

/// How a depthwise kernel walks a padded plane whose rows are `ld` floats apart and which holds
/// every tap of every window (so the loops check no bounds): depthwise_kernels.cpp.
struct DepthwiseWalk {
    int kh, kw, sh, sw, dh, dw;
    int ld;
    // Non-zero: the plane is held as its even columns, then `split` floats on its odd columns
    // (splitColumns), and sw = 2, dw = 1.
    std::ptrdiff_t split = 0;
};

struct IsaKernels {
    const char* name;  // "baseline", "AVX2", "AVX-512"
    /// C (M×N) = alpha · op(A) · op(B) + beta · C, row-major with leading dimensions,
    /// single-threaded when called inside a parallel region (gemm.h).
    void (*gemm)(bool transA, bool transB, int M, int N, int K, float alpha, const float* A,
                 int lda, const float* B, int ldb, float beta, float* C, int ldc);
    /// y = tanh(x), n floats (Eigen's rational approximation).
    void (*tanh)(const float* x, float* y, std::int64_t n);
    /// dx = dy · (1 − y²), n floats: tanh's gradient from its output.
    void (*tanhGrad)(const float* y, const float* dy, float* dx, std::int64_t n);
    /// Adam's step on n parameters (optimizer.cpp says which formula): m and v updated with
    /// the gradient g, then θ −= stepSize · m / (√v / sqrtC2 + eps).
    void (*adamStep)(float* theta, float* m, float* v, const float* g, std::int64_t n, float b1,
                     float b2, float stepSize, float sqrtC2, float eps);

    // Batch norm's passes over one channel's plane of n values (batch_norm.cpp; the sums are
    // the fast kernel set's). The sums go to kBnLanes double lanes, lane j taking every kBnLanes-th
    // term from j on (so the compiler vectorizes them; the order depends only on the sizes).
    /// acc[j] += p[i]
    void (*bnSum)(double* acc, const float* p, int n);
    /// acc[j] += p[i] − shift and accSq[j] += (p[i] − shift)², in double: a channel's first two
    /// moments in one pass (shifted by one of its values, batch_norm.cpp says why that is exact
    /// enough)
    void (*bnMoments)(double* acc, double* accSq, const float* p, int n, double shift);
    /// acc[j] += g[i] · (x[i] − mean) · invStd, in double from the first product on
    void (*bnProducts)(double* acc, const float* g, const float* x, int n, float mean,
                       float invStd);
    /// y[i] = a · x[i] + b
    void (*bnAffine)(const float* x, float* y, int n, float a, float b);
    /// dx[i] = k · (g[i] − mDy − (x[i] − mean) · invStd · mDyXhat)
    void (*bnTrainGrad)(const float* x, const float* g, float* dx, int n, float mean, float invStd,
                        float k, float mDy, float mDyXhat);
    /// out (Ho, Wo) = init + Σ_{ki, kj} w[ki·kw + kj] · in[(oh·sh + ki·dh)·ld + ow·sw + kj·dw]
    /// (with accumulate: out += the sum): a depthwise plane's forward pass, or its dx gathered.
    void (*depthwiseCorrelate)(const float* in, const DepthwiseWalk& k, const float* w, int Ho,
                               int Wo, float init, bool accumulate, float* out);
};

// 32: enough independent additions in flight (eight 4-double vectors) that the passes run at
// memory speed; with 8, each pass waited on its additions' latency and ResNet-20's batch norms
// took 11.9 ms forward and 17.6 ms backward per batch of 128 instead of 7.0 and 10.7.
constexpr int kBnLanes = 32;

/// The widest copy this CPU runs, when it is wider than the build's own Eigen (a portable build
/// on an AVX2 or AVX-512 CPU); else the build's own. Chosen once (kernelIsa(), core/isa.h).
const IsaKernels& isaKernels();

/// The copy a kernel set computes with: the fast set isaKernels(), the reference set the build's
/// own (isa_baseline), whatever the CPU.
const IsaKernels& isaKernelsFor(KernelSet set);

/// Whether the chosen copy is at least AVX wide (small products are then faster in Eigen than
/// in BLIS, which packs every operand).
bool isaKernelsWideEigen();

/// For `layerlens version`: which copy runs, e.g. "AVX-512 copy (chosen at run time: this CPU has
/// it)" or "as compiled (Eigen's 16-float vectors)".
std::string isaKernelsInfo();

namespace isa_baseline {
extern const IsaKernels kKernels;
}
namespace isa_avx2 {
extern const IsaKernels kKernels;
}
namespace isa_avx512 {
extern const IsaKernels kKernels;
}

}  // namespace ll
