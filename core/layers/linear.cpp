#include "core/layers/linear.h"

#include "core/gemm.h"
#include "core/kernels.h"
#include "core/layer_io.h"

#include "core/layers/init.h"

namespace ll {

namespace {
// Which GEMM the fast kernel set multiplies with. Eigen's kernels are fixed when compiling: built
// for AVX or wider they beat BLIS on these shapes (mlp-cifar with -march=native: 17.4k against
// 14.9k training images/s); built for SSE only (a portable build) they are 2–3× slower than
// BLIS, which picks its kernels by the CPU at run time (6.1k against 12.8k).
#ifdef EIGEN_VECTORIZE_AVX
constexpr bool kBlisWhenFast = false;
#else
constexpr bool kBlisWhenFast = true;
#endif

bool useBlis() {
    return kBlisWhenFast && kernelSet() == KernelSet::Fast;
}
}  // namespace

Linear::Linear(int in, int out, bool bias) : m_in(in), m_out(out), m_hasBias(bias) {
    if (in <= 0 || out <= 0) {
        throw ModelError(strCat("Linear needs positive sizes, got ", in, "→", out));
    }
    m_weight.name = "weight";
    m_weight.allocate({out, in});
    if (bias) {
        m_bias.name = "bias";
        m_bias.allocate({out});
    }
}

std::string Linear::describe() const {
    return strCat(m_in, "→", m_out, m_hasBias ? "" : ", no bias");
}

Shape Linear::outputShape(const Shape& in) const {
    if (in.rank() != 2) {
        shapeError(in, strCat("expects input (N, ", m_in, ")",
                              in.rank() > 2 ? " — add a Flatten layer before it" : ""));
    }
    if (in[1] != m_in) shapeError(in, strCat("expects ", m_in, " input features"));
    return {in[0], m_out};
}

std::vector<Param*> Linear::params() {
    if (m_hasBias) return {&m_weight, &m_bias};
    return {&m_weight};
}

void Linear::resetParameters(Rng& rng) {
    kaimingUniformA5(m_weight.value, m_in, rng);
    if (m_hasBias) fanInUniform(m_bias.value, m_in, rng);
}

void Linear::forwardImpl(const Tensor& x, Tensor& y, Mode) {
    const int N = x.dim(0);
    auto X = x.matrix(N, m_in);
    auto W = m_weight.value.matrix(m_out, m_in);
    auto Y = y.matrix(N, m_out);
    if (useBlis()) {
        sgemmParallel(false, true, N, m_out, m_in, 1.0f, x.data(), m_in, m_weight.value.data(),
                      m_in, 0.0f, y.data(), m_out);
    } else {
        Y.noalias() = X * W.transpose();
    }
    if (m_hasBias) Y.rowwise() += m_bias.value.vector().transpose();
}

void Linear::backwardImpl(const Tensor& x, const Tensor&, const Tensor& dy, Tensor* dx) {
    const int N = x.dim(0);
    auto X = x.matrix(N, m_in);
    auto dY = dy.matrix(N, m_out);
    // dW += dYᵀ X ; db += column sums of dY ; dX = dY W.
    const bool blis = useBlis();
    if (blis) {
        sgemmParallel(true, false, m_out, m_in, N, 1.0f, dy.data(), m_out, x.data(), m_in, 1.0f,
                      m_weight.grad.data(), m_in);
    } else {
        m_weight.grad.matrix(m_out, m_in).noalias() += dY.transpose() * X;
    }
    if (m_hasBias) m_bias.grad.vector() += dY.colwise().sum().transpose();
    if (!dx) return;
    if (blis) {
        sgemmParallel(false, false, N, m_in, m_out, 1.0f, dy.data(), m_out, m_weight.value.data(),
                      m_in, 0.0f, dx->data(), m_in);
    } else {
        dx->matrix(N, m_in).noalias() = dY * m_weight.value.matrix(m_out, m_in);
    }
}

LayerCost Linear::cost(const std::vector<Shape>&, const Shape& out) const {
    LayerCost c;
    const std::int64_t outElems = out.sample().numel();
    c.weights = static_cast<std::int64_t>(m_in) * m_out;
    c.multiplications = static_cast<std::int64_t>(m_in) * outElems;
    c.sumOutputs = outElems;
    c.hasBias = m_hasBias;
    c.biases = m_hasBias ? m_out : 0;
    return c;
}

// After a Flatten the input is flat and the field is the Flatten's; on a map it is invalid.
FieldRule Linear::fieldRule(const Shape& in) const {
    FieldRule r;
    if (in.rank() != 2) r.kind = FieldRule::Kind::NotFlat;
    return r;
}

void Linear::write(json& j) const {
    j["out"] = m_out;
    if (!m_hasBias) j["bias"] = false;
}

namespace {
LayerPtr readLinear(const LayerReader& r) {
    r.allowOnly({"in", "out", "bias"});
    const int nin = r.featuresIn();
    return std::make_unique<Linear>(nin, r.integer("out", 0, true), r.boolean("bias", true));
}
}  // namespace

LayerKind Linear::kind() {
    return {"Linear", "fc", &readLinear};
}

}  // namespace ll
