#pragma once
// PyTorch's default initialization, so training dynamics match published coursework.

#include "core/random.h"
#include "core/tensor.h"

namespace ll {

/// Kaiming-uniform with a = sqrt(5) (torch.nn.init.kaiming_uniform_): U(-b, b) with
/// b = gain * sqrt(3 / fan_in), gain = sqrt(2 / (1 + a²)) — which simplifies to b = 1/sqrt(fan_in).
void kaimingUniformA5(Tensor& w, int fanIn, Rng& rng);
/// Bias default of Linear/Conv: U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
void fanInUniform(Tensor& b, int fanIn, Rng& rng);

}  // namespace ll
