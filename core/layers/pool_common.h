#pragma once
// Shape rules and the window iteration shared by MaxPool2d and AvgPool2d.

#include <algorithm>

#include "core/layer.h"
#include "core/layers/conv2d.h"

namespace ll {

/// Validates a pooling window (PyTorch's rules: padding at most half the kernel on every side,
/// no dilation).
void validatePoolWindow(const Window2d& w, const char* type);
/// (N, C, H, W) → (N, C, Ho, Wo) for a pooling window; with ceilMode the sizes round up (PyTorch's
/// ceil_mode: the last window may hang over the padded end but must start inside the input or
/// the top/left padding). Throws via the layer when the window does not fit.
Shape poolOutputShape(const Layer& layer, const Window2d& w, bool ceilMode, const Shape& in);

/// Where window o of a pooling layer lies along one axis: input positions [start, end) (clipped
/// to the input), and how many positions of the padded input it covers (clipped to in + padAfter:
/// PyTorch's divisor with count_include_pad; a ceil-mode window hanging over the end counts less).
struct PoolSpan {
    int start, end, padded;
};
inline PoolSpan poolSpan(int o, int k, int stride, int padBefore, int padAfter, int in) {
    const int first = o * stride - padBefore;
    const int last = std::min(first + k, in + padAfter);  // one past, in the padded input
    return {std::max(first, 0), std::min(first + k, in), last - first};
}

}  // namespace ll
