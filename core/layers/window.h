#pragma once

#include <string>

namespace ll {

/// Hyper-parameters of a 2-D convolution or pooling window (non-square allowed).
/// The largest kernel, stride or padding a layer accepts (window arithmetic stays within int).
constexpr int kMaxWindow = 65535;

struct Window2d {
    int kh = 1, kw = 1;       // kernel height, width
    int sh = 1, sw = 1;       // stride
    int ph = 0, pw = 0;       // zero padding on each side
    std::string str() const;  // "k5×5, s1, p2"
};

}  // namespace ll
