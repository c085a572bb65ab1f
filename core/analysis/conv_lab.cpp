#include "core/analysis/conv_lab.h"

#include <algorithm>
#include <cctype>
#include <cerrno>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <memory>

#include <nlohmann/json.hpp>
#include <opencv2/imgproc.hpp>

#include "core/analysis/cost.h"
#include "core/analysis/transforms.h"
#include "core/layers/avg_pool2d.h"
#include "core/layers/conv2d.h"
#include "core/layers/conv_kernels.h"
#include "core/layers/gelu.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/relu.h"
#include "core/layers/sigmoid.h"
#include "core/layers/silu.h"
#include "core/layers/tanh.h"
#include "core/random.h"

namespace ll {

namespace {

std::string trim(const std::string& s) {
    const auto first = s.find_first_not_of(" \t\r\n");
    if (first == std::string::npos) return {};
    return s.substr(first, s.find_last_not_of(" \t\r\n") - first + 1);
}

// The shortest decimal text that reads back as the same float.
std::string shortest(float v) {
    char buf[32];
    for (int precision = 1; precision <= 9; ++precision) {
        std::snprintf(buf, sizeof buf, "%.*g", precision, static_cast<double>(v));
        if (std::strtof(buf, nullptr) == v) break;
    }
    return buf;
}

// One value of a kernel text: a number, or a fraction "a/b" (so "1/9" types a box blur).
float parseValue(const std::string& token, int row, int col) {
    auto number = [&](const std::string& t, double& v) {
        if (t.empty()) return false;
        errno = 0;
        char* end = nullptr;
        v = std::strtod(t.c_str(), &end);
        return end == t.c_str() + t.size();
    };
    double v = 0;
    const auto slash = token.find('/');
    bool ok = false;
    if (slash == std::string::npos) {
        ok = number(token, v);
    } else {
        double num = 0, den = 0;
        ok = number(token.substr(0, slash), num) && number(token.substr(slash + 1), den);
        v = num / den;
    }
    if (!ok)
        throw UsageError(strCat("kernel row ", row, ", column ", col, ": '", token,
                                "' is not a number (write values like 0.25, -1, 1/9)"));
    if (!std::isfinite(v) || std::fabs(v) > 3.0e38)
        throw UsageError(strCat("kernel row ", row, ", column ", col, ": '", token,
                                "' is not a finite number (NaN and infinity are refused)"));
    return static_cast<float>(v);
}

void checkConv(const LabConv& s) {
    if (s.stride < 1 || s.stride > 64)
        throw UsageError(strCat("stride must be between 1 and 64, got ", s.stride));
    if (s.padding < 0 || s.padding > 64)
        throw UsageError(strCat("padding must be between 0 and 64, got ", s.padding));
    if (s.dilation < 1 || s.dilation > 64)
        throw UsageError(strCat("dilation must be between 1 and 64, got ", s.dilation));
}

// The image as (C, H, W), from (C, H, W) or (1, C, H, W).
Shape imageShape(const Tensor& image) {
    const Shape& s = image.shape();
    if (s.rank() == 3) return s;
    if (s.rank() == 4 && s[0] == 1) return s.sample();
    throw UsageError(strCat("the lab needs one image (C, H, W), got ", s));
}

// The geometry of the lab's convolution of a (C, H, W) image; throws UsageError when the kernel
// does not fit in the padded image.
ConvGeometry labGeometry(const Shape& img, int kh, int kw, int K, int groups, const LabConv& s) {
    checkConv(s);
    ConvGeometry g;
    g.C = img[0];
    g.H = img[1];
    g.W = img[2];
    g.K = K;
    g.kh = kh;
    g.kw = kw;
    g.sh = g.sw = s.stride;
    g.ph = g.pw = g.pb = g.pr = s.padding;
    g.dh = g.dw = s.dilation;
    g.groups = groups;
    g.Ho = slidingOutputSize(g.H, kh, s.stride, s.padding, s.padding, s.dilation);
    g.Wo = slidingOutputSize(g.W, kw, s.stride, s.padding, s.padding, s.dilation);
    if (g.Ho <= 0 || g.Wo <= 0)
        throw UsageError(strCat("a ", kh, "×", kw, " kernel with dilation ", s.dilation, " spans ",
                                (kh - 1) * s.dilation + 1, "×", (kw - 1) * s.dilation + 1,
                                " pixels, more than the ", g.H, "×", g.W, " image padded by ",
                                s.padding, ": lower the dilation or add padding"));
    return g;
}

std::string fmt(double v) {
    char b[32];
    std::snprintf(b, sizeof b, "%.6g", v);
    return b;
}

// Fills the differences of a check from its a and b.
void measure(IdentityCheck& c) {
    LL_CHECK(c.a.shape() == c.b.shape(), c.a.shape(), " vs ", c.b.shape());
    c.maxAbsDifference = 0;
    c.maxAbsValue = 0;
    c.where = -1;
    for (std::int64_t i = 0; i < c.a.numel(); ++i) {
        const double d = std::fabs(static_cast<double>(c.a[i]) - c.b[i]);
        if (d > c.maxAbsDifference) {
            c.maxAbsDifference = d;
            c.where = i;
        }
        c.maxAbsValue = std::max(c.maxAbsValue, std::fabs(static_cast<double>(c.a[i])));
    }
    c.maxRelDifference = c.maxAbsValue > 0 ? c.maxAbsDifference / c.maxAbsValue : 0;
    if (c.where < 0) return;
    const Shape& s = c.a.shape();
    std::string pos = "(";
    std::int64_t rest = c.where;
    std::vector<int> idx(static_cast<std::size_t>(s.rank()));
    for (int d = s.rank() - 1; d >= 0; --d) {
        idx[static_cast<std::size_t>(d)] = static_cast<int>(rest % s[d]);
        rest /= s[d];
    }
    for (std::size_t d = 0; d < idx.size(); ++d)
        pos += (d ? ", " : "") + std::to_string(idx[d]);
    c.whereText = strCat("at ", pos, "): ", c.left, " = ", fmt(c.a[c.where]), ", ", c.right, " = ",
                         fmt(c.b[c.where]));
}

std::unique_ptr<Layer> makeActivation(const std::string& type) {
    if (type == "ReLU") return std::make_unique<ReLU>();
    if (type == "Sigmoid") return std::make_unique<Sigmoid>();
    if (type == "Tanh") return std::make_unique<Tanh>();
    if (type == "GELU") return std::make_unique<GELU>();
    if (type == "SiLU") return std::make_unique<SiLU>();
    throw UsageError(
        strCat("unknown activation '", type, "' for the lab: ReLU, Sigmoid, Tanh, GELU or SiLU"));
}

// x (N, 3, H, W) in CHW planes → one interleaved RGB cv::Mat per sample, and back.
cv::Mat toInterleaved(const Tensor& x, int n, int depth, float scale) {
    const int H = x.dim(2), W = x.dim(3);
    cv::Mat m(H, W, CV_MAKETYPE(depth, 3));
    for (int h = 0; h < H; ++h)
        for (int w = 0; w < W; ++w)
            for (int c = 0; c < 3; ++c) {
                const float v = x.at(n, c, h, w) * scale;
                if (depth == CV_32F)
                    m.ptr<float>(h)[w * 3 + c] = v;
                else
                    m.ptr<std::uint8_t>(h)[w * 3 + c] =
                        static_cast<std::uint8_t>(std::clamp(std::lround(v), 0L, 255L));
            }
    return m;
}

// The 1×1 convolution RGB → grey on x (N, 3, H, W) by the engine's convolution.
Tensor grayByConv(const Tensor& x) {
    const float w[3] = {0.299f, 0.587f, 0.114f};
    ConvGeometry g;
    g.C = 3;
    g.H = g.Ho = x.dim(2);
    g.W = g.Wo = x.dim(3);
    g.K = 1;
    Tensor y({x.dim(0), 1, g.H, g.W});
    convForward(g, x.dim(0), x.data(), w, nullptr, y.data());
    return y;
}

Tensor grayByOpenCv(const Tensor& x, int depth, float scale) {
    const int N = x.dim(0), H = x.dim(2), W = x.dim(3);
    Tensor y({N, 1, H, W});
    for (int n = 0; n < N; ++n) {
        cv::Mat gray;
        cv::cvtColor(toInterleaved(x, n, depth, scale), gray, cv::COLOR_RGB2GRAY);
        for (int h = 0; h < H; ++h)
            for (int w = 0; w < W; ++w)
                y.at(n, 0, h, w) = depth == CV_32F
                                       ? gray.ptr<float>(h)[w]
                                       : static_cast<float>(gray.ptr<std::uint8_t>(h)[w]);
    }
    return y;
}

void requireImages(const Tensor& x, const char* what) {
    if (x.rank() != 4 || x.numel() == 0)
        throw UsageError(strCat(what, " needs images (N, C, H, W), got ", x.shape()));
}

}  // namespace

std::string Kernel::str() const {
    std::string s;
    for (int r = 0; r < rows; ++r) {
        if (r) s += ';';
        for (int c = 0; c < cols; ++c)
            s += (c ? "," : "") + shortest(at(r, c));
    }
    return s;
}

Kernel parseKernel(const std::string& text) {
    if (trim(text).empty())
        throw UsageError("the kernel is empty: type rows of numbers, e.g. 0,0,0; 0,-1,1; 0,0,0");
    // Rows by ';' or new lines: blank lines and a ';' that ends a line are allowed, an empty row
    // between two ';' is not.
    std::vector<std::string> rows;
    std::size_t start = 0;
    while (start <= text.size()) {
        std::size_t end = text.find('\n', start);
        if (end == std::string::npos) end = text.size();
        std::string line = trim(text.substr(start, end - start));
        start = end + 1;
        if (line.empty()) continue;
        if (line.back() == ';') line.pop_back();
        std::size_t from = 0;
        while (true) {
            const std::size_t semi = line.find(';', from);
            rows.push_back(
                line.substr(from, semi == std::string::npos ? std::string::npos : semi - from));
            if (semi == std::string::npos) break;
            from = semi + 1;
        }
    }
    if (std::all_of(rows.begin(), rows.end(), [](const std::string& r) { return trim(r).empty(); }))
        throw UsageError("the kernel is empty: type rows of numbers, e.g. 0,0,0; 0,-1,1; 0,0,0");
    Kernel k;
    for (std::size_t r = 0; r < rows.size(); ++r) {
        const int row = static_cast<int>(r) + 1;
        if (row > kMaxLabKernel)
            throw UsageError(strCat("kernel row ", row, ": more than ", kMaxLabKernel,
                                    " rows (kernels are at most ", kMaxLabKernel, "×",
                                    kMaxLabKernel, ")"));
        if (trim(rows[r]).empty())
            throw UsageError(strCat("kernel row ", row, " is empty (two ';' in a row?)"));
        // Values by ',' and/or white space; an empty place between commas is an error.
        std::vector<float> values;
        std::string part;
        auto flushPart = [&](bool comma) {
            std::size_t i = 0;
            bool any = false;
            while (true) {
                while (i < part.size() && std::isspace(static_cast<unsigned char>(part[i])))
                    ++i;
                if (i >= part.size()) break;
                std::size_t j = i;
                while (j < part.size() && !std::isspace(static_cast<unsigned char>(part[j])))
                    ++j;
                const int col = static_cast<int>(values.size()) + 1;
                if (col > kMaxLabKernel)
                    throw UsageError(strCat("kernel row ", row, ", column ", col, ": more than ",
                                            kMaxLabKernel, " columns (kernels are at most ",
                                            kMaxLabKernel, "×", kMaxLabKernel, ")"));
                values.push_back(parseValue(part.substr(i, j - i), row, col));
                any = true;
                i = j;
            }
            if (!any && comma)
                throw UsageError(strCat("kernel row ", row, ", column ", values.size() + 1,
                                        ": no value (two ',' in a row?)"));
            part.clear();
        };
        const std::string line = trim(rows[r]);
        for (char ch : line) {
            if (ch == ',')
                flushPart(true);
            else
                part += ch;
        }
        flushPart(true);
        const int cols = static_cast<int>(values.size());
        if (r == 0) {
            k.cols = cols;
        } else if (cols != k.cols) {
            throw UsageError(strCat("kernel row ", row, " has ", cols, " value",
                                    cols == 1 ? "" : "s", ", row 1 has ", k.cols,
                                    ": every row needs the same number (column ",
                                    std::min(cols, k.cols) + 1, " is where they part)"));
        }
        k.w.insert(k.w.end(), values.begin(), values.end());
        k.rows = row;
    }
    return k;
}

const std::vector<KernelPreset>& kernelPresets() {
    static const std::vector<KernelPreset> presets = [] {
        auto k3 = [](std::vector<float> w, float scale = 1.0f) {
            for (float& v : w)
                v *= scale;
            return Kernel{3, 3, std::move(w)};
        };
        return std::vector<KernelPreset>{
            {"dx", "Horizontal forward difference",
             "x[i, j+1] − x[i, j]: bright where the image gets brighter to the right (vertical "
             "edges)",
             k3({0, 0, 0, 0, -1, 1, 0, 0, 0})},
            {"dy", "Vertical forward difference",
             "x[i+1, j] − x[i, j]: bright where the image gets brighter downwards (horizontal "
             "edges)",
             k3({0, 0, 0, 0, -1, 0, 0, 1, 0})},
            {"sobel-x", "Sobel x",
             "a smoothed central difference along x: vertical edges, less noise",
             k3({-1, 0, 1, -2, 0, 2, -1, 0, 1})},
            {"sobel-y", "Sobel y",
             "a smoothed central difference along y: horizontal edges, less noise",
             k3({-1, -2, -1, 0, 0, 0, 1, 2, 1})},
            {"laplacian", "Laplacian",
             "the sum of the second differences: edges and blobs in every direction",
             k3({0, 1, 0, 1, -4, 1, 0, 1, 0})},
            {"box", "Box blur 3×3", "the mean of the 3×3 neighbourhood",
             k3({1, 1, 1, 1, 1, 1, 1, 1, 1}, 1.0f / 9)},
            {"gaussian", "Gaussian 3×3", "(1 2 1)ᵀ(1 2 1)/16: a blur weighting the centre most",
             k3({1, 2, 1, 2, 4, 2, 1, 2, 1}, 1.0f / 16)},
            {"sharpen", "Sharpen", "the image plus its negative Laplacian: edges stand out",
             k3({0, -1, 0, -1, 5, -1, 0, -1, 0})},
            {"identity", "Identity", "the image itself", k3({0, 0, 0, 0, 1, 0, 0, 0, 0})},
        };
    }();
    return presets;
}

const KernelPreset& kernelPreset(const std::string& name) {
    std::string names;
    for (const KernelPreset& p : kernelPresets()) {
        if (p.name == name) return p;
        names += (names.empty() ? "" : ", ") + p.name;
    }
    throw UsageError(strCat("no kernel preset '", name, "': ", names));
}

Kernel kernelFromText(const std::string& nameOrText) {
    for (const KernelPreset& p : kernelPresets())
        if (p.name == trim(nameOrText)) return p.kernel;
    return parseKernel(nameOrText);
}

Tensor applyKernel(const Tensor& image, const Kernel& kernel, const LabConv& s) {
    if (kernel.rows < 1 || kernel.cols < 1 || kernel.rows > kMaxLabKernel ||
        kernel.cols > kMaxLabKernel ||
        kernel.w.size() != static_cast<std::size_t>(kernel.rows * kernel.cols))
        throw UsageError(strCat("the kernel must be 1×1 to ", kMaxLabKernel, "×", kMaxLabKernel,
                                ", got ", kernel.rows, "×", kernel.cols));
    const Shape img = imageShape(image);
    // Depthwise: every channel its own copy of the kernel (groups = C, one output per channel).
    const ConvGeometry g = labGeometry(img, kernel.rows, kernel.cols, img[0], img[0], s);
    std::vector<float> w;
    for (int c = 0; c < img[0]; ++c)
        w.insert(w.end(), kernel.w.begin(), kernel.w.end());
    Tensor y({img[0], g.Ho, g.Wo});
    convForward(g, 1, image.data(), w.data(), nullptr, y.data());
    return y;
}

Tensor applyKernels(const Tensor& image, const std::vector<Kernel>& kernels, const LabConv& s) {
    if (kernels.empty()) throw UsageError("no kernel to apply");
    std::vector<Tensor> maps;
    for (const Kernel& k : kernels)
        maps.push_back(applyKernel(image, k, s));
    const Shape& first = maps[0].shape();
    for (std::size_t k = 1; k < maps.size(); ++k)
        if (maps[k].dim(1) != first[1] || maps[k].dim(2) != first[2])
            throw UsageError(strCat("kernel ", k + 1, " (", kernels[k].rows, "×", kernels[k].cols,
                                    ") gives ", maps[k].dim(1), "×", maps[k].dim(2),
                                    " maps, kernel 1 (", kernels[0].rows, "×", kernels[0].cols,
                                    ") ", first[1], "×", first[2],
                                    ": give the kernels the same size"));
    const int C = first[0];
    Tensor y({static_cast<int>(maps.size()) * C, first[1], first[2]});
    float* out = y.data();
    for (const Tensor& m : maps)
        out = std::copy(m.data(), m.data() + m.numel(), out);
    return y;
}

Tensor applyFilter(const Tensor& image, const Tensor& filter, float bias, const LabConv& s) {
    const Shape img = imageShape(image);
    if (filter.rank() != 3 || filter.dim(0) != img[0])
        throw UsageError(strCat("a filter for this ", img[0], "-channel image must be (", img[0],
                                ", kh, kw), got ", filter.shape()));
    const ConvGeometry g = labGeometry(img, filter.dim(1), filter.dim(2), 1, 1, s);
    Tensor y({1, g.Ho, g.Wo});
    convForward(g, 1, image.data(), filter.data(), &bias, y.data());
    return y;
}

LearnedFilter learnedFilter(Net& net, int layer, int o) {
    if (layer < 0 || layer >= net.size())
        throw UsageError(strCat("no layer ", layer, " in '", net.name(), "'"));
    auto* conv = dynamic_cast<Conv2d*>(&net.layer(layer));
    const std::string name = net.layer(layer).name();
    if (!conv)
        throw UsageError(strCat("layer '", name, "' is a ", net.layer(layer).type(),
                                ", not a convolution: pick a Conv2d layer"));
    if (conv->groups() != 1)
        throw UsageError(strCat("layer '", name, "' is a grouped convolution (", conv->groups(),
                                " groups): the lab opens only ordinary convolutions"));
    const Window2d& win = conv->window();
    if (win.kh > kMaxLabKernel || win.kw > kMaxLabKernel)
        throw UsageError(strCat("layer '", name, "' has ", win.kh, "×", win.kw,
                                " kernels; the lab edits kernels up to ", kMaxLabKernel, "×",
                                kMaxLabKernel));
    if (o < 0 || o >= conv->outChannels())
        throw UsageError(strCat("layer '", name, "' has ", conv->outChannels(),
                                " filters; there is no filter ", o));
    LearnedFilter f;
    const int C = conv->inChannels();
    f.weight = Tensor({C, win.kh, win.kw});
    const Tensor& w = conv->weight().value;
    const std::int64_t per = f.weight.numel();
    std::copy(w.data() + o * per, w.data() + (o + 1) * per, f.weight.data());
    f.bias = conv->hasBias() ? conv->bias().value[o] : 0.0f;
    f.conv = {win.sh, win.ph, win.dh};
    return f;
}

IdentityCheck checkAvgPoolAsConv(const Tensor& x, int k) {
    requireImages(x, "the pooling identity");
    if (k < 1 || k > kMaxLabKernel)
        throw UsageError(strCat("pooling size must be 1 to ", kMaxLabKernel, ", got ", k));
    IdentityCheck c;
    c.name = strCat("avgpool-", k);
    c.title = strCat("Average pooling ", k, "×", k, " stride ", k, " ≡ convolution with 1/", k * k,
                     " everywhere, stride ", k);
    c.left = strCat("avgpool", k);
    c.right = strCat("conv(1/", k * k, ", stride ", k, ")");
    AvgPool2d pool(Window2d{k, k, k, k});
    pool.forward(x, c.a, Mode::Eval);
    const int N = x.dim(0), C = x.dim(1);
    ConvGeometry g;
    g.C = g.K = g.groups = C;
    g.H = x.dim(2);
    g.W = x.dim(3);
    g.kh = g.kw = g.sh = g.sw = k;
    g.Ho = slidingOutputSize(g.H, k, k, 0);
    g.Wo = slidingOutputSize(g.W, k, k, 0);
    if (g.Ho <= 0 || g.Wo <= 0)
        throw UsageError(strCat("a ", k, "×", k, " pool does not fit a ", g.H, "×", g.W, " map"));
    const std::vector<float> w(static_cast<std::size_t>(C * k * k),
                               1.0f / static_cast<float>(k * k));
    c.b = Tensor({N, C, g.Ho, g.Wo});
    convForward(g, N, x.data(), w.data(), nullptr, c.b.data());
    measure(c);
    // Relative to the input's scale: the two sum the same k² terms in different orders.
    double xmax = 0;
    for (std::int64_t i = 0; i < x.numel(); ++i)
        xmax = std::max(xmax, std::fabs(static_cast<double>(x[i])));
    c.tolerance = 1e-6 * std::max(xmax, 1e-30);
    c.note =
        "the same k² terms summed in another order (and 1/k² rounded to float): float "
        "rounding only";
    return c;
}

IdentityCheck checkGrayAsConv(const Tensor& x) {
    requireImages(x, "RGB → grey");
    if (x.dim(1) != 3) throw UsageError(strCat("RGB → grey needs 3 channels, got ", x.shape()));
    IdentityCheck c;
    c.name = "gray-1x1";
    c.title = "RGB → grey ≡ 1×1 convolution with (0.299, 0.587, 0.114); OpenCV cvtColor in float";
    c.left = "conv1x1";
    c.right = "cvtColor(float)";
    c.a = grayByConv(x);
    c.b = grayByOpenCv(x, CV_32F, 1.0f);
    measure(c);
    c.tolerance = 1e-6 * std::max(c.maxAbsValue, 1.0);
    c.note = "float images: OpenCV uses the same weights, so only float rounding differs";
    return c;
}

IdentityCheck checkGrayAsConv8Bit(const Tensor& x) {
    requireImages(x, "RGB → grey");
    if (x.dim(1) != 3) throw UsageError(strCat("RGB → grey needs 3 channels, got ", x.shape()));
    IdentityCheck c;
    c.name = "gray-8bit";
    c.title = "RGB → grey ≡ 1×1 convolution, against OpenCV cvtColor on the 8-bit image";
    c.left = "conv1x1";
    c.right = "cvtColor(8-bit)";
    // Both sides see the same whole grey levels 0 … 255.
    Tensor levels(x.shape());
    for (std::int64_t i = 0; i < x.numel(); ++i)
        levels[i] = static_cast<float>(std::clamp(std::lround(x[i] * 255.0f), 0L, 255L));
    c.a = grayByConv(levels);
    c.b = grayByOpenCv(levels, CV_8U, 1.0f);
    measure(c);
    // OpenCV computes (4899 R + 9617 G + 1868 B + 2^13) >> 14 in integers: its weights are the
    // same to 1e-4 and the result is rounded to a whole level, so up to half a level apart.
    c.tolerance = 0.5 + 255 * 3 * 1e-4;
    c.note =
        "8-bit images: OpenCV rounds the grey value to a whole level (fixed-point weights "
        "/16384), so the two differ by up to half a level";
    return c;
}

IdentityCheck checkActivationMaxPool(const Tensor& x, const std::string& activation, int k) {
    requireImages(x, "the activation–max-pool check");
    if (k < 1 || k > kMaxLabKernel)
        throw UsageError(strCat("pooling size must be 1 to ", kMaxLabKernel, ", got ", k));
    std::unique_ptr<Layer> f1 = makeActivation(activation);
    std::unique_ptr<Layer> f2 = makeActivation(activation);
    MaxPool2d pool1(Window2d{k, k, k, k}), pool2(Window2d{k, k, k, k});
    IdentityCheck c;
    c.name = strCat(activation, "-maxpool");
    c.expected = isMonotonicActivation(activation);
    c.title = strCat(activation, "(maxpool(x)) ", c.expected ? "≡" : "≢", " maxpool(", activation,
                     "(x))");
    c.left = strCat(activation, "(maxpool)");
    c.right = strCat("maxpool(", activation, ")");
    Tensor pooled, activated;
    pool1.forward(x, pooled, Mode::Eval);
    f1->forward(pooled, c.a, Mode::Eval);
    f2->forward(x, activated, Mode::Eval);
    pool2.forward(activated, c.b, Mode::Eval);
    measure(c);
    c.tolerance = 0;
    if (c.expected) {
        c.note = strCat(activation,
                        " never decreases, so the largest input of a window gives the largest "
                        "output: the same value, and ",
                        k * k, "× fewer evaluations after pooling");
    } else if (c.where >= 0) {
        // Name the window: its largest input and the input that wins after f.
        const int Wo = c.a.dim(3), Ho = c.a.dim(2), C = c.a.dim(1);
        const std::int64_t q = c.where;
        const int ow = static_cast<int>(q % Wo), oh = static_cast<int>(q / Wo % Ho);
        const int ch = static_cast<int>(q / Wo / Ho % C), n = static_cast<int>(q / Wo / Ho / C);
        float xmax = -INFINITY, xbest = 0, fbest = -INFINITY;
        for (int i = 0; i < k; ++i)
            for (int j = 0; j < k; ++j) {
                const int h = oh * k + i, w = ow * k + j;
                const float v = x.at(n, ch, h, w), fv = activated.at(n, ch, h, w);
                xmax = std::max(xmax, v);
                if (fv > fbest) fbest = fv, xbest = v;
            }
        c.note = strCat("in the window of output (", n, ", ", ch, ", ", oh, ", ", ow,
                        ") the largest input is ", fmt(xmax), " (", activation, " = ",
                        fmt(c.a[c.where]), ") but ", activation, "(", fmt(xbest),
                        ") = ", fmt(fbest), " is larger: ", activation,
                        " is not monotonic, so it must stay before the pooling");
    }
    return c;
}

Tensor labRgb(const Tensor& x) {
    requireImages(x, "RGB → grey");
    Tensor rgb({x.dim(0), 3, x.dim(2), x.dim(3)});
    float lo = INFINITY, hi = -INFINITY;
    for (std::int64_t i = 0; i < x.numel(); ++i)
        lo = std::min(lo, x[i]), hi = std::max(hi, x[i]);
    const float range = hi > lo ? hi - lo : 1.0f;
    for (int n = 0; n < x.dim(0); ++n)
        for (int c = 0; c < 3; ++c)
            for (int h = 0; h < x.dim(2); ++h)
                for (int w = 0; w < x.dim(3); ++w)
                    rgb.at(n, c, h, w) = (x.at(n, c % x.dim(1), h, w) - lo) / range;
    return rgb;
}

std::vector<IdentityCheck> operatorIdentities(const Tensor& x) {
    requireImages(x, "the identities");
    std::vector<IdentityCheck> out;
    out.push_back(checkAvgPoolAsConv(x, 2));
    if (x.dim(2) >= 3 && x.dim(3) >= 3) out.push_back(checkAvgPoolAsConv(x, 3));
    const Tensor rgb = labRgb(x);
    out.push_back(checkGrayAsConv(rgb));
    out.push_back(checkGrayAsConv8Bit(rgb));
    for (const char* f : {"ReLU", "Sigmoid", "Tanh", "GELU", "SiLU"})
        out.push_back(checkActivationMaxPool(x, f, 2));
    return out;
}

std::vector<IdentityCheck> modelIdentities(Net& net, const Tensor& x,
                                           std::vector<std::string>* skipped) {
    std::vector<IdentityCheck> out;
    auto compare = [&](IdentityCheck c, Net& other) {
        c.a = net.forward(x, Mode::Eval);
        Tensor b = other.forward(x, Mode::Eval);
        b.reshape(c.a.shape());
        c.b = b;
        measure(c);
        return c;
    };
    auto skip = [&](const std::string& why) {
        if (skipped) skipped->push_back(why);
    };
    {
        std::vector<std::string> folded, refused;
        Net f = foldBatchNorm(net, &folded, &refused);
        if (folded.empty()) {
            skip(strCat("batch-norm folding: no BatchNorm directly follows a Conv2d or Linear in '",
                        net.name(), "'"));
        } else {
            IdentityCheck c;
            c.name = "bn-fold";
            c.title = strCat("Batch-norm folding (", folded.size(), " folded)");
            c.left = "net";
            c.right = "folded";
            c = compare(c, f);
            c.tolerance = 1e-4 * std::max(1.0, c.maxAbsValue);
            c.note =
                "W' = W·γ/√(σ²+ε), b' = (b − μ)·γ/√(σ²+ε) + β: the same affine map, rounded "
                "differently";
            out.push_back(c);
        }
    }
    try {
        Net conv = fullyConvolutional(net, net.inputSample());
        IdentityCheck c;
        c.name = "fc-conv";
        c.title = "FC → conv (the classifier as convolutions, on the original input size)";
        c.left = "net";
        c.right = "fully convolutional";
        c = compare(c, conv);
        c.tolerance = 1e-4 * std::max(1.0, c.maxAbsValue);
        c.note = "a Linear on a flattened map is a convolution whose kernel covers the map";
        out.push_back(c);
    } catch (const Error& e) {
        skip(strCat("FC → conv: ", e.what()));
    }
    {
        std::vector<std::string> swapped, refused;
        Net s = activationsAfterMaxPool(net, &swapped, &refused);
        for (const std::string& r : refused)
            skip("activations after max-pooling: " + r);
        if (swapped.empty()) {
            skip(
                strCat("activations after max-pooling: no monotonic activation feeds a "
                       "MaxPool2d in '",
                       net.name(), "'"));
        } else {
            IdentityCheck c;
            c.name = "act-after-maxpool";
            c.title = strCat("Activations after max-pooling (", swapped.size(), " moved)");
            c.left = "net";
            c.right = "swapped";
            c = compare(c, s);
            c.tolerance = 0;
            c.note =
                strCat("activation evaluations per image: ", computeCosts(net).totals.activations,
                       " → ", computeCosts(s).totals.activations);
            out.push_back(c);
        }
    }
    return out;
}

Tensor labRandomInput(const Shape& shape, std::uint64_t seed) {
    Rng rng(seed);
    Tensor x(shape);
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.uniform(-3.0f, 3.0f);
    return x;
}

std::string identitiesText(const std::vector<IdentityCheck>& checks) {
    std::string s;
    for (const IdentityCheck& c : checks) {
        char line[512];
        std::snprintf(line, sizeof line, "%-18s largest difference %-10.3g relative %-10.3g %s\n",
                      c.name.c_str(), c.maxAbsDifference, c.maxRelDifference,
                      c.asExpected() ? (c.expected ? "holds" : "fails, as it must")
                                     : (c.expected ? "DOES NOT HOLD" : "UNEXPECTEDLY HOLDS"));
        s += line;
        s += "  " + c.title + "\n";
        if (!c.whereText.empty()) s += "  largest " + c.whereText + "\n";
        if (!c.note.empty()) s += "  " + c.note + "\n";
    }
    return s;
}

std::string identitiesJson(const std::vector<IdentityCheck>& checks) {
    nlohmann::json j = nlohmann::json::array();
    for (const IdentityCheck& c : checks) {
        nlohmann::json e = {{"name", c.name},
                            {"title", c.title},
                            {"left", c.left},
                            {"right", c.right},
                            {"shape", c.a.shape().dims()},
                            {"max_abs_difference", c.maxAbsDifference},
                            {"max_rel_difference", c.maxRelDifference},
                            {"max_abs_value", c.maxAbsValue},
                            {"tolerance", c.tolerance},
                            {"expected_to_hold", c.expected},
                            {"as_expected", c.asExpected()},
                            {"note", c.note}};
        if (c.where >= 0) e["where"] = c.whereText;
        j.push_back(e);
    }
    return j.dump(2) + "\n";
}

}  // namespace ll
