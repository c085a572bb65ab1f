#include "core/analysis/grad_check.h"

#include <algorithm>
#include <cmath>
#include <functional>
#include <limits>
#include <sstream>

namespace ll {

std::string GradCheckResult::str() const {
    std::ostringstream os;
    os << "max relative error " << maxError << " over " << checked << " probes (" << skipped
       << " skipped at kinks)";
    if (!worst.empty()) os << "; worst at " << worst;
    if (!failure.empty()) os << "; FAILED: " << failure;
    return os.str();
}

namespace {

constexpr float kSentinel = 0.25f;

std::vector<std::int64_t> probeIndices(std::int64_t n, int maxProbes, Rng& rng) {
    std::vector<std::int64_t> idx;
    if (n <= maxProbes) {
        for (std::int64_t i = 0; i < n; ++i)
            idx.push_back(i);
    } else {
        for (int i = 0; i < maxProbes; ++i)
            idx.push_back(static_cast<std::int64_t>(rng.below(static_cast<std::uint64_t>(n))));
    }
    return idx;
}

// Compares analytic[i] with central differences of f over the probed elements of `values`.
void probe(const std::string& what, Tensor& values,
           const std::function<double(std::int64_t)>& analytic, const std::function<double()>& f,
           double f0, const GradCheckOptions& o, Rng& rng, GradCheckResult& r) {
    for (std::int64_t i : probeIndices(values.numel(), o.maxProbes, rng)) {
        const float orig = values[i];
        values[i] = static_cast<float>(orig + o.eps);
        const double hPlus = static_cast<double>(values[i]) - orig;  // the step actually taken
        const double fp = f();
        values[i] = static_cast<float>(orig - o.eps);
        const double hMinus = orig - static_cast<double>(values[i]);
        const double fm = f();
        values[i] = orig;
        const double right = (fp - f0) / hPlus, left = (f0 - fm) / hMinus;
        if (std::fabs(right - left) >
            o.kinkThreshold * std::max({1.0, std::fabs(left), std::fabs(right)})) {
            ++r.skipped;
            continue;
        }
        const double numeric = (fp - fm) / (hPlus + hMinus);
        const double a = analytic(i);
        const double err =
            std::fabs(a - numeric) / std::max({std::fabs(a), std::fabs(numeric), 1.0});
        ++r.checked;
        if (!(err <= r.maxError) || r.worst.empty()) {
            if (!(err <= r.maxError))
                r.maxError = std::isnan(err) ? std::numeric_limits<double>::infinity() : err;
            std::ostringstream os;
            os << what << "[" << i << "]: analytic " << a << " numeric " << numeric;
            r.worst = os.str();
        }
    }
}

double dot(const Tensor& y, const Tensor& g) {
    double s = 0.0;
    for (std::int64_t i = 0; i < y.numel(); ++i)
        s += static_cast<double>(y[i]) * g[i];
    return s;
}

}  // namespace

GradCheckResult checkLayerGradients(Layer& layer, const Shape& inShape, const GradCheckOptions& o) {
    GradCheckResult r;
    Rng rng(o.seed);
    Tensor x(inShape);
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    if (o.randomizeParams) {
        for (Param* p : layer.params()) {
            for (std::int64_t i = 0; i < p->value.numel(); ++i)
                p->value[i] = rng.normal() * 0.5f;
        }
    }
    layer.freezeRandomness(true);
    Tensor y;
    layer.forward(x, y, o.mode);
    Tensor g(y.shape());
    for (std::int64_t i = 0; i < g.numel(); ++i)
        g[i] = rng.normal();

    for (Param* p : layer.params()) {
        p->ensureGrad();  // gradients are allocated lazily; the sentinel needs them now
        p->grad.fill(kSentinel);
    }
    Tensor dx(x.shape(), std::numeric_limits<float>::quiet_NaN());
    layer.backward(x, y, g, &dx);
    if (!dx.allFinite())
        r.failure = "backward left non-finite values in dx (dx must be overwritten)";

    const double f0 = dot(y, g);
    Tensor yy;
    auto f = [&] {
        layer.forward(x, yy, o.mode);
        return dot(yy, g);
    };
    probe(
        "input", x, [&](std::int64_t i) { return dx[i]; }, f, f0, o, rng, r);
    for (Param* p : layer.params()) {
        probe(
            p->name, p->value,
            [&](std::int64_t i) { return static_cast<double>(p->grad[i]) - kSentinel; }, f, f0, o,
            rng, r);
    }
    // Running statistics changed during the probes; nothing else to restore.
    layer.freezeRandomness(false);
    return r;
}

GradCheckResult checkLossGradients(Loss& loss, const Tensor& z0, const Tensor& target,
                                   const GradCheckOptions& o) {
    GradCheckResult r;
    Rng rng(o.seed);
    Tensor z = z0;
    Tensor dz(z.shape(), std::numeric_limits<float>::quiet_NaN());
    const double f0 = loss.forward(z, target);
    loss.backward(z, target, dz);
    if (!dz.allFinite()) r.failure = "backward left non-finite values in dz";
    probe(
        "z", z, [&](std::int64_t i) { return dz[i]; }, [&] { return loss.forward(z, target); }, f0,
        o, rng, r);
    return r;
}

GradCheckResult checkNetGradients(Net& net, Loss& loss, const Tensor& x0, const Tensor& target,
                                  const GradCheckOptions& o) {
    GradCheckResult r;
    Rng rng(o.seed);
    Tensor x = x0;
    net.freezeRandomness(true);
    auto f = [&] { return loss.forward(net.forward(x, o.mode), target); };
    const double f0 = f();
    Tensor dz;
    loss.backward(net.output(), target, dz);
    for (Param* p : net.params()) {
        p->ensureGrad();  // gradients are allocated lazily; the sentinel needs them now
        p->grad.fill(kSentinel);
    }
    net.backward(dz, /*wantInputGrad=*/true);
    const Tensor dx = net.inputGrad();
    probe(
        "input", x, [&](std::int64_t i) { return dx[i]; }, f, f0, o, rng, r);
    for (NamedParam& np : net.namedParams()) {
        Param* p = np.param;
        probe(
            np.name, p->value,
            [&](std::int64_t i) { return static_cast<double>(p->grad[i]) - kSentinel; }, f, f0, o,
            rng, r);
    }
    net.freezeRandomness(false);
    return r;
}

}  // namespace ll
