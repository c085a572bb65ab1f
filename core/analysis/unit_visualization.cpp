#include "core/analysis/unit_visualization.h"

#include <algorithm>
#include <cmath>
#include <limits>

#include "core/error.h"
#include "core/random.h"

namespace ll {

namespace {

constexpr int kNamesInError = 8;

// Channels and plane size of an input sample: (C, H, W) has C planes of H·W; any other shape is
// one plane of all its values.
struct Planes {
    int channels = 1, height = 1, width = 1;
    bool image = false;  // (C, H, W): jitter and blur apply
    std::int64_t plane() const { return static_cast<std::int64_t>(height) * width; }
};

Planes planesOf(const Shape& sample) {
    Planes p;
    if (sample.rank() == 3) {
        p.channels = sample[0];
        p.height = sample[1];
        p.width = sample[2];
        p.image = true;
    } else {
        p.width = static_cast<int>(sample.numel());
    }
    return p;
}

// The value at percentile q (0–100) of v (nearest rank); v is reordered.
float percentile(std::vector<float>& v, float q) {
    if (v.empty()) return 0;
    const auto k = static_cast<std::size_t>(std::clamp(
        q / 100.0f * static_cast<float>(v.size() - 1), 0.0f, static_cast<float>(v.size() - 1)));
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(k), v.end());
    return v[k];
}

// out(c, i, j) = in(c, (i − dy) mod H, (j − dx) mod W): the image moved by (dy, dx), wrapping.
void roll(const Tensor& in, Tensor& out, const Planes& p, int dy, int dx) {
    out.resize(in.shape());
    const int H = p.height, W = p.width;
    for (int c = 0; c < p.channels; ++c)
        for (int i = 0; i < H; ++i) {
            const int si = ((i - dy) % H + H) % H;
            for (int j = 0; j < W; ++j) {
                const int sj = ((j - dx) % W + W) % W;
                out[(static_cast<std::int64_t>(c) * H + i) * W + j] =
                    in[(static_cast<std::int64_t>(c) * H + si) * W + sj];
            }
        }
}

}  // namespace

std::string describe(const UnitSpec& spec) {
    switch (spec.reduce) {
        case UnitReduce::Max:
            return "max";
        case UnitReduce::Mean:
            return "mean";
        case UnitReduce::Unit:
            return strCat("unit (", spec.row, ", ", spec.col, ")");
    }
    return "?";
}

OutputLayout outputLayout(const Shape& sample) {
    OutputLayout l;
    switch (sample.rank()) {
        case 1:
            l.channels = sample[0];
            break;
        case 2:
            l.channels = sample[0];
            l.width = sample[1];
            break;
        case 3:
            l.channels = sample[0];
            l.height = sample[1];
            l.width = sample[2];
            l.spatial = true;
            break;
        default:
            throw UsageError(strCat("an output of shape ", sample,
                                    " per sample has no channels to look at (rank 1 to 3 only)"));
    }
    return l;
}

int nodeByName(const Net& net, const std::string& name, const std::string& what) {
    const int i = net.indexOf(name);
    if (i >= 0) return i;
    std::string known;
    for (int k = 0; k < std::min(net.size(), kNamesInError); ++k)
        known += (k ? ", " : "") + net.layer(k).name();
    if (net.size() > kNamesInError) known += ", ...";
    throw UsageError(strCat(what, " '", name, "': ", net.name(), " has no node of that name; its ",
                            net.size(), " nodes are ", known, " ('layerlens summary' lists them)"));
}

void checkUnit(const Net& net, int node, int channel, const UnitSpec& spec) {
    if (node < 0 || node >= net.size())
        throw UsageError(
            strCat("node ", node, " is outside ", net.name(), "'s ", net.size(), " nodes"));
    const Shape sample = net.outputShapes()[static_cast<std::size_t>(node)].sample();
    const OutputLayout l = outputLayout(sample);
    if (channel < 0 || channel >= l.channels)
        throw UsageError(strCat("channel ", channel, " is outside ", net.layer(node).name(), "'s ",
                                l.channels, " channels (0 to ", l.channels - 1, ")"));
    if (spec.reduce == UnitReduce::Unit &&
        (spec.row < 0 || spec.row >= l.height || spec.col < 0 || spec.col >= l.width))
        throw UsageError(strCat("unit (", spec.row, ", ", spec.col, ") is outside ",
                                net.layer(node).name(), "'s ", l.height, "×", l.width,
                                " positions per channel"));
}

