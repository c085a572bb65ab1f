#include "core/layers/activation.h"

namespace ll {

LayerCost Activation::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    c.activations = out.sample().numel();
    return c;
}

}  // namespace ll
