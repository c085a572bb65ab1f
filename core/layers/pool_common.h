#pragma once
// Shape rules shared by MaxPool2d and AvgPool2d.

#include "core/layer.h"
#include "core/layers/conv2d.h"

namespace ll {

/// Validates a pooling window (PyTorch's rule: padding at most half the kernel).
void validatePoolWindow(const Window2d& w, const char* type);
/// (N, C, H, W) → (N, C, Ho, Wo) for a pooling window; throws via the layer when it does not fit.
Shape poolOutputShape(const Layer& layer, const Window2d& w, const Shape& in);

}  // namespace ll
