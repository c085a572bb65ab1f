#include "core/layers/batch_norm.h"

#include "core/layer_io.h"

#include <cmath>

#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/parallel.h"

namespace ll {

BatchNorm::BatchNorm(int channels, float eps, float momentum)
    : m_channels(channels), m_eps(eps), m_momentum(momentum) {
    if (channels <= 0)
        throw ModelError(strCat("BatchNorm needs a positive channel count, got ", channels));
    if (!(eps > 0.0f) || !(momentum >= 0.0f && momentum <= 1.0f)) {
        throw ModelError(strCat("BatchNorm needs eps > 0 and momentum in [0, 1], got eps=", eps,
                                " momentum=", momentum));
    }
    m_gamma.name = "weight";
    m_gamma.allocate({channels});
    m_beta.name = "bias";
    m_beta.allocate({channels});
    m_runningMean = stateTensor({channels});
    m_runningVar = stateTensor({channels}, 1.0f);
    m_gamma.value.fill(1.0f);
}

std::string BatchNorm::describe() const {
    return strCat(m_channels, " channels");
}

std::vector<Buffer> BatchNorm::buffers() {
    return {{"running_mean", &m_runningMean}, {"running_var", &m_runningVar}};
}

void BatchNorm::resetParameters(Rng&) {
    m_gamma.value.fill(1.0f);
    m_beta.value.setZero();
    m_runningMean.setZero();
    m_runningVar.fill(1.0f);
}

int BatchNorm::spatial(const Shape& s) {
    int n = 1;
    for (int i = 2; i < s.rank(); ++i)
        n *= s[i];
    return n;
}

Shape BatchNorm1d::outputShape(const Shape& in) const {
    if (in.rank() != 2 && in.rank() != 3) shapeError(in, "expects input (N, C) or (N, C, L)");
    if (in[1] != m_channels) shapeError(in, strCat("expects ", m_channels, " channels"));
    return in;
}

Shape BatchNorm2d::outputShape(const Shape& in) const {
    requireRank(in, 4, "(N, C, H, W)");
    if (in[1] != m_channels) shapeError(in, strCat("expects ", m_channels, " channels"));
    return in;
}

namespace {

// The fast kernel set's sums go to kBnLanes double lanes (isa_kernels.h: compiled for this CPU),
// so they cost a memory pass, not a chain of dependent additions.
double total(const double* acc) {
    double s = 0.0;
    for (int j = 0; j < kBnLanes; ++j)
        s += acc[j];
    return s;
}

// Channel c's two sums over the samples, in sample order, from the planes' sums `partial`
// (N, C, 2) (the fast set's passes: any thread count gives the same bits).
void channelTotals(const std::vector<double>& partial, int N, int C, int c, double& a, double& b) {
    a = b = 0.0;
    for (int n = 0; n < N; ++n) {
        const std::size_t i = 2 * (static_cast<std::size_t>(n) * C + c);
        a += partial[i];
        b += partial[i + 1];
    }
}

float inverseStd(double var, float eps) {
    return static_cast<float>(1.0 / std::sqrt(var + eps));
}
// y = γ (x − μ) / σ + β as one multiply-add per element: y = a x + b.
void affine(float gamma, float beta, double mean, float invStd, float& a, float& b) {
    a = gamma * invStd;
    b = beta - a * static_cast<float>(mean);
}
}  // namespace

void BatchNorm::evalAffine(std::vector<float>& scale, std::vector<float>& shift) const {
    scale.resize(static_cast<std::size_t>(m_channels));
    shift.resize(static_cast<std::size_t>(m_channels));
    for (int c = 0; c < m_channels; ++c) {
        const double mean = m_runningMean[c], var = m_runningVar[c];
        affine(m_gamma.value[c], m_beta.value[c], mean, inverseStd(var, m_eps),
               scale[static_cast<std::size_t>(c)], shift[static_cast<std::size_t>(c)]);
    }
}

// The fast kernel set walks the tensors in memory order, each thread a run of (sample, channel)
// planes: per plane sums (double, kBnLanes lanes each) into m_partial, then each channel's total
// over the samples in sample order (so any thread count gives the same bits), then the
// element-wise pass, again in memory order. Going channel by channel instead (the reference
// set's order) reads planes of 256 B to 4 KB a channel stride apart, which the prefetchers
// follow badly: ResNet-20's batch norms took 8.9–9.4 ms forward and 12.6 backward per batch of
// 128 that way, 5.6–6.4 and 6.6–9.4 this way (per-layer bench, alternated, 2 threads).
void BatchNorm::forwardFast(const Tensor& x, Tensor& y) {
    const int N = x.dim(0), C = m_channels, S = spatial(x.shape());
    const double M = static_cast<double>(N) * S;
    const IsaKernels& k = isaKernels();
    const int planes = N * C;
    const bool parallel = x.numel() >= kParallelMinWork;
    m_meanD.resize(static_cast<std::size_t>(C));
    m_a.resize(static_cast<std::size_t>(C));
    m_b.resize(static_cast<std::size_t>(C));
    if (m_lastTrain) {
        // One pass for both moments, in double, of d = x − K with K the channel's first value:
        // mean = K + Σd / M and M·var = Σd² − (Σd)² / M. The subtraction magnifies Σd²'s own
        // rounding by Σd² / (M var) = 1 + (K − mean)² / var ≤ M, as (K − mean)² ≤ Σ (x − mean)²
        // = M var: at most 17 of double's 53 bits for ResNet-20's first layers, so the variance
        // keeps more bits than a float has unless K is an extreme outlier of a very large batch.
        // (The reference set takes two passes: the mean, then the squared deviations.)
        m_partial.resize(2 * static_cast<std::size_t>(planes));
        parallelFor(planes, parallel, [&](int i) {
            const float* p = x.data() + static_cast<std::int64_t>(i) * S;
            const double shift = x[static_cast<std::int64_t>(i % C) * S];
            double s = 0.0, ss = 0.0;
            if (S >= kBnLanes) {
                double acc[kBnLanes] = {}, accSq[kBnLanes] = {};
                k.bnMoments(acc, accSq, p, S, shift);
                s = total(acc);
                ss = total(accSq);
            } else {  // small planes (vgg-cifar's 4×4 and 2×2): the lanes would cost more
                for (int j = 0; j < S; ++j) {
                    const double d = p[j] - shift;
                    s += d;
                    ss += d * d;
                }
            }
            m_partial[2 * static_cast<std::size_t>(i)] = s;
            m_partial[2 * static_cast<std::size_t>(i) + 1] = ss;
        });
        for (int c = 0; c < C; ++c) {
            double s, ss;
            channelTotals(m_partial, N, C, c, s, ss);
            const double mean = x[static_cast<std::int64_t>(c) * S] + s / M;
            const double raw = ss - s * (s / M);
            const double dev =
                raw < 0.0 ? 0.0 : raw;  // M·var (rounding can leave it below 0; NaN stays)
            m_meanD[static_cast<std::size_t>(c)] = mean;
            m_runningMean[c] =
                static_cast<float>((1.0 - m_momentum) * m_runningMean[c] + m_momentum * mean);
            m_runningVar[c] = static_cast<float>((1.0 - m_momentum) * m_runningVar[c] +
                                                 m_momentum * dev / (M - 1.0));
            m_invStd[c] = inverseStd(dev / M, m_eps);
        }
    } else {
        for (int c = 0; c < C; ++c) {
            m_meanD[static_cast<std::size_t>(c)] = m_runningMean[c];
            m_invStd[c] = inverseStd(m_runningVar[c], m_eps);
        }
    }
    for (int c = 0; c < C; ++c) {
        const std::size_t u = static_cast<std::size_t>(c);
        m_mean[c] = static_cast<float>(m_meanD[u]);
        affine(m_gamma.value[c], m_beta.value[c], m_meanD[u], m_invStd[c], m_a[u], m_b[u]);
    }
    parallelFor(planes, parallel, [&](int i) {
        const std::int64_t off = static_cast<std::int64_t>(i) * S;
        const std::size_t c = static_cast<std::size_t>(i % C);
        k.bnAffine(x.data() + off, y.data() + off, S, m_a[c], m_b[c]);
    });
}

// The fast set's backward pass, in memory order as forwardFast.
void BatchNorm::backwardFast(const Tensor& x, const Tensor& dy, Tensor* dx) {
    const int N = x.dim(0), C = m_channels, S = spatial(x.shape());
    const double M = static_cast<double>(N) * S;
    const IsaKernels& k = isaKernels();
    const int planes = N * C;
    const bool parallel = x.numel() >= kParallelMinWork;
    m_partial.resize(2 * static_cast<std::size_t>(planes));
    parallelFor(planes, parallel, [&](int i) {
        const std::int64_t off = static_cast<std::int64_t>(i) * S;
        const int c = i % C;
        double sumDy = 0.0, sumDyXhat = 0.0;
        if (S >= kBnLanes) {
            double a[kBnLanes] = {}, b[kBnLanes] = {};
            k.bnSum(a, dy.data() + off, S);
            k.bnProducts(b, dy.data() + off, x.data() + off, S, m_mean[c], m_invStd[c]);
            sumDy = total(a);
            sumDyXhat = total(b);
        } else {  // as bnSum and bnProducts, in one lane
            for (int j = 0; j < S; ++j) {
                const double g = dy[off + j];
                sumDy += g;
                sumDyXhat += g * (x[off + j] - m_mean[c]) * m_invStd[c];
            }
        }
        m_partial[2 * static_cast<std::size_t>(i)] = sumDy;
        m_partial[2 * static_cast<std::size_t>(i) + 1] = sumDyXhat;
    });
    m_a.resize(static_cast<std::size_t>(C));
    m_b.resize(static_cast<std::size_t>(C));
    for (int c = 0; c < C; ++c) {
        double sumDy, sumDyXhat;
        channelTotals(m_partial, N, C, c, sumDy, sumDyXhat);
        m_gamma.grad[c] += static_cast<float>(sumDyXhat);
        m_beta.grad[c] += static_cast<float>(sumDy);
        m_a[static_cast<std::size_t>(c)] = static_cast<float>(sumDy / M);
        m_b[static_cast<std::size_t>(c)] = static_cast<float>(sumDyXhat / M);
    }
    if (!dx) return;
    parallelFor(planes, parallel, [&](int i) {
        const std::int64_t off = static_cast<std::int64_t>(i) * S;
        const int c = i % C;
        const float gk = m_gamma.value[c] * m_invStd[c];
        if (m_lastTrain) {
            // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), as the reference set.
            k.bnTrainGrad(x.data() + off, dy.data() + off, dx->data() + off, S, m_mean[c],
                          m_invStd[c], gk, m_a[static_cast<std::size_t>(c)],
                          m_b[static_cast<std::size_t>(c)]);
        } else {
            for (int j = 0; j < S; ++j)
                (*dx)[off + j] = gk * dy[off + j];
        }
    });
}

void BatchNorm::forwardImpl(const Tensor& x, Tensor& y, Mode mode) {
    const int N = x.dim(0), C = m_channels, S = spatial(x.shape());
    const std::int64_t M = static_cast<std::int64_t>(N) * S;
    m_lastTrain = mode == Mode::Train;
    m_mean.resize({C});
    m_invStd.resize({C});
    if (m_lastTrain && M < 2) {
        throw ShapeError(strCat(
            label(), ": needs more than one value per channel in training; got input ", x.shape()));
    }
    if (kernelSet() == KernelSet::Fast) {
        forwardFast(x, y);
        return;
    }
    // The reference set: channel by channel, in written order.
    const IsaKernels& k = isaKernelsFor(kernelSet());
    parallelFor(C, x.numel() >= kParallelMinWork, [&](int c) {
        double mean, var;
        if (m_lastTrain) {
            // Two passes in double: exact enough for large batches of large activations.
            double s = 0.0;
            for (int n = 0; n < N; ++n) {
                const float* p = x.data() + (static_cast<std::int64_t>(n) * C + c) * S;
                for (int i = 0; i < S; ++i)
                    s += p[i];
            }
            mean = s / static_cast<double>(M);
            double ss = 0.0;
            for (int n = 0; n < N; ++n) {
                const float* p = x.data() + (static_cast<std::int64_t>(n) * C + c) * S;
                for (int i = 0; i < S; ++i)
                    ss += (p[i] - mean) * (p[i] - mean);
            }
            var = ss / static_cast<double>(M);
            const double unbiased = ss / static_cast<double>(M - 1);
            m_runningMean[c] =
                static_cast<float>((1.0 - m_momentum) * m_runningMean[c] + m_momentum * mean);
            m_runningVar[c] =
                static_cast<float>((1.0 - m_momentum) * m_runningVar[c] + m_momentum * unbiased);
        } else {
            mean = m_runningMean[c];
            var = m_runningVar[c];
        }
        const float invStd = inverseStd(var, m_eps);
        m_mean[c] = static_cast<float>(mean);
        m_invStd[c] = invStd;
        float a, b;
        affine(m_gamma.value[c], m_beta.value[c], mean, invStd, a, b);
        for (int n = 0; n < N; ++n) {
            const std::int64_t off = (static_cast<std::int64_t>(n) * C + c) * S;
            k.bnAffine(x.data() + off, y.data() + off, S, a, b);
        }
    });
}

void BatchNorm::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    const int N = x.dim(0), C = m_channels, S = spatial(x.shape());
    const double M = static_cast<double>(N) * S;
    if (kernelSet() == KernelSet::Fast) {
        backwardFast(x, dy, dx);
        return;
    }
    const IsaKernels& kernels = isaKernelsFor(kernelSet());
    parallelFor(C, x.numel() >= kParallelMinWork, [&](int c) {
        const float mean = m_mean[c], invStd = m_invStd[c];
        // Σ dy and Σ dy·x̂ give dβ and dγ, and are the two corrections of dx in train mode.
        double sumDy = 0.0, sumDyXhat = 0.0;
        for (int n = 0; n < N; ++n) {
            const std::int64_t off = (static_cast<std::int64_t>(n) * C + c) * S;
            for (int i = 0; i < S; ++i) {
                const double g = dy[off + i];
                sumDy += g;
                sumDyXhat += g * (x[off + i] - mean) * invStd;
            }
        }
        m_gamma.grad[c] += static_cast<float>(sumDyXhat);
        m_beta.grad[c] += static_cast<float>(sumDy);
        if (!dx) return;
        const float gamma = m_gamma.value[c];
        if (m_lastTrain) {
            // dx = γ/σ · (dy − mean(dy) − x̂ · mean(dy·x̂)), the batch statistics being functions of
            // x.
            const float k = gamma * invStd;
            const float mDy = static_cast<float>(sumDy / M),
                        mDyXhat = static_cast<float>(sumDyXhat / M);
            for (int n = 0; n < N; ++n) {
                const std::int64_t off = (static_cast<std::int64_t>(n) * C + c) * S;
                kernels.bnTrainGrad(x.data() + off, dy.data() + off, dx->data() + off, S, mean,
                                    invStd, k, mDy, mDyXhat);
            }
        } else {
            // Eval mode: running statistics are constants, so the layer is affine.
            const float k = gamma * invStd;
            for (int n = 0; n < N; ++n) {
                const std::int64_t off = (static_cast<std::int64_t>(n) * C + c) * S;
                for (int i = 0; i < S; ++i)
                    (*dx)[off + i] = k * dy[off + i];
            }
        }
    });
}

