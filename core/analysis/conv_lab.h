#pragma once
// The convolution lab: what a convolution *is*, on the user's own image (the course's homework
// before it trains one).
//  - Hand-set kernels (typed as text or picked from presets) applied to an image with the
//    engine's own convolution (conv_kernels.h: im2col + GEMM, the kernel Conv2d trains with).
//  - The operator identities, each as two results computed two ways and their largest
//    difference:
//      average pooling k×k stride k  ≡  convolution with the constant 1/k² kernel, stride k;
//      RGB → grey                    ≡  1×1 convolution with (0.299, 0.587, 0.114) — and OpenCV's
//                                       cvtColor, which agrees in float but rounds to whole grey
//                                       levels on 8-bit images;
//      f(maxpool(x))                 ≡  maxpool(f(x)) for a non-decreasing f (ReLU, sigmoid,
//                                       tanh): max_i f(x_i) = f(max_i x_i), exactly, in floats too
//                                       as long as f's float evaluation never decreases. GELU and
//                                       SiLU dip below zero and come back (GELU(−3) > GELU(−0.75)),
//                                       so there the identity fails, and the check says where.
// Tensors are NCHW float (core/tensor.h). Errors in user input (kernel text, settings that leave
// no output) throw UsageError with a message saying what and where.

#include <cstdint>
#include <string>
#include <vector>

#include "core/net.h"
#include "core/tensor.h"

namespace ll {

/// The largest kernel side the lab accepts (the 1 ≤ k ≤ 7).
constexpr int kMaxLabKernel = 7;

/// A rows × cols kernel (1 … kMaxLabKernel each), weights row-major.
struct Kernel {
    int rows = 0, cols = 0;
    std::vector<float> w;  // (rows, cols)

