#include "core/layers/concat_inputs.h"

#include <cstring>

namespace ll {

Shape ConcatInputs::combinedShape(const std::vector<Shape>& in) const {
    std::vector<int> out = in[0].dims();
    if (out.size() < 2)
        throw ShapeError(strCat(label(), ": inputs need channels, got ", shapesText(in)));
    for (std::size_t k = 1; k < in.size(); ++k) {
        bool agree = in[k].rank() == static_cast<int>(out.size());
        for (int d = 0; agree && d < in[k].rank(); ++d)
            agree = d == 1 || in[k][d] == out[static_cast<std::size_t>(d)];
        if (!agree)
            throw ShapeError(
                strCat(label(), ": inputs may differ only in channels, got ", shapesText(in)));
        out[1] += in[k][1];
    }
    return Shape(out);
}

void ConcatInputs::forwardMultiImpl(const std::vector<const Tensor*>& xs, Tensor& y, Mode) {
    const int N = y.dim(0);
    const std::int64_t outPer = y.numel() / N;
    std::int64_t offset = 0;
    for (const Tensor* x : xs) {
        const std::int64_t per = x->numel() / N;
        for (int n = 0; n < N; ++n)
            std::memcpy(y.data() + n * outPer + offset, x->data() + n * per,
                        sizeof(float) * static_cast<std::size_t>(per));
        offset += per;
    }
}

void ConcatInputs::backwardMultiImpl(const std::vector<const Tensor*>& xs, const Tensor&,
                                     const Tensor& dy, const std::vector<Tensor*>& dxs) {
    const int N = dy.dim(0);
    const std::int64_t outPer = dy.numel() / N;
    std::int64_t offset = 0;
    for (std::size_t k = 0; k < xs.size(); ++k) {
        const std::int64_t per = xs[k]->numel() / N;
        if (dxs[k]) {
            for (int n = 0; n < N; ++n)
                std::memcpy(dxs[k]->data() + n * per, dy.data() + n * outPer + offset,
                            sizeof(float) * static_cast<std::size_t>(per));
        }
        offset += per;
    }
}

}  // namespace ll