float reduceChannel(const float* plane, const OutputLayout& layout, const UnitSpec& spec,
                    int* position) {
    const int P = layout.positions();
    if (spec.reduce == UnitReduce::Unit) {
        const int p = spec.row * layout.width + spec.col;
        if (position) *position = p;
        return plane[p];
    }
    int best = 0;
    double sum = 0;
    for (int p = 0; p < P; ++p) {
        sum += plane[p];
        if (plane[p] > plane[best]) best = p;  // the first of equal maxima
    }
    if (position) *position = best;
    return spec.reduce == UnitReduce::Max ? plane[best] : static_cast<float>(sum / P);
}

// ---------------------------------------------------------------------------------------------

TopKResult topKExamples(Net& net, const Dataset& data, int node, const BatchOptions& options,
                        const TopKOptions& topk, const ProgressFn& progress,
                        const std::atomic<bool>* cancel) {
    if (topk.k < 1) throw UsageError(strCat("k must be at least 1, got ", topk.k));
    if (topk.batch < 1) throw UsageError(strCat("batch must be at least 1, got ", topk.batch));
    checkUnit(net, node, 0, topk.unit);
    const Shape& inSample = net.inputSample();
    if (data.sampleShape().numel() != inSample.numel())
        throw ShapeError(strCat(data.name, "'s samples are ", data.sampleShape(), ", ", net.name(),
                                " takes ", inSample));

    TopKResult r;
    r.node = node;
    r.nodeName = net.layer(node).name();
    r.layout = outputLayout(net.outputShapes()[static_cast<std::size_t>(node)].sample());
    r.unit = topk.unit;
    r.imageChannels = data.channels;
    r.imageHeight = data.height;
    r.imageWidth = data.width;
    r.field.valid = false;
    r.field.note = "the output has no spatial positions";
    if (r.layout.spatial) {
        const Shape in = data.sampleShape();
        r.field = receptiveFields(net, inputReceptiveField(in),
                                  in.batched(1))[static_cast<std::size_t>(node)];
    }
    r.samplesTotal = topk.limit > 0 ? std::min(topk.limit, data.size()) : data.size();
    r.channels.assign(static_cast<std::size_t>(r.layout.channels), {});
    for (auto& c : r.channels)
        c.reserve(static_cast<std::size_t>(topk.k) + 1);

    std::vector<int> order(static_cast<std::size_t>(r.samplesTotal));
    for (int i = 0; i < r.samplesTotal; ++i)
        order[static_cast<std::size_t>(i)] = i;
    BatchOptions bo = options;
    bo.augment = false;
    bo.signedLabels = false;
    const int C = r.layout.channels, P = r.layout.positions();
    const auto k = static_cast<std::size_t>(topk.k);
    Tensor x, y;
    for (int start = 0; start < r.samplesTotal; start += topk.batch) {
        if (cancel && cancel->load()) {
            r.cancelled = true;
            break;
        }
        const int n = std::min(topk.batch, r.samplesTotal - start);
        makeBatch(data, order, start, n, x, y, bo);
        x.reshape(inSample.batched(n));
        net.infer(x, {node});
        const Tensor& a = net.activation(node);
        for (int s = 0; s < n; ++s) {
            const int index = start + s;
            for (int c = 0; c < C; ++c) {
                const float* plane = a.data() + (static_cast<std::int64_t>(s) * C + c) * P;
                int pos = 0;
                const float v = reduceChannel(plane, r.layout, topk.unit, &pos);
                auto& list = r.channels[static_cast<std::size_t>(c)];
                // Samples come in index order, so an equal value never displaces an earlier one.
                if (list.size() == k && !(v > list.back().activation)) continue;
                if (std::isnan(v)) continue;
                TopExample e;
                e.index = index;
                e.activation = v;
                e.row = pos / r.layout.width;
                e.col = pos % r.layout.width;
                auto at = std::upper_bound(
                    list.begin(), list.end(), v,
                    [](float value, const TopExample& t) { return value > t.activation; });
                list.insert(at, e);
                if (list.size() > k) list.pop_back();
            }
        }
        r.samplesSeen = start + n;
        if (progress) progress(r.samplesSeen, r.samplesTotal);
    }
    // The regions, once per kept example.
    for (auto& list : r.channels)
        for (TopExample& e : list) {
            if (r.field.valid) {
                e.region = unitRegion(r.field, e.row, e.col, data.height, data.width);
            } else {
                e.region.rows[1] = e.region.clippedRows[1] = data.height;
                e.region.cols[1] = e.region.clippedCols[1] = data.width;
            }
        }
    return r;
}

