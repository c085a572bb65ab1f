#include "core/layers/tanh.h"

#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/layer_io.h"

namespace ll {

// Eigen's tanh, compiled for this CPU in the fast kernel set (isa_kernels.h: in a portable build,
// its AVX2 or AVX-512 copy), the build's own in the reference set.
void Tanh::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    isaKernelsFor(kernelSet()).tanh(x.data(), y.data(), x.numel());
}

void Tanh::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    // tanh'(x) = 1 − tanh²(x), from the cached output.
    if (dx) isaKernelsFor(kernelSet()).tanhGrad(y.data(), dy.data(), dx->data(), y.numel());
}

LayerKind Tanh::kind() {
    return {"Tanh", "tanh", &readParameterless<Tanh>};
}

}  // namespace ll
