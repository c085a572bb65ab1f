#include "core/optimizer.h"

#include <algorithm>
#include <cmath>

#include "core/isa_kernels.h"
#include "core/parallel.h"

namespace ll {

namespace {
std::vector<Tensor> zerosLike(const std::vector<Param*>& params) {
    std::vector<Tensor> out;
    for (const Param* p : params)
        out.emplace_back(p->value.shape());
    return out;
}
// body(i, len) over a parameter's n elements in pieces of at most kPiece (8 KB, so that a piece a
// step writes and reads again is still in L1), the pieces split over the threads
// (parallelRanges): the update and zeroGrad were single-threaded passes over every weight, which
// kept one core waiting (about 4% of vgg-cifar's step). Element-wise, with the same expressions on
// pieces starting on 64-byte lines: the same bits at any split.
constexpr std::int64_t kPiece = 2048;

template <typename F>
void inPieces(std::int64_t n, F&& body) {
    parallelRanges(n, [&](std::int64_t i0, std::int64_t i1) {
        for (std::int64_t i = i0; i < i1; i += kPiece)
            body(i, std::min(kPiece, i1 - i));
    });
}
}  // namespace

Optimizer::Optimizer(std::vector<Param*> params, const OptimizerOptions& options)
    : m_params(std::move(params)), m_opt(options) {
    if (!(options.lr >= 0.0f) || !std::isfinite(options.lr)) {
        throw UsageError(strCat("learning rate must be a finite number >= 0, got ", options.lr));
    }
    if (!(options.weightDecay >= 0.0f)) {
        throw UsageError(strCat("weight decay must be >= 0, got ", options.weightDecay));
    }
    if (!(options.momentum >= 0.0f && options.momentum < 1.0f)) {
        throw UsageError(strCat("momentum must be in [0, 1), got ", options.momentum));
    }
    for (Param* p : m_params)
        p->ensureGrad();
}

void Optimizer::step() {
    ++m_steps;
    const float wd = m_opt.weightDecay;
    const bool l2 = wd > 0.0f && m_opt.decayMode == WeightDecayMode::L2;
    const bool decoupled = wd > 0.0f && !l2;
    const float shrink = 1.0f - m_opt.lr * wd;
    // Decay and update in one pass, piece by piece, each thread's L2 gradient in its own 8 KB of
    // m_scratch: before, the L2 gradient was a whole parameter written and read again, on one
    // thread (about 6% of vgg-cifar's training step in the trainer, which has weight decay).
    // The expressions are those of the whole-parameter passes, so the bits are the same.
    if (l2) {
        const std::size_t need =
            static_cast<std::size_t>(elementwise() ? kPiece * numThreads() : 0);
        if (m_scratch.size() < need) m_scratch.resize(need);
    }
    for (std::size_t i = 0; i < m_params.size(); ++i) {
        Param& p = *m_params[i];
        const std::int64_t n = p.value.numel();
        float* t = p.value.data();
        const float* g = p.grad.data();
        // The decay of elements [k, k + len): L2's gradient written to s (used only then) and
        // returned, or θ shrunk in place and the gradient returned as it is.
        auto decay = [&](std::int64_t k, std::int64_t len, float* s) {
            if (l2) {
                VectorMap(s, len) = ConstVectorMap(g + k, len) + wd * ConstVectorMap(t + k, len);
                return static_cast<const float*>(s);
            }
            if (decoupled) VectorMap(t + k, len) *= shrink;
            return g + k;
        };
        if (elementwise()) {
            inPieces(n, [&](std::int64_t k, std::int64_t len) {
                float* s = l2 ? m_scratch.data() + kPiece * threadIndex() : nullptr;
                updatePiece(i, p, decay(k, len, s), k, len);
            });
            continue;
        }
        if (l2 && m_scratch.size() < static_cast<std::size_t>(n))
            m_scratch.resize(static_cast<std::size_t>(n));
        if (wd > 0.0f) {
            float* s = l2 ? m_scratch.data() : nullptr;
            inPieces(n, [&](std::int64_t k, std::int64_t len) { decay(k, len, s ? s + k : s); });
            if (l2) g = s;
        }
        update(i, p, g);
    }
}

void Optimizer::update(std::size_t i, Param& p, const float* g) {
    inPieces(p.value.numel(),
             [&](std::int64_t k, std::int64_t len) { updatePiece(i, p, g + k, k, len); });
}

void Optimizer::zeroGrad() {
    for (Param* p : m_params)
        zeroParallel(p->grad.data(), p->grad.numel());
}

void Sgd::updatePiece(std::size_t, Param& p, const float* gk, std::int64_t k, std::int64_t len) {
    VectorMap(p.value.data() + k, len) -= m_opt.lr * ConstVectorMap(gk, len);
}

Momentum::Momentum(std::vector<Param*> params, const OptimizerOptions& options, Form form)
    : Optimizer(std::move(params), options), m_form(form) {
    m_buf = zerosLike(m_params);
    m_shadow.resize(m_params.size());
    m_shadowPrev.resize(m_params.size());
}

std::vector<NamedState> Momentum::state() {
    std::vector<NamedState> out;
    const char* what = m_form == Form::II ? "velocity" : "previous";
    for (std::size_t i = 0; i < m_buf.size(); ++i)
        out.push_back({strCat(i, ".", what), &m_buf[i]});
    return out;
}

void Momentum::updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                           std::int64_t len) {
    const float a = m_opt.lr, b = m_opt.momentum;
    VectorMap v(m_buf[i].data() + k, len);
    v = ConstVectorMap(gk, len) + b * v;          // v⁺ = g + β v
    VectorMap(p.value.data() + k, len) -= a * v;  // θ⁺ = θ − α v⁺
}