std::vector<std::uint8_t> cropRegion(const Dataset& data, int index, const UnitRegion& region) {
    LL_CHECK(index >= 0 && index < data.size(), "sample ", index, " of ", data.size());
    const int r0 = region.clippedRows[0], r1 = region.clippedRows[1];
    const int c0 = region.clippedCols[0], c1 = region.clippedCols[1];
    const int h = std::max(0, r1 - r0), w = std::max(0, c1 - c0);
    std::vector<std::uint8_t> out(static_cast<std::size_t>(data.channels) * h * w);
    const std::uint8_t* img = data.image(index);
    std::size_t o = 0;
    for (int c = 0; c < data.channels; ++c)
        for (int i = r0; i < r0 + h; ++i)
            for (int j = c0; j < c0 + w; ++j)
                out[o++] = img[(static_cast<std::int64_t>(c) * data.height + i) * data.width + j];
    return out;
}

// ---------------------------------------------------------------------------------------------

PixelSpace PixelSpace::from(const BatchOptions& options, const std::vector<float>& mean,
                            const std::vector<float>& stddev) {
    PixelSpace s;
    s.mean = mean;
    s.stddev = stddev;
    if (options.rawPixels)
        s.scale = Scale::Raw;
    else if (options.normalize && !mean.empty() && mean.size() == stddev.size())
        s.scale = Scale::Normalized;
    else
        s.scale = Scale::Unit;
    return s;
}

float PixelSpace::slope(int c) const {
    switch (scale) {
        case Scale::Normalized: {
            const float sd = stddev[static_cast<std::size_t>(c) % stddev.size()];
            return sd > 0 ? 1.0f / sd : 1.0f;
        }
        case Scale::Raw:
            return 255.0f;
        case Scale::Unit:
            return 1.0f;
    }
    return 1.0f;
}

float PixelSpace::centre(int c) const {
    if (mean.empty()) return 0.5f;
    return std::clamp(mean[static_cast<std::size_t>(c) % mean.size()], 0.0f, 1.0f);
}

Tensor PixelSpace::toInput(const Tensor& pixels) const {
    const Planes p = planesOf(pixels.shape());
    Tensor x(pixels.shape().batched(1));
    const std::int64_t plane = p.plane();
    for (int c = 0; c < p.channels; ++c) {
        float m = 0, k = slope(c);
        if (scale == Scale::Normalized) m = mean[static_cast<std::size_t>(c) % mean.size()];
        for (std::int64_t q = 0; q < plane; ++q) {
            const std::int64_t o = c * plane + q;
            x[o] = (pixels[o] - m) * k;
        }
    }
    return x;
}

float unitObjective(Net& net, const PixelSpace& space, const Tensor& pixels, int node, int channel,
                    const UnitSpec& spec, Tensor* grad) {
    checkUnit(net, node, channel, spec);
    if (pixels.shape() != net.inputSample())
        throw ShapeError(strCat("the image is ", pixels.shape(), ", ", net.name(), " takes ",
                                net.inputSample()));
    net.forward(space.toInput(pixels), Mode::Eval);
    const Tensor& a = net.activation(node);
    const OutputLayout l = outputLayout(a.shape().sample());
    const int P = l.positions();
    const float* plane = a.data() + static_cast<std::int64_t>(channel) * P;
    int pos = 0;
    const float value = reduceChannel(plane, l, spec, &pos);
    if (!grad) return value;
    // ∂value/∂activation: 1 at the chosen (or maximal) position, 1/P everywhere for the mean.
    Tensor seed(a.shape(), 0.0f);
    float* s = seed.data() + static_cast<std::int64_t>(channel) * P;
    if (spec.reduce == UnitReduce::Mean)
        std::fill(s, s + P, 1.0f / static_cast<float>(P));
    else
        s[pos] = 1.0f;
    net.backwardFrom(node, seed, true);
    net.zeroGrad();
    const Tensor& g = net.inputGrad();
    grad->resize(pixels.shape());
    const Planes p = planesOf(pixels.shape());
    const std::int64_t plane2 = p.plane();
    for (int c = 0; c < p.channels; ++c) {
        const float k = space.slope(c);  // chain rule through the normalization
        for (std::int64_t q = 0; q < plane2; ++q)
            (*grad)[c * plane2 + q] = g[c * plane2 + q] * k;
    }
    return value;
}

