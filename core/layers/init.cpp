#include "core/layers/init.h"

#include <cmath>

namespace ll {

void kaimingUniformA5(Tensor& w, int fanIn, Rng& rng) {
    const double a = std::sqrt(5.0);
    const double gain = std::sqrt(2.0 / (1.0 + a * a));
    const float bound = static_cast<float>(gain * std::sqrt(3.0 / fanIn));
    for (std::int64_t i = 0; i < w.numel(); ++i)
        w[i] = rng.uniform(-bound, bound);
}

void fanInUniform(Tensor& b, int fanIn, Rng& rng) {
    const float bound = static_cast<float>(1.0 / std::sqrt(static_cast<double>(fanIn)));
    for (std::int64_t i = 0; i < b.numel(); ++i)
        b[i] = rng.uniform(-bound, bound);
}

}  // namespace ll