void Momentum::update(std::size_t i, Param& p, const float* g) {
    const float a = m_opt.lr, b = m_opt.momentum;
    // Form I remembers θ⁻. It runs on a double shadow of θ and θ⁻: in float, the rounding of θ
    // re-enters every later step through θ − θ⁻ (amplified up to 1/(1 − β)), which form II does
    // not suffer; with the shadow both forms follow the same exact trajectory.
    std::vector<double>& th = m_shadow[i];
    std::vector<double>& prev = m_shadowPrev[i];
    const std::size_t n = static_cast<std::size_t>(p.value.numel());
    float* t = p.value.data();
    float* prevF = m_buf[i].data();
    bool stale = th.size() != n;
    for (std::size_t k = 0; !stale && k < n; ++k)
        stale = static_cast<float>(th[k]) != t[k];
    if (stale) {
        // First step, or θ was set from outside (checkpoint, reset): restart from the float
        // values; before the first step θ⁻ = θ (no motion yet).
        th.assign(t, t + n);
        prev.resize(n);
        for (std::size_t k = 0; k < n; ++k)
            prev[k] = m_steps == 1 ? th[k] : prevF[k];
    }
    for (std::size_t k = 0; k < n; ++k) {
        const double next =
            th[k] - static_cast<double>(a) * g[k] + static_cast<double>(b) * (th[k] - prev[k]);
        prev[k] = th[k];  // θ⁻ ← θ
        th[k] = next;     // θ⁺ = θ − α g + β (θ − θ⁻)
        t[k] = static_cast<float>(next);
        prevF[k] = static_cast<float>(prev[k]);
    }
}

Nesterov::Nesterov(std::vector<Param*> params, const OptimizerOptions& options)
    : Optimizer(std::move(params), options), m_v(zerosLike(m_params)) {}

std::vector<NamedState> Nesterov::state() {
    std::vector<NamedState> out;
    for (std::size_t i = 0; i < m_v.size(); ++i)
        out.push_back({strCat(i, ".velocity"), &m_v[i]});
    return out;
}

void Nesterov::updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                           std::int64_t len) {
    ConstVectorMap grad(gk, len);
    VectorMap v(m_v[i].data() + k, len);
    v = grad + m_opt.momentum * v;
    VectorMap(p.value.data() + k, len) -= m_opt.lr * (grad + m_opt.momentum * v);
}

Adam::Adam(std::vector<Param*> params, const OptimizerOptions& options)
    : Optimizer(std::move(params), options), m_m(zerosLike(m_params)), m_v(zerosLike(m_params)) {
    if (!(options.beta1 >= 0.0f && options.beta1 < 1.0f && options.beta2 >= 0.0f &&
          options.beta2 < 1.0f && options.eps > 0.0f)) {
        throw UsageError(strCat("Adam needs beta1, beta2 in [0, 1) and eps > 0, got ",
                                options.beta1, ", ", options.beta2, ", ", options.eps));
    }
}

std::vector<NamedState> Adam::state() {
    std::vector<NamedState> out;
    for (std::size_t i = 0; i < m_m.size(); ++i) {
        out.push_back({strCat(i, ".m"), &m_m[i]});
        out.push_back({strCat(i, ".v"), &m_v[i]});
    }
    return out;
}

void Adam::updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k, std::int64_t len) {
    const float b1 = m_opt.beta1, b2 = m_opt.beta2;
    const double t = static_cast<double>(m_steps);
    const float c1 = static_cast<float>(1.0 - std::pow(b1, t));
    const float c2 = static_cast<float>(1.0 - std::pow(b2, t));
    // m ← β1 m + (1 − β1) g, v ← β2 v + (1 − β2) g², then θ ← θ − α m̂ / (√v̂ + ε) with
    // m̂ = m / c1, v̂ = v / c2 (PyTorch's arrangement), in Eigen compiled for this CPU
    // (isa_kernels.h) in the fast kernel set, the build's own in the reference set.
    const float stepSize = m_opt.lr / c1;
    const float sqrtC2 = std::sqrt(c2);
    isaKernelsFor(kernelSet())
        .adamStep(p.value.data() + k, m_m[i].data() + k, m_v[i].data() + k, gk, len, b1, b2,
                  stepSize, sqrtC2, m_opt.eps);
}

std::unique_ptr<Optimizer> makeOptimizer(const std::string& name, std::vector<Param*> params,
                                         const OptimizerOptions& options) {
    if (name == "sgd") return std::make_unique<Sgd>(std::move(params), options);
    if (name == "momentum") return std::make_unique<Momentum>(std::move(params), options);
    if (name == "momentum_form1") {
        return std::make_unique<Momentum>(std::move(params), options, Momentum::Form::I);
    }
    if (name == "nesterov") return std::make_unique<Nesterov>(std::move(params), options);
    if (name == "adam") return std::make_unique<Adam>(std::move(params), options);
    throw UsageError(strCat("unknown optimizer '", name,
                            "' (expected sgd, momentum, momentum_form1, nesterov or adam)"));
}

}  // namespace ll
