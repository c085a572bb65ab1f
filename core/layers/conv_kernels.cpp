#include "core/layers/conv_kernels.h"

#include <algorithm>
#include <cstring>

#include "core/parallel.h"
#include "core/tensor.h"

namespace ll {

namespace {

// Valid output-column range [lo, hi) for kernel column kj: those ow with 0 <= ow*sw - pw + kj < W.
void validColumns(const ConvGeometry& g, int kj, int& lo, int& hi) {
    const int first = g.pw - kj;  // smallest ow*sw that lands inside
    lo = first <= 0 ? 0 : (first + g.sw - 1) / g.sw;
    const int last = g.W - 1 + g.pw - kj;  // largest ow*sw that lands inside
    hi = last < 0 ? 0 : std::min(g.Wo, last / g.sw + 1);
    lo = std::min(lo, hi);
}

std::vector<float>& threadColumns(std::size_t n) {
    static thread_local std::vector<float> buf;
    if (buf.size() < n) buf.resize(n);
    return buf;
}

}  // namespace

void im2col(const float* x, const ConvGeometry& g, float* col) {
    const int HoWo = g.colCols();
    for (int c = 0; c < g.C; ++c) {
        const float* xc = x + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int ki = 0; ki < g.kh; ++ki) {
            for (int kj = 0; kj < g.kw; ++kj) {
                float* row = col + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                int lo, hi;
                validColumns(g, kj, lo, hi);
                for (int oh = 0; oh < g.Ho; ++oh) {
                    float* out = row + oh * g.Wo;
                    const int ih = oh * g.sh - g.ph + ki;
                    if (ih < 0 || ih >= g.H) {
                        std::fill(out, out + g.Wo, 0.0f);
                        continue;
                    }
                    std::fill(out, out + lo, 0.0f);
                    const float* in = xc + ih * g.W - g.pw + kj;
                    if (g.sw == 1) {
                        std::memcpy(out + lo, in + lo, sizeof(float) * (hi - lo));
                    } else {
                        for (int ow = lo; ow < hi; ++ow)
                            out[ow] = in[ow * g.sw];
                    }
                    std::fill(out + hi, out + g.Wo, 0.0f);
                }
            }
        }
    }
}

void col2imAdd(const float* dcol, const ConvGeometry& g, float* dx) {
    const int HoWo = g.colCols();
    for (int c = 0; c < g.C; ++c) {
        float* dxc = dx + static_cast<std::ptrdiff_t>(c) * g.H * g.W;
        for (int ki = 0; ki < g.kh; ++ki) {
            for (int kj = 0; kj < g.kw; ++kj) {
                const float* row =
                    dcol + (static_cast<std::ptrdiff_t>(c * g.kh + ki) * g.kw + kj) * HoWo;
                int lo, hi;
                validColumns(g, kj, lo, hi);
                for (int oh = 0; oh < g.Ho; ++oh) {
                    const int ih = oh * g.sh - g.ph + ki;
                    if (ih < 0 || ih >= g.H) continue;
                    const float* src = row + oh * g.Wo;
                    float* dst = dxc + ih * g.W - g.pw + kj;
                    for (int ow = lo; ow < hi; ++ow)
                        dst[ow * g.sw] += src[ow];
                }
            }
        }
    }
}

void convForward(const ConvGeometry& g, int N, const float* x, const float* W, const float* b,
                 float* y) {
    const int R = g.colRows(), P = g.colCols();
    const std::ptrdiff_t xStride = static_cast<std::ptrdiff_t>(g.C) * g.H * g.W;
    const std::ptrdiff_t yStride = static_cast<std::ptrdiff_t>(g.K) * P;
    ConstMatrixMap Wm(W, g.K, R);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; ++n) {
        const float* colPtr = x + n * xStride;
        if (!g.isPointwise()) {
            std::vector<float>& buf = threadColumns(static_cast<std::size_t>(R) * P);
            im2col(x + n * xStride, g, buf.data());
            colPtr = buf.data();
        }
        ConstMatrixMap col(colPtr, R, P);
        MatrixMap Y(y + n * yStride, g.K, P);
        Y.noalias() = Wm * col;
        if (b) Y.colwise() += ConstVectorMap(b, g.K);
    }
}

void convBackward(const ConvGeometry& g, int N, const float* x, const float* W, const float* dy,
                  float* dW, float* db, float* dx, ConvWorkspace& ws) {
    const int R = g.colRows(), P = g.colCols();
    const std::ptrdiff_t xStride = static_cast<std::ptrdiff_t>(g.C) * g.H * g.W;
    const std::ptrdiff_t yStride = static_cast<std::ptrdiff_t>(g.K) * P;
    const int T = numThreads();
    const std::size_t wSize = static_cast<std::size_t>(g.K) * R;
    // Each thread sums its own samples; partials are added in thread order afterwards, so the
    // result is deterministic for a given thread count.
    ws.dWPartials.assign(wSize * T, 0.0f);
    ws.dbPartials.assign(static_cast<std::size_t>(g.K) * T, 0.0f);
    ConstMatrixMap Wm(W, g.K, R);
#pragma omp parallel for schedule(static)
    for (int n = 0; n < N; ++n) {
        const int t = threadIndex();
        const float* colPtr = x + n * xStride;
        std::vector<float>& buf = threadColumns(static_cast<std::size_t>(R) * P * 2);
        if (!g.isPointwise()) {
            im2col(x + n * xStride, g, buf.data());
            colPtr = buf.data();
        }
        ConstMatrixMap col(colPtr, R, P);
        ConstMatrixMap dY(dy + n * yStride, g.K, P);
        MatrixMap dWt(ws.dWPartials.data() + wSize * t, g.K, R);
        dWt.noalias() += dY * col.transpose();
        if (db)
            VectorMap(ws.dbPartials.data() + static_cast<std::size_t>(g.K) * t, g.K) +=
                dY.rowwise().sum();
        if (dx) {
            float* dxn = dx + n * xStride;
            if (g.isPointwise()) {
                MatrixMap(dxn, R, P).noalias() = Wm.transpose() * dY;
            } else {
                MatrixMap dcol(buf.data() + static_cast<std::size_t>(R) * P, R, P);
                dcol.noalias() = Wm.transpose() * dY;
                std::fill(dxn, dxn + xStride, 0.0f);
                col2imAdd(dcol.data(), g, dxn);
            }
        }
    }
    VectorMap dWv(dW, static_cast<Eigen::Index>(wSize));
    for (int t = 0; t < T; ++t) {
        dWv += VectorMap(ws.dWPartials.data() + wSize * t, static_cast<Eigen::Index>(wSize));
        if (db)
            VectorMap(db, g.K) +=
                VectorMap(ws.dbPartials.data() + static_cast<std::size_t>(g.K) * t, g.K);
    }
}

}  // namespace ll