LayerCost BatchNorm::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    c.weights = c.biases = m_channels;
    c.normOps = 2 * out.sample().numel();  // a multiply and an add per element, once folded
    return c;
}

void BatchNorm::write(json& j) const {
    if (m_eps != 1e-5f) j["eps"] = m_eps;
    if (m_momentum != 0.1f) j["momentum"] = m_momentum;
}

namespace {
LayerPtr readBatchNorm2d(const LayerReader& r) {
    r.allowOnly({"in", "eps", "momentum"});
    const int c = r.channelsIn();
    return std::make_unique<BatchNorm2d>(c, static_cast<float>(r.number("eps", 1e-5)),
                                         static_cast<float>(r.number("momentum", 0.1)));
}

LayerPtr readBatchNorm1d(const LayerReader& r) {
    r.allowOnly({"in", "eps", "momentum"});
    const Shape& in = r.input();
    if (in.rank() != 2 && in.rank() != 3)
        r.fail(strCat("needs an input (C) or (C, L); the previous output is ", in.sample()));
    const int c = r.integer("in", in[1]);
    if (c != in[1])
        r.fail(strCat("\"in\": ", c, " but the previous output has ", in[1], " channels"));
    return std::make_unique<BatchNorm1d>(c, static_cast<float>(r.number("eps", 1e-5)),
                                         static_cast<float>(r.number("momentum", 0.1)));
}
}  // namespace

LayerKind BatchNorm2d::kind() {
    return {"BatchNorm2d", "bn", &readBatchNorm2d};
}

LayerKind BatchNorm1d::kind() {
    return {"BatchNorm1d", "bn", &readBatchNorm1d};
}

}  // namespace ll
