#pragma once
// A tiny learnable data set: class c is a bright 2×2 block at a class-specific place in an 8×8
// image, plus seeded noise.

#include "core/data/dataset.h"

namespace ll::test {

inline Dataset blobs(int n, std::uint64_t seed, int classes = 4) {
    Dataset d;
    d.name = "blobs";
    d.split = "train";
    d.channels = 1;
    d.height = d.width = 8;
    d.mean = {0.1f};
    d.stddev = {0.3f};
    for (int c = 0; c < classes; ++c)
        d.classNames.push_back(std::to_string(c));
    Rng rng(seed);
    d.images.resize(static_cast<std::size_t>(n) * 64);
    d.labels.resize(static_cast<std::size_t>(n));
    for (int i = 0; i < n; ++i) {
        const int c = static_cast<int>(rng.below(static_cast<std::uint64_t>(classes)));
        d.labels[static_cast<std::size_t>(i)] = static_cast<std::uint8_t>(c);
        std::uint8_t* img = d.images.data() + static_cast<std::size_t>(i) * 64;
        for (int p = 0; p < 64; ++p)
            img[p] = static_cast<std::uint8_t>(rng.below(60));
        const int r0 = 1 + 3 * (c / 2), c0 = 1 + 3 * (c % 2);
        for (int r = 0; r < 2; ++r)
            for (int q = 0; q < 2; ++q)
                img[(r0 + r) * 8 + c0 + q] = 250;
    }
    return d;
}

inline const char* kBlobNet = R"({"name": "blobnet", "input": [1, 8, 8], "layers": [
    {"type": "Conv2d", "out": 4, "kernel": 3, "padding": 1}, {"type": "ReLU"},
    {"type": "MaxPool2d", "kernel": 2}, {"type": "Flatten"}, {"type": "Linear", "out": 4}]})";

}  // namespace ll::test
