#include "core/data/dataset.h"

#include <algorithm>
#include <cmath>

namespace ll {

namespace {
void keep(Dataset& d, const std::vector<int>& idx) {
    const std::int64_t sz = d.imageSize();
    std::vector<std::uint8_t> images(static_cast<std::size_t>(sz) * idx.size());
    std::vector<std::uint8_t> labels(idx.size());
    for (std::size_t k = 0; k < idx.size(); ++k) {
        std::copy(d.image(idx[k]), d.image(idx[k]) + sz,
                  images.begin() + static_cast<std::ptrdiff_t>(sz * static_cast<std::int64_t>(k)));
        labels[k] = d.labels[static_cast<std::size_t>(idx[k])];
    }
    d.images = std::move(images);
    d.labels = std::move(labels);
}
}  // namespace

void takeSubset(Dataset& d, int count, std::uint64_t seed) {
    if (count <= 0)
        throw UsageError(strCat("a training subset needs at least one sample, got ", count));
    if (count >= d.size()) return;
    std::vector<int> idx = Rng(seed).permutation(d.size());
    idx.resize(static_cast<std::size_t>(count));
    keep(d, idx);
}

int applyLabelNoise(Dataset& d, double p, std::uint64_t seed) {
    if (!(p >= 0.0 && p <= 1.0)) throw UsageError(strCat("label noise must be in [0, 1], got ", p));
    const int n = static_cast<int>(std::lround(p * d.size()));
    Rng rng(seed ^ 0x1abe1);
    const std::vector<int> idx = rng.permutation(d.size());
    int changed = 0;
    for (int k = 0; k < n; ++k) {
        auto& label = d.labels[static_cast<std::size_t>(idx[static_cast<std::size_t>(k)])];
        const auto fresh =
            static_cast<std::uint8_t>(rng.below(static_cast<std::uint64_t>(d.numClasses())));
        changed += fresh != label;
        label = fresh;
    }
    return changed;
}

void filterTwoClasses(Dataset& d, int a, int b) {
    if (a == b || a < 0 || b < 0 || a >= d.numClasses() || b >= d.numClasses()) {
        throw UsageError(strCat("--classes needs two different classes in [0, ", d.numClasses() - 1,
                                "], got ", a, ",", b));
    }
    std::vector<int> idx;
    for (int i = 0; i < d.size(); ++i) {
        const int l = d.labels[static_cast<std::size_t>(i)];
        if (l == a || l == b) idx.push_back(i);
    }
    keep(d, idx);
    for (auto& l : d.labels)
        l = l == a ? 0 : 1;
    d.classNames = {d.classNames[static_cast<std::size_t>(a)],
                    d.classNames[static_cast<std::size_t>(b)]};
    d.name += strCat("-", a, "v", b);
}

void makeBatch(const Dataset& d, const std::vector<int>& order, int start, int count, Tensor& x,
               Tensor& y, const BatchOptions& o, Rng* rng) {
    LL_CHECK(start >= 0 && count > 0 && start + count <= static_cast<int>(order.size()), "batch [",
             start, ", ", start + count, ") of ", order.size());
    LL_CHECK(!o.augment || rng, "augmentation needs an Rng");
    const int C = d.channels, H = d.height, W = d.width;
    x.resize({count, C, H, W});
    y.resize({count});
    LL_CHECK(C <= 16, "makeBatch supports up to 16 channels, got ", C);
    // Per-channel affine map x·scale + shift folds /255, − mean and / std into one multiply-add.
    float scale[16], shift[16];
    for (int c = 0; c < C; ++c) {
        const float m = o.normalize && !d.mean.empty() ? d.mean[static_cast<std::size_t>(c)] : 0.0f;
        const float s =
            o.normalize && !d.stddev.empty() ? d.stddev[static_cast<std::size_t>(c)] : 1.0f;
        scale[c] = o.rawPixels ? 1.0f : 1.0f / (255.0f * s);
        shift[c] = o.rawPixels ? 0.0f : -m / s;
    }
    for (int k = 0; k < count; ++k) {
        const int i = order[static_cast<std::size_t>(start + k)];
        const std::uint8_t* src = d.image(i);
        float* dst = x.data() + static_cast<std::int64_t>(k) * C * H * W;
        int dy = 0, dx = 0;
        bool flip = false;
        if (o.augment) {
            dy = static_cast<int>(rng->below(9)) - 4;
            dx = static_cast<int>(rng->below(9)) - 4;
            flip = rng->below(2) == 1;
        }
        for (int c = 0; c < C; ++c) {
            for (int h = 0; h < H; ++h) {
                for (int w = 0; w < W; ++w) {
                    // Crop of the zero-padded image shifted by (dy, dx); padding maps to "black".
                    const int sh = h + dy, sw = (flip ? W - 1 - w : w) + dx;
                    const bool inside = sh >= 0 && sh < H && sw >= 0 && sw < W;
                    const float v = inside ? src[(c * H + sh) * W + sw] : 0.0f;
                    dst[(c * H + h) * W + w] = v * scale[c] + shift[c];
                }
            }
        }
        const float label = d.labels[static_cast<std::size_t>(i)];
        y[k] = o.signedLabels ? (label > 0 ? 1.0f : -1.0f) : label;
    }
}

}  // namespace ll
