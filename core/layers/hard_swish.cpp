#include "core/layers/hard_swish.h"

#include <algorithm>

#include "core/layer_io.h"

namespace ll {

void HardSwish::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    mapElements(x, y, [](float v) { return v * std::min(std::max(v + 3.0f, 0.0f), 6.0f) / 6.0f; });
}

// d/dx x(x+3)/6 = x/3 + 1/2 on the closed interval [−3, 3]: PyTorch's convention at the kinks.
void HardSwish::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    chainElements(x, dy, dx, [](float v, float g) {
        return v < -3.0f ? 0.0f : v <= 3.0f ? g * (v / 3.0f + 0.5f) : g;
    });
}

LayerKind HardSwish::kind() {
    return {"HardSwish", "hswish", &readParameterless<HardSwish>};
}

}  // namespace ll
