#include "core/layers/tanh.h"

#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/layer_io.h"

namespace ll {

// The fast kernel set takes Eigen's tanh compiled for this CPU (isa_kernels.h: in a portable
// build, its AVX2 or AVX-512 copy); the reference set keeps the build's own.
void Tanh::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    if (kernelSet() == KernelSet::Fast) {
        isaKernels().tanh(x.data(), y.data(), x.numel());
        return;
    }
    y.vector() = x.vector().array().tanh().matrix();
}

void Tanh::backwardImpl(const Tensor&, const Tensor& y, const Tensor& dy, Tensor* dx) {
    // tanh'(x) = 1 − tanh²(x), from the cached output.
    if (dx && kernelSet() == KernelSet::Fast) {
        isaKernels().tanhGrad(y.data(), dy.data(), dx->data(), y.numel());
        return;
    }
    if (dx) dx->vector() = (dy.vector().array() * (1.0f - y.vector().array().square())).matrix();
}

LayerKind Tanh::kind() {
    return {"Tanh", "tanh", &readParameterless<Tanh>};
}

}  // namespace ll
