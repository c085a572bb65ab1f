#include "core/layers/pool_common.h"

#include <algorithm>

#include "core/layers/conv2d.h"

namespace ll {

void validatePoolWindow(const Window2d& w, const char* type) {
    validateWindow(w, type);
    if (w.dh != 1 || w.dw != 1)
        throw ModelError(strCat(type, ": pooling windows have no dilation, got ", w.str()));
    if (2 * std::max(w.ph, w.padBottom()) > w.kh || 2 * std::max(w.pw, w.padRight()) > w.kw) {
        throw ModelError(strCat(type, ": padding must be at most half the kernel, got ", w.str()));
    }
}

Shape poolOutputShape(const Layer& layer, const Window2d& w, bool ceilMode, const Shape& in) {
    if (in.rank() != 4) {
        throw ShapeError(
            strCat(layer.label(), ": expects input of layout (N, C, H, W); got input ", in));
    }
    const int Ho = slidingOutputSize(in[2], w.kh, w.sh, w.ph, w.padBottom(), 1, ceilMode);
    const int Wo = slidingOutputSize(in[3], w.kw, w.sw, w.pw, w.padRight(), 1, ceilMode);
    if (Ho <= 0 || Wo <= 0) {
        throw ShapeError(strCat(layer.label(), ": the ", w.kh, "×", w.kw,
                                " window does not fit the input; got input ", in));
    }
    return {in[0], in[1], Ho, Wo};
}

}  // namespace ll