void gaussianBlur(Tensor& image, float sigma) {
    if (!(sigma > 0)) return;
    const Planes p = planesOf(image.shape());
    if (!p.image) return;
    const int R = static_cast<int>(std::ceil(3.0f * sigma));
    std::vector<float> kernel(static_cast<std::size_t>(2 * R + 1));
    float total = 0;
    for (int t = -R; t <= R; ++t) {
        const float v = std::exp(-0.5f * static_cast<float>(t * t) / (sigma * sigma));
        kernel[static_cast<std::size_t>(t + R)] = v;
        total += v;
    }
    for (float& v : kernel)
        v /= total;
    const int H = p.height, W = p.width;
    // Reflects an index into [0, n) (…, 1, 0 | 0, 1, …, n−1 | n−1, …), repeatedly for tiny n.
    auto reflect = [](int i, int n) {
        while (i < 0 || i >= n)
            i = i < 0 ? -i - 1 : 2 * n - i - 1;
        return i;
    };
    std::vector<float> tmp(static_cast<std::size_t>(H) * W);
    for (int c = 0; c < p.channels; ++c) {
        float* plane = image.data() + static_cast<std::int64_t>(c) * H * W;
        for (int i = 0; i < H; ++i)  // rows
            for (int j = 0; j < W; ++j) {
                float acc = 0;
                for (int t = -R; t <= R; ++t)
                    acc +=
                        kernel[static_cast<std::size_t>(t + R)] * plane[i * W + reflect(j + t, W)];
                tmp[static_cast<std::size_t>(i) * W + j] = acc;
            }
        for (int i = 0; i < H; ++i)  // columns
            for (int j = 0; j < W; ++j) {
                float acc = 0;
                for (int t = -R; t <= R; ++t)
                    acc += kernel[static_cast<std::size_t>(t + R)] *
                           tmp[static_cast<std::size_t>(reflect(i + t, H)) * W + j];
                plane[i * W + j] = acc;
            }
    }
}

