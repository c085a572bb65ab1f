#include "core/layers/max_pool2d.h"

#include "core/layer_io.h"

#include <algorithm>
#include <limits>
#include <numeric>

#include "core/kernels.h"
#include "core/parallel.h"

#if defined(__AVX2__)
#include <immintrin.h>
#endif

namespace ll {

namespace {
#if defined(__AVX2__)
constexpr bool kEightAtOnce = true;
// The scalar loop's scan on eight windows at once: rows hs … he − 1, then columns 0 … kw − 1, a
// value replacing the best only when greater, so the first maximum wins. tap(h, t, v, idx) gives
// the eight windows' values at row h, column t, and their offsets in the plane. Returns false
// when a NaN is among the values (the scalar loop then finds the first one).
template <class Tap>
bool scanEight(int hs, int he, int kw, Tap tap, __m256& best, __m256i& at) {
    __m256 nan = _mm256_setzero_ps();
    for (int h = hs; h < he; ++h) {
        for (int t = 0; t < kw; ++t) {
            __m256 v;
            __m256i idx;
            tap(h, t, v, idx);
            nan = _mm256_or_ps(nan, _mm256_cmp_ps(v, v, _CMP_UNORD_Q));
            if (h == hs && t == 0) {  // the scalar loop's −∞ start: the first value takes it
                best = v;
                at = idx;
                continue;
            }
            const __m256 greater = _mm256_cmp_ps(v, best, _CMP_GT_OQ);
            best = _mm256_blendv_ps(best, v, greater);
            at = _mm256_castps_si256(
                _mm256_blendv_ps(_mm256_castsi256_ps(at), _mm256_castsi256_ps(idx), greater));
        }
    }
    return _mm256_movemask_ps(nan) == 0;
}

void storeEight(__m256 best, __m256i at, float* out, std::int32_t* arg) {
    _mm256_storeu_ps(out, best);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(arg), at);
}

// Eight outputs of one output row, whose windows start at column ws, ws + S, … ws + 7S and lie
// inside the row. Stride 2 takes a tap's eight values from two loads, the even columns of the
// first eight and of the eight from seven on (which ends at the last column a window reads), in
// the lane order 0 1 4 5 | 2 3 6 7, put back in order once at the end.
template <int S>
bool maxPoolRow(const float* in, int W, int hs, int he, int ws, int kw, float* out,
                std::int32_t* arg) {
    static_assert(S == 1 || S == 2, "stride 1 or 2");
    const __m256i lanes = S == 1 ? _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7)
                                 : _mm256_setr_epi32(0, 2, 8, 10, 4, 6, 12, 14);
    __m256 best;
    __m256i at;
    auto tap = [&](int h, int t, __m256& v, __m256i& idx) {
        const int col = h * W + ws + t;
        const float* p = in + col;
        if constexpr (S == 1)
            v = _mm256_loadu_ps(p);
        else
            v = _mm256_shuffle_ps(_mm256_loadu_ps(p), _mm256_loadu_ps(p + 7),
                                  _MM_SHUFFLE(3, 1, 2, 0));
        idx = _mm256_add_epi32(_mm256_set1_epi32(col), lanes);
    };
    if (!scanEight(hs, he, kw, tap, best, at)) return false;
    if constexpr (S == 2) {
        best = _mm256_castpd_ps(_mm256_permute4x64_pd(_mm256_castps_pd(best), 0xD8));
        at = _mm256_permute4x64_epi64(at, 0xD8);
    }
    storeEight(best, at, out, arg);
    return true;
}

// Eight outputs anywhere in a plane whose windows all lie inside it (small maps: rows of fewer
// than eight outputs): `starts` holds the offset of each one's first tap; the values are
// gathered.
bool maxPoolGather(const float* in, const std::int32_t* starts, int W, int kh, int kw, float* out,
                   std::int32_t* arg) {
    const __m256i first = _mm256_loadu_si256(reinterpret_cast<const __m256i*>(starts));
    __m256 best;
    __m256i at;
    auto tap = [&](int h, int t, __m256& v, __m256i& idx) {
        idx = _mm256_add_epi32(first, _mm256_set1_epi32(h * W + t));
        v = _mm256_i32gather_ps(in, idx, 4);
    };
    if (!scanEight(0, kh, kw, tap, best, at)) return false;
    storeEight(best, at, out, arg);
    return true;
}
#else
constexpr bool kEightAtOnce = false;
#endif
}  // namespace

