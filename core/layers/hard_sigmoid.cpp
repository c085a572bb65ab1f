#include "core/layers/hard_sigmoid.h"

#include <algorithm>

#include "core/layer_io.h"

namespace ll {

void HardSigmoid::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    mapElements(x, y, [](float v) { return std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

// PyTorch's hardsigmoid_backward: 1/6 strictly inside (−3, 3), 0 at ±3 and beyond.
void HardSigmoid::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    chainElements(x, dy, dx,
                  [](float v, float g) { return v > -3.0f && v < 3.0f ? g / 6.0f : 0.0f; });
}

LayerKind HardSigmoid::kind() {
    return {"HardSigmoid", "hsig", &readParameterless<HardSigmoid>};
}

}  // namespace ll