    float at(int r, int c) const { return w[static_cast<std::size_t>(r * cols + c)]; }
    /// "0,0,0;0,-1,1;0,0,0": parseKernel's syntax (shortest text that reads back the same floats).
    std::string str() const;
    bool operator==(const Kernel& o) const { return rows == o.rows && cols == o.cols && w == o.w; }
};

/// Parses a kernel: rows split by ';' (or new lines), values by ',' and/or spaces:
/// "0,0,0; 0,-1,1; 0,0,0" or "1 2 1; 0 0 0; -1 -2 -1". Square or not (a 1×2 "-1, 1" is the
/// forward difference itself). Throws UsageError naming the row and column (1-based) of the
/// problem: empty text, an empty row, a value that is not a number (or has trailing characters),
/// NaN or infinity, rows of different lengths, more than kMaxLabKernel rows or columns.
Kernel parseKernel(const std::string& text);

struct KernelPreset {
    std::string name;   // "dx", "sobel-x", ... (the CLI's --kernel NAME)
    std::string title;  // "Horizontal forward difference"
    std::string about;  // one sentence: what the map shows
    Kernel kernel;
};
/// The presets, in the order the editor lists them: the course's two forward differences
/// (horizontal "dx": x[i, j+1] − x[i, j]; vertical "dy": x[i+1, j] − x[i, j]; as 3×3 kernels
/// centred on x[i, j]), Sobel x and y, Laplacian, 3×3 box blur, 3×3 Gaussian (1 2 1)ᵀ(1 2 1)/16,
/// sharpen, identity.
const std::vector<KernelPreset>& kernelPresets();
/// Throws UsageError listing the names when there is no preset `name`.
const KernelPreset& kernelPreset(const std::string& name);
/// A preset's name, or else the text parsed as a kernel.
Kernel kernelFromText(const std::string& nameOrText);

/// Stride, zero padding (every side) and dilation of the lab's convolution.
struct LabConv {
    int stride = 1, padding = 0, dilation = 1;
};

/// The kernel applied to every channel of `image` (C, H, W) or (1, C, H, W) on its own (a
/// depthwise convolution, groups = C) by the engine's convForward: (C, Ho, Wo) with
/// Ho = ⌊(H + 2p − (kh − 1)·d − 1)/s⌋ + 1 (likewise Wo). Cross-correlation, as in every DL
/// framework (the kernel is not flipped). Throws UsageError for stride, dilation < 1 or
/// > 64, padding < 0 or > 64, or a kernel that does not fit in the padded image.
Tensor applyKernel(const Tensor& image, const Kernel& kernel, const LabConv& s);

/// Several kernels (one per output channel), each applied to every channel as applyKernel does:
/// (K·C, Ho, Wo), kernel k's maps at k·C … k·C + C − 1. Throws UsageError when the kernels give
/// maps of different sizes (naming the two kernels), or there is none.
Tensor applyKernels(const Tensor& image, const std::vector<Kernel>& kernels, const LabConv& s);

/// One learned filter `filter` (C, kh, kw) of a Conv2d, summed over all C channels of `image`,
/// plus `bias`: (1, Ho, Wo) — what that output channel of the layer computes on this input.
Tensor applyFilter(const Tensor& image, const Tensor& filter, float bias, const LabConv& s);

/// The weights (C, kh, kw) and bias of output channel `o` of layer `layer` of `net` when it is a
/// Conv2d (groups 1) — what "load the learned filter" opens. Throws UsageError otherwise.
struct LearnedFilter {
    Tensor weight;  // (C, kh, kw)
    float bias = 0;
    LabConv conv;  // the layer's own stride, padding, dilation (symmetric, square)
};
LearnedFilter learnedFilter(Net& net, int layer, int o);

/// One identity checked: the same quantity computed two ways (`a`, `b`, same shape) and their
/// largest absolute difference. `holds` says what the lab expects: true for the identities,
/// false for the counterexamples (GELU, SiLU), where the check is that the difference is not 0.
struct IdentityCheck {
    std::string name;         // "avgpool-2", "gray-1x1", "relu-maxpool", ...
    std::string title;        // "Average pooling 2×2 stride 2 ≡ conv 1/4 stride 2"
    std::string left, right;  // what a and b are
    Tensor a, b;              // (N, C, Ho, Wo)
    double maxAbsDifference = 0;
    double maxRelDifference = 0;  // maxAbsDifference / max(|a|)
    double maxAbsValue = 0;       // max |a|
    std::int64_t where = -1;      // flat index of the largest difference (−1: none)
    std::string whereText;        // "(n, c, h, w) = (0, 1, 2, 3): a = …, b = …"
    bool expected = true;         // the identity should hold
    double tolerance = 0;         // largest |a − b| accepted when it should hold
    std::string note;             // why the difference is what it is
    bool asExpected() const {
        return expected ? maxAbsDifference <= tolerance : maxAbsDifference > 0;
    }
};

/// AvgPool2d(k, stride k) against convForward with the constant 1/k² kernel, stride k, each
/// channel on its own; x (N, C, H, W). Tolerance: 1e-6 relative to max |x|.
IdentityCheck checkAvgPoolAsConv(const Tensor& x, int k);
/// RGB → grey: a 1×1 convolution with (0.299, 0.587, 0.114) against OpenCV's cvtColor
/// (COLOR_RGB2GRAY) on the same float image; x (N, 3, H, W). Float precision both sides.
IdentityCheck checkGrayAsConv(const Tensor& x);
/// The same 1×1 convolution on x·255 against cvtColor of the 8-bit image (x·255 rounded): OpenCV
/// rounds the result to whole grey levels, so up to half a level apart (tolerance 0.5 + the
/// 8-bit input's own rounding); x (N, 3, H, W) in [0, 1].
IdentityCheck checkGrayAsConv8Bit(const Tensor& x);
/// f(maxpool_k(x)) against maxpool_k(f(x)) with the engine's layers; activation is a layer type
/// ("ReLU", "Sigmoid", "Tanh", "GELU", "SiLU", ...). Expected to hold (exactly: tolerance 0)
/// for the non-decreasing ones (isMonotonicActivation, transforms.h), to fail for the others;
/// whereText then names the window and the input that wins after f.
IdentityCheck checkActivationMaxPool(const Tensor& x, const std::string& activation, int k = 2);

/// x (N, C, H, W) as RGB images in [0, 1] for the grey identities: channels 0, 1, 2 (repeated
/// when C < 3), mapped linearly from x's range.
Tensor labRgb(const Tensor& x);

/// Every operator identity on x (N, C, H, W) (the RGB ones when C = 3, else on x repeated over
/// 3 channels): avg-pool 2 and 3, RGB → grey (float and 8-bit), and the activation–max-pool
/// commutation for ReLU, sigmoid, tanh, GELU and SiLU.
std::vector<IdentityCheck> operatorIdentities(const Tensor& x);

/// The model identities on `net` with input x (N, C, H, W) (Eval mode): batch-norm folding,
/// FC → conv, and activations after max-pooling — each when the net has something to
/// transform (else left out, with a sentence in *skipped).
std::vector<IdentityCheck> modelIdentities(Net& net, const Tensor& x,
                                           std::vector<std::string>* skipped = nullptr);

/// Random inputs for the identities: (N, C, H, W), uniform in [−3, 3] (both sides of GELU's and
/// SiLU's dip), fixed seed.
Tensor labRandomInput(const Shape& shape, std::uint64_t seed);

/// "name  largest difference 1.2e-07 (relative 3e-08)  ok" lines, and the same as JSON.
std::string identitiesText(const std::vector<IdentityCheck>& checks);
std::string identitiesJson(const std::vector<IdentityCheck>& checks);

}  // namespace ll