MaxPool2d::MaxPool2d(Window2d window, bool ceilMode) : m_win(window), m_ceilMode(ceilMode) {
    validatePoolWindow(window, "MaxPool2d");
}

std::string MaxPool2d::describe() const {
    return m_win.str() + (m_ceilMode ? ", ceil" : "");
}

void MaxPool2d::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int N = x.dim(0), C = x.dim(1), H = x.dim(2), W = x.dim(3);
    const int Ho = y.dim(2), Wo = y.dim(3);
    m_argmax.resize(static_cast<std::size_t>(y.numel()));
    const int planes = N * C;
    const Window2d& k = m_win;
    const bool big = y.numel() * k.kh * k.kw >= kParallelMinWork;
    // Outputs [owIn, owEnd) have their whole window inside a row: eight of them at a time take
    // the vector scan (fast kernels, stride 1 or 2), the same comparisons in the same order.
    const bool fastSet = kEightAtOnce && kernelSet() == KernelSet::Fast;
    [[maybe_unused]] const bool eight = fastSet && (k.sw == 1 || k.sw == 2);
    [[maybe_unused]] const int owIn = (k.pw + k.sw - 1) / k.sw;
    const int owEnd = std::min(Wo, W >= k.kw ? (W - k.kw + k.pw) / k.sw + 1 : 0);
    // Maps of rows shorter than eight outputs, every window inside: eight outputs at a time
    // anywhere in the plane, from the offsets of their first taps.
    const int ohEnd = std::min(Ho, H >= k.kh ? (H - k.kh + k.ph) / k.sh + 1 : 0);
    const bool gather =
        fastSet && Wo < 8 && Ho * Wo >= 8 && k.ph == 0 && k.pw == 0 && ohEnd == Ho && owEnd == Wo;
    const int gathered = gather ? Ho * Wo / 8 * 8 : 0;
    // Planes of fewer than eight outputs (vgg-cifar's 4×4 → 2×2: 16,384 planes a batch, which the
    // scalar loop took 0.35–0.5 ms over): G planes, one after another in memory, gathered as one
    // of G·H rows, G·Ho·Wo a multiple of eight; the indices then made the plane's own again.
    const int HoWo = Ho * Wo;
    const bool grouped =
        fastSet && HoWo < 8 && k.ph == 0 && k.pw == 0 && ohEnd == Ho && owEnd == Wo && planes >= 8;
    const int G = grouped ? 8 / std::gcd(HoWo, 8) : 1;
    const int starts = grouped ? G * HoWo : gathered;
    m_starts.resize(static_cast<std::size_t>(starts));
    for (int o = 0; o < starts; ++o)
        m_starts[static_cast<std::size_t>(o)] =
            o / HoWo * H * W + o % HoWo / Wo * k.sh * W + o % Wo * k.sw;
    auto plane = [&](int p) {
        const float* in = x.data() + static_cast<std::int64_t>(p) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        std::int32_t* arg = m_argmax.data() + static_cast<std::int64_t>(p) * Ho * Wo;
        int done = 0;  // outputs the gathers wrote, in order from the plane's first
#if defined(__AVX2__)
        for (; done < gathered; done += 8)
            if (!maxPoolGather(in, m_starts.data() + done, W, k.kh, k.kw, out + done, arg + done))
                break;  // a NaN: the scalar loop takes it from here
#endif
        for (int oh = done / Wo; oh < Ho; ++oh) {
            const auto [hs, he, hPadded] = poolSpan(oh, k.kh, k.sh, k.ph, k.padBottom(), H);
            for (int ow = oh == done / Wo ? done % Wo : 0; ow < Wo; ++ow) {
#if defined(__AVX2__)
                if (eight && ow >= owIn && ow + 8 <= owEnd) {
                    const int ws = ow * k.sw - k.pw;
                    float* o = out + oh * Wo + ow;
                    std::int32_t* a = arg + oh * Wo + ow;
                    if (k.sw == 1 ? maxPoolRow<1>(in, W, hs, he, ws, k.kw, o, a)
                                  : maxPoolRow<2>(in, W, hs, he, ws, k.kw, o, a)) {
                        ow += 7;
                        continue;
                    }
                }
#endif
                const auto [ws, we, wPadded] = poolSpan(ow, k.kw, k.sw, k.pw, k.padRight(), W);
                float best = -std::numeric_limits<float>::infinity();
                int bestAt = hs * W + ws;
                bool nan = false;
                // Branch-free scan (selects compile to blends); the first maximum wins.
                for (int h = hs; h < he; ++h) {
                    for (int w = ws; w < we; ++w) {
                        const float v = in[h * W + w];
                        const bool greater = v > best;
                        best = greater ? v : best;
                        bestAt = greater ? h * W + w : bestAt;
                        nan |= v != v;
                    }
                }
                if (nan) {  // NaN propagates like PyTorch: the first NaN is the result
                    for (int h = hs; h < he && !(best != best); ++h)
                        for (int w = ws; w < we; ++w)
                            if (in[h * W + w] != in[h * W + w]) {
                                best = in[h * W + w];
                                bestAt = h * W + w;
                                break;
                            }
                }
                out[oh * Wo + ow] = best;
                arg[oh * Wo + ow] = bestAt;
            }
        }
    };
    if (!grouped) {
        parallelFor(planes, big, plane);
        return;
    }
    parallelFor((planes + G - 1) / G, big, [&](int gi) {
        const int p0 = gi * G;
        bool whole = p0 + G <= planes;
#if defined(__AVX2__)
        const float* in = x.data() + static_cast<std::int64_t>(p0) * H * W;
        float* out = y.data() + static_cast<std::int64_t>(p0) * HoWo;
        std::int32_t* arg = m_argmax.data() + static_cast<std::int64_t>(p0) * HoWo;
        for (int o = 0; whole && o < starts; o += 8)
            whole = maxPoolGather(in, m_starts.data() + o, W, k.kh, k.kw, out + o, arg + o);
        if (whole) {
            for (int o = 0; o < starts; ++o)
                arg[o] -= o / HoWo * H * W;
            return;
        }
#endif
        // The last, partial group, or a NaN: plane by plane (the same comparisons).
        for (int p = p0; p < std::min(planes, p0 + G); ++p)
            plane(p);
    });
}

