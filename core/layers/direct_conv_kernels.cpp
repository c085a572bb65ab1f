#include "core/layers/direct_conv_kernels.h"

#include <cstdlib>
#include <cstring>
#include <new>

#include "core/error.h"
#include "core/isa.h"
#include "core/layers/direct_conv_isa.h"
#include "core/parallel.h"

namespace ll {

namespace direct_detail {

float* threadScratch(Scratch which, std::size_t n) {
    // Aligned here, not by AlignedFloats: Eigen aligns to what the build's target needs (16 bytes
    // in a portable build), and the kernels' aligned AVX-512 loads need 64.
    struct Buffer {
        float* data = nullptr;
        std::size_t size = 0;
        ~Buffer() { std::free(data); }
    };
    static thread_local Buffer buffers[kScratchKinds];
    Buffer& buf = buffers[static_cast<int>(which)];
    if (buf.size < n) {
        const std::size_t bytes = (n * sizeof(float) + 63) / 64 * 64;
        void* p = std::aligned_alloc(64, bytes);
        if (!p) throw std::bad_alloc();
        std::free(buf.data);
        buf.data = static_cast<float*>(p);
        buf.size = n;
    }
    return buf.data;
}

}  // namespace direct_detail

bool directConvAvailable() {
    static const bool available = [] {
#if defined(LAYERLENS_HAVE_AVX512_KERNELS)
        return kernelIsa() == Isa::Avx512;
#else
        return false;
#endif
    }();
    return available;
}

bool directConvApplies(const ConvGeometry& g) {
    const int k = g.kh;
    // 3×3, and 5×5 over few channels: at AlexNet's 5×5 (96→256 channels, 23×23) these kernels
    // were no faster than im2col + GEMM (forward 282 against 289 ms, backward 564 against 489 on
    // one core); at LeNet-5's c3 (6→16, 10×10, batch 100, 2 threads) the forward pass took 0.22
    // against 1.1 ms.
    const bool few = g.C <= 16 && g.K <= 64;
    const bool kernel = (k == 3 || (k == 5 && few)) && g.kw == k && g.dh == 1 && g.dw == 1;
    const bool stride = (g.sh == 1 || (g.sh == 2 && k == 3)) && g.sw == g.sh;
    const bool padding = g.ph >= 0 && g.pw >= 0 && g.pb >= 0 && g.pr >= 0 && g.ph < k && g.pw < k &&
                         g.pb < k && g.pr < k;
    // The output size the input and paddings give (the rows kernel reads up to 15 floats past a
    // row, which the padded sample's slack covers only then).
    const bool sizes = g.Ho == slidingOutputSize(g.H, k, g.sh, g.ph, g.pb) &&
                       g.Wo == slidingOutputSize(g.W, k, g.sw, g.pw, g.pr);
    // Rows of 8 to 64 outputs (half a vector to four vectors).
    return kernel && stride && padding && sizes && g.groups == 1 && g.Wo >= 8 && g.Wo <= 64 &&
           g.Ho >= 1 && directConvAvailable();
}

bool directConvDataApplies(const ConvGeometry& g) {
    // Stride 2: 3×3 with padding 1 on every side, even maps and outputs at least 16 wide
    // (ResNet-20's first downsampling layer), as a 2×2 convolution into 4 phases
    // (backwardDataStride2): 2.8 against col2im's 3.5–3.8 ms there; at its 8-wide 32 → 64 layer
    // it was 4% slower than col2im.
    const bool stride2 = g.sh == 2 && g.kh == 3 && g.ph == 1 && g.pw == 1 && g.pb == 1 &&
                         g.pr == 1 && g.H % 2 == 0 && g.W % 2 == 0 && g.Wo >= 16;
    return directConvApplies(g) && (g.sh == 1 || stride2);
}

#if defined(LAYERLENS_HAVE_AVX512_KERNELS)

void directConvForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                       float* y, const ConvEpilogue* epilogue) {
    LL_CHECK(directConvApplies(g), "direct convolution kernel called for another convolution");
    if (g.kh == 5) {
        direct_avx512::forward5(g, N, x, W, b, y, epilogue);
    } else {
        direct_avx512::forward3(g, N, x, W, b, y, epilogue);
    }
}

void directConvBackwardData(const ConvGeometry& g, int N, const float* W, const float* dy,
                            float* dx) {
    LL_CHECK(directConvDataApplies(g), "direct convolution kernel called for another convolution");
    if (g.sh == 2) {
        direct_avx512::backwardDataStride2(g, N, W, dy, dx);
    } else if (g.kh == 5) {
        direct_avx512::backwardData5(g, N, W, dy, dx);
    } else {
        direct_avx512::backwardData3(g, N, W, dy, dx);
    }
}

void directConvBackwardWeights(const ConvGeometry& g, int N, const float* x, const float* dy,
                               float* dW, float* db) {
    LL_CHECK(directConvApplies(g), "direct convolution kernel called for another convolution");
    const int T = numThreads();
    const std::size_t wn = direct_avx512::partialFloats(g) * T;
    const std::size_t bn = static_cast<std::size_t>(g.K) * T;
    float* dWPartials = direct_detail::threadScratch(direct_detail::Scratch::WeightPartials, wn);
    float* dbPartials = direct_detail::threadScratch(direct_detail::Scratch::BiasPartials, bn);
    std::memset(dWPartials, 0, wn * sizeof(float));
    std::memset(dbPartials, 0, bn * sizeof(float));
    if (g.kh == 5) {
        direct_avx512::backwardWeights5(g, N, x, dy, dW, db, dWPartials, dbPartials, T);
    } else {
        direct_avx512::backwardWeights3(g, N, x, dy, dW, db, dWPartials, dbPartials, T);
    }
}

#else  // not an x86-64 build: the im2col + GEMM kernels compute every convolution

void directConvForward(const ConvGeometry&, int, const float*, const float*, const float*, float*,
                       const ConvEpilogue*) {
    LL_CHECK(false, "direct convolution kernels need an x86-64 CPU with AVX-512");
}
void directConvBackwardData(const ConvGeometry&, int, const float*, const float*, float*) {
    LL_CHECK(false, "direct convolution kernels need an x86-64 CPU with AVX-512");
}
void directConvBackwardWeights(const ConvGeometry&, int, const float*, const float*, float*,
                               float*) {
    LL_CHECK(false, "direct convolution kernels need an x86-64 CPU with AVX-512");
}

#endif

}  // namespace ll
