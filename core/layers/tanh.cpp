#include "core/layers/tanh.h"

#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/layer_io.h"
#include "core/parallel.h"

namespace ll {

// Eigen's tanh, compiled for this CPU in the fast kernel set (isa_kernels.h: in a portable build,
// its AVX2 or AVX-512 copy), the build's own in the reference set.
// Large tensors in one range per thread (LeNet-5's first tanh, 470k values, took 0.14 ms of its
// 2.7 ms training step on one).
void Tanh::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const auto tanh = isaKernelsFor(kernelSet()).tanh;
    parallelRanges(x.numel(), [&](std::int64_t i0, std::int64_t i1) {
        tanh(x.data() + i0, y.data() + i0, i1 - i0);
    });
}

void Tanh::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    // tanh'(x) = 1 − tanh²(x), from the cached output.
    if (!dx) return;
    const auto grad = isaKernelsFor(kernelSet()).tanhGrad;
    parallelRanges(y.numel(), [&](std::int64_t i0, std::int64_t i1) {
        grad(y.data() + i0, dy.data() + i0, dx->data() + i0, i1 - i0);
    });
}

LayerKind Tanh::kind() {
    return {"Tanh", "tanh", &readParameterless<Tanh>};
}

}  // namespace ll
