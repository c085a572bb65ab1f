#include "core/layers/pool_common.h"

#include <algorithm>

#include "core/layers/conv2d.h"

namespace ll {

void validatePoolWindow(const Window2d& w, const char* type) {
    if (w.kh <= 0 || w.kw <= 0 || w.sh <= 0 || w.sw <= 0 || w.ph < 0 || w.pw < 0) {
        throw ModelError(
            strCat(type, ": kernel and stride must be positive and padding >= 0, got ", w.str()));
    }
    if (std::max({w.kh, w.kw, w.sh, w.sw, w.ph, w.pw}) > kMaxWindow)
        throw ModelError(strCat(type, ": kernel, stride and padding must be at most ", kMaxWindow,
                                ", got ", w.str()));
    if (2 * w.ph > w.kh || 2 * w.pw > w.kw) {
        throw ModelError(strCat(type, ": padding must be at most half the kernel, got ", w.str()));
    }
}

Shape poolOutputShape(const Layer& layer, const Window2d& w, const Shape& in) {
    if (in.rank() != 4) {
        throw ShapeError(
            strCat(layer.label(), ": expects input of layout (N, C, H, W); got input ", in));
    }
    const int Ho = slidingOutputSize(in[2], w.kh, w.sh, w.ph);
    const int Wo = slidingOutputSize(in[3], w.kw, w.sw, w.pw);
    if (Ho <= 0 || Wo <= 0) {
        throw ShapeError(strCat(layer.label(), ": the ", w.kh, "×", w.kw,
                                " window does not fit the input; got input ", in));
    }
    return {in[0], in[1], Ho, Wo};
}

}  // namespace ll
