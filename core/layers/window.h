#pragma once

#include <optional>
#include <string>

namespace ll {

/// The largest kernel, stride, padding or dilation a layer accepts (window arithmetic stays
/// within int).
constexpr int kMaxWindow = 65535;

/// Hyper-parameters of a 2-D convolution or pooling window (non-square allowed).
///
/// Padding is symmetric unless the bottom or right padding is given: `Window2d{3, 3, 1, 1, 1, 1}`
/// pads one row and column on every side, as before dilation and asymmetric padding existed.
/// Window i along an axis covers input positions i·s − p_top + t·d for taps t = 0 … k − 1.
struct Window2d {
    int kh = 1, kw = 1;  // kernel height, width
    int sh = 1, sw = 1;  // stride
    int ph = 0, pw = 0;  // zero padding at the top and the left (and the other sides by default)
    int dh = 1, dw = 1;  // dilation: the taps of the kernel are dh rows, dw columns apart
    std::optional<int> pb{}, pr{};  // padding at the bottom, the right; none: the same as ph, pw

    int padBottom() const { return pb.value_or(ph); }
    int padRight() const { return pr.value_or(pw); }
    bool symmetric() const { return padBottom() == ph && padRight() == pw; }
    /// Input rows (columns) one window spans: (k − 1)·d + 1.
    int spanH() const { return (kh - 1) * dh + 1; }
    int spanW() const { return (kw - 1) * dw + 1; }
    /// "k5×5, s1, p2"; dilation and asymmetric padding when present: "k3×3, s1, p[0,0,1,1], d2"
    /// (padding as in model files: [top, left, bottom, right]).
    std::string str() const;
};

/// Throws ModelError "<type>: ..." unless kernel, stride and dilation are positive, padding is
/// >= 0 and all of them, and the span of a window, are at most kMaxWindow.
void validateWindow(const Window2d& w, const char* type);

}  // namespace ll