MaximizeResult maximizeActivation(Net& net, const PixelSpace& space, int node, int channel,
                                  const UnitSpec& spec, const MaximizeOptions& o,
                                  const MaximizeFn& onStep) {
    checkUnit(net, node, channel, spec);
    if (o.steps < 0) throw UsageError(strCat("steps must be 0 or more, got ", o.steps));
    if (!(o.stepSize > 0) || !std::isfinite(o.stepSize))
        throw UsageError(strCat("the step size must be positive, got ", o.stepSize));
    if (!(o.l2Decay >= 0 && o.l2Decay < 1))
        throw UsageError(strCat("the L2 decay must be in [0, 1), got ", o.l2Decay));
    if (o.blurEvery < 0 || !(o.blurSigma >= 0))
        throw UsageError("the blur period and width must be 0 or more");
    for (const float q : {o.normPercentile, o.contributionPercentile})
        if (!(q >= 0 && q <= 100))
            throw UsageError(strCat("a clipping percentile must be in [0, 100], got ", q));
    if (o.jitter < 0) throw UsageError(strCat("jitter must be 0 or more, got ", o.jitter));

    const Shape& sample = net.inputSample();
    const Planes p = planesOf(sample);
    const std::int64_t plane = p.plane();
    MaximizeResult r;
    Rng rng(o.seed);
    Tensor& x = r.image;
    if (!o.start.empty()) {
        if (o.start.numel() != sample.numel())
            throw UsageError(strCat("the starting image is ", o.start.shape(), ", ", net.name(),
                                    " takes ", sample));
        x = o.start;
        x.reshape(sample);
    } else {
        x = Tensor(sample);
        for (int c = 0; c < p.channels; ++c)
            for (std::int64_t q = 0; q < plane; ++q)
                x[c * plane + q] = space.centre(c) + o.noise * rng.normal();
    }
    for (std::int64_t q = 0; q < x.numel(); ++q)
        x[q] = std::clamp(x[q], 0.0f, 1.0f);

    Tensor shifted, g, gBack;
    std::vector<float> scratch(static_cast<std::size_t>(plane));
    for (int step = 1; step <= o.steps; ++step) {
        // Jitter: the net sees the image moved by (dy, dx); the gradient is moved back.
        int dy = 0, dx = 0;
        if (o.jitter > 0 && p.image) {
            const auto span = static_cast<std::uint64_t>(2 * o.jitter + 1);
            dy = static_cast<int>(rng.below(span)) - o.jitter;
            dx = static_cast<int>(rng.below(span)) - o.jitter;
        }
        float value = 0;
        if (dy || dx) {
            roll(x, shifted, p, dy, dx);
            value = unitObjective(net, space, shifted, node, channel, spec, &gBack);
            roll(gBack, g, p, -dy, -dx);
        } else {
            value = unitObjective(net, space, x, node, channel, spec, &g);
        }
        r.history.push_back(value);
        // The step: along the gradient, scaled to a mean absolute change of stepSize.
        double meanAbs = 0;
        for (std::int64_t q = 0; q < g.numel(); ++q)
            meanAbs += std::fabs(g[q]);
        meanAbs /= static_cast<double>(std::max<std::int64_t>(1, g.numel()));
        if (meanAbs > 0 && std::isfinite(meanAbs)) {
            const auto k = static_cast<float>(o.stepSize / meanAbs);
            for (std::int64_t q = 0; q < x.numel(); ++q)
                x[q] += k * g[q];
        }
        // Yosinski et al. 2015, section 3: decay, blur, then the two clippings, in that order.
        if (o.l2Decay > 0)
            for (int c = 0; c < p.channels; ++c)
                for (std::int64_t q = 0; q < plane; ++q) {
                    float& v = x[c * plane + q];
                    v = space.centre(c) + (1.0f - o.l2Decay) * (v - space.centre(c));
                }
        if (o.blurEvery > 0 && o.blurSigma > 0 && step % o.blurEvery == 0)
            gaussianBlur(x, o.blurSigma);
        for (int which = 0; which < 2; ++which) {
            const float q = which == 0 ? o.normPercentile : o.contributionPercentile;
            if (q <= 0) continue;
            for (std::int64_t i = 0; i < plane; ++i) {
                double s = 0;
                for (int c = 0; c < p.channels; ++c) {
                    const double d = x[c * plane + i] - space.centre(c);
                    s += which == 0 ? d * d : d * g[c * plane + i];
                }
                scratch[static_cast<std::size_t>(i)] =
                    static_cast<float>(which == 0 ? std::sqrt(s) : std::fabs(s));
            }
            std::vector<float> sorted = scratch;
            const float threshold = percentile(sorted, q);
            for (std::int64_t i = 0; i < plane; ++i)
                if (scratch[static_cast<std::size_t>(i)] <= threshold)
                    for (int c = 0; c < p.channels; ++c)
                        x[c * plane + i] = space.centre(c);
        }
        for (std::int64_t q = 0; q < x.numel(); ++q)
            x[q] = std::clamp(x[q], 0.0f, 1.0f);
        r.steps = step;
        if (onStep) {
            MaximizeStep s;
            s.step = step;
            s.activation = value;
            s.image = &x;
            if (!onStep(s)) {
                r.stopped = true;
                break;
            }
        }
    }
    r.activation = unitObjective(net, space, x, node, channel, spec);
    return r;
}

std::vector<std::uint8_t> pixelsToBytes(const Tensor& pixels) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(pixels.numel()));
    for (std::int64_t q = 0; q < pixels.numel(); ++q)
        out[static_cast<std::size_t>(q)] =
            static_cast<std::uint8_t>(std::lround(std::clamp(pixels[q], 0.0f, 1.0f) * 255.0f));
    return out;
}

Tensor samplePixels(const Dataset& data, int index) {
    LL_CHECK(index >= 0 && index < data.size(), "sample ", index, " of ", data.size());
    Tensor t(data.sampleShape());
    const std::uint8_t* img = data.image(index);
    for (std::int64_t q = 0; q < t.numel(); ++q)
        t[q] = static_cast<float>(img[q]) / 255.0f;
    return t;
}

// ---------------------------------------------------------------------------------------------