void MaxPool2d::backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) {
    if (!dx) return;
    const int H = x.dim(2), W = x.dim(3);
    const int HoWo = y.dim(2) * y.dim(3);
    const int planes = x.dim(0) * x.dim(1);
    // Each plane zeroed by the thread that scatters into it (a whole-tensor fill first was a
    // single-threaded pass over the input's size).
    parallelFor(planes, dy.numel() >= kParallelMinWork, [&](int p) {
        float* g = dx->data() + static_cast<std::int64_t>(p) * H * W;
        std::fill(g, g + static_cast<std::ptrdiff_t>(H) * W, 0.0f);
        const float* d = dy.data() + static_cast<std::int64_t>(p) * HoWo;
        const std::int32_t* arg = m_argmax.data() + static_cast<std::int64_t>(p) * HoWo;
        for (int i = 0; i < HoWo; ++i)
            g[arg[i]] += d[i];
    });
}

LayerCost MaxPool2d::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    // kh·kw − 1 comparisons per output.
    c.poolOps = (static_cast<std::int64_t>(m_win.kh) * m_win.kw - 1) * out.sample().numel();
    return c;
}

FieldRule MaxPool2d::fieldRule(const Shape&) const {
    return FieldRule::window(m_win.kh, m_win.kw, m_win.sh, m_win.sw, m_win.ph, m_win.pw);
}

void MaxPool2d::write(json& j) const {
    writeWindow(j, m_win, true);
    if (m_ceilMode) j["ceil_mode"] = true;
}

namespace {
LayerPtr readMaxPool2d(const LayerReader& r) {
    r.allowOnly({"kernel", "stride", "padding", "ceil_mode"});
    return std::make_unique<MaxPool2d>(readWindow(r, true), r.boolean("ceil_mode", false));
}
}  // namespace

LayerKind MaxPool2d::kind() {
    return {"MaxPool2d", "pool", &readMaxPool2d};
}

}  // namespace ll