namespace {

// The RGB value of pixel (i, j) of a (C, H, W) byte image: grey for one channel, the first three
// channels otherwise.
void rgbAt(const std::uint8_t* img, int C, int H, int W, int i, int j, std::uint8_t rgb[3]) {
    const std::int64_t plane = static_cast<std::int64_t>(H) * W,
                       o = static_cast<std::int64_t>(i) * W + j;
    for (int k = 0; k < 3; ++k)
        rgb[k] = img[(C >= 3 ? k : 0) * plane + o];
}

RgbImage enlarge(const std::uint8_t* img, int C, int H, int W, int scale, const UnitRegion* region,
                 float dim) {
    RgbImage out;
    scale = std::max(1, scale);
    out.width = W * scale;
    out.height = H * scale;
    out.pixels.assign(static_cast<std::size_t>(out.width) * out.height * 3, 0);
    const bool whole = !region || (region->clippedRows[0] <= 0 && region->clippedCols[0] <= 0 &&
                                   region->clippedRows[1] >= H && region->clippedCols[1] >= W);
    auto inside = [&](int i, int j) {
        return whole || (i >= region->clippedRows[0] && i < region->clippedRows[1] &&
                         j >= region->clippedCols[0] && j < region->clippedCols[1]);
    };
    for (int y = 0; y < out.height; ++y)
        for (int x = 0; x < out.width; ++x) {
            const int i = y / scale, j = x / scale;
            std::uint8_t rgb[3];
            rgbAt(img, C, H, W, i, j, rgb);
            const float f = inside(i, j) ? 1.0f : dim;
            std::uint8_t* p = out.pixels.data() + (static_cast<std::size_t>(y) * out.width + x) * 3;
            for (int k = 0; k < 3; ++k)
                p[k] = static_cast<std::uint8_t>(std::lround(rgb[k] * f));
        }
    if (!whole) {  // a one-pixel yellow outline just inside the region
        const int y0 = region->clippedRows[0] * scale, y1 = region->clippedRows[1] * scale - 1;
        const int x0 = region->clippedCols[0] * scale, x1 = region->clippedCols[1] * scale - 1;
        auto put = [&](int y, int x) {
            if (y < 0 || x < 0 || y >= out.height || x >= out.width) return;
            std::uint8_t* p = out.pixels.data() + (static_cast<std::size_t>(y) * out.width + x) * 3;
            p[0] = 255;
            p[1] = 210;
            p[2] = 0;
        };
        for (int x = x0; x <= x1; ++x) {
            put(y0, x);
            put(y1, x);
        }
        for (int y = y0; y <= y1; ++y) {
            put(y, x0);
            put(y, x1);
        }
    }
    return out;
}

void blit(RgbImage& dst, const RgbImage& src, int x0, int y0) {
    for (int y = 0; y < src.height; ++y)
        std::copy_n(src.pixels.data() + static_cast<std::size_t>(y) * src.width * 3,
                    static_cast<std::size_t>(src.width) * 3,
                    dst.pixels.data() + (static_cast<std::size_t>(y0 + y) * dst.width + x0) * 3);
}

}  // namespace

RgbImage exampleTile(const Dataset& data, const TopExample& e, int scale, float dim) {
    LL_CHECK(e.index >= 0 && e.index < data.size(), "sample ", e.index, " of ", data.size());
    return enlarge(data.image(e.index), data.channels, data.height, data.width, scale, &e.region,
                   dim);
}

RgbImage topKGrid(const Dataset& data, const TopKResult& r, int channel, int scale, int gap) {
    LL_CHECK(channel >= 0 && channel < static_cast<int>(r.channels.size()), "channel ", channel,
             " of ", r.channels.size());
    const auto& list = r.channels[static_cast<std::size_t>(channel)];
    RgbImage grid;
    if (list.empty()) return grid;
    const int n = static_cast<int>(list.size());
    const int cols = static_cast<int>(std::ceil(std::sqrt(static_cast<double>(n))));
    const int rows = (n + cols - 1) / cols;
    const int tw = data.width * std::max(1, scale), th = data.height * std::max(1, scale);
    grid.width = cols * tw + (cols + 1) * gap;
    grid.height = rows * th + (rows + 1) * gap;
    grid.pixels.assign(static_cast<std::size_t>(grid.width) * grid.height * 3, 40);
    for (int t = 0; t < n; ++t)
        blit(grid, exampleTile(data, list[static_cast<std::size_t>(t)], scale),
             gap + (t % cols) * (tw + gap), gap + (t / cols) * (th + gap));
    return grid;
}

RgbImage pixelsImage(const Tensor& pixels, int scale) {
    const Planes p = planesOf(pixels.shape());
    const std::vector<std::uint8_t> bytes = pixelsToBytes(pixels);
    return enlarge(bytes.data(), p.channels, p.height, p.width, scale, nullptr, 1.0f);
}

}  // namespace ll
