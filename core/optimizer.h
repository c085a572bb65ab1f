#pragma once
// Optimizers. Each holds Param* (owned by the layers) plus its own state tensors.
//
// Weight decay comes in two forms: L2 adds wd·θ to the gradient before the update (classic
// SGD weight decay, and Adam's "L2"); Decoupled shrinks θ ← θ − lr·wd·θ before the update
// (Loshchilov & Hutter 2019, AdamW). For plain SGD the two coincide.

#include <memory>
#include <string>
#include <vector>

#include "core/layer.h"

namespace ll {

enum class WeightDecayMode { L2, Decoupled };

struct OptimizerOptions {
    float lr = 0.01f;
    float momentum = 0.9f;                            // β of the momentum methods
    float beta1 = 0.9f, beta2 = 0.999f, eps = 1e-8f;  // Adam
    float weightDecay = 0.0f;
    WeightDecayMode decayMode = WeightDecayMode::L2;
};

struct NamedState {
    std::string name;  // "<param index>.<state>", e.g. "3.velocity"
    Tensor* tensor;
};

class Optimizer {
public:
    Optimizer(std::vector<Param*> params, const OptimizerOptions& options);
    virtual ~Optimizer() = default;

    /// "sgd", "momentum", "momentum_form1", "nesterov", "adam".
    virtual const char* type() const = 0;
    /// One update of every parameter from its current gradient.
    void step();
    void zeroGrad();
    float learningRate() const { return m_opt.lr; }
    void setLearningRate(float lr) { m_opt.lr = lr; }
    const OptimizerOptions& options() const { return m_opt; }
    std::int64_t steps() const { return m_steps; }
    void setSteps(std::int64_t s) { m_steps = s; }
    /// State tensors for checkpoints (velocities, moments, previous parameters).
    virtual std::vector<NamedState> state() { return {}; }

protected:
    /// Element-wise optimizers update each piece of a parameter (updatePiece) right after its
    /// weight decay, in one pass over the weights split over the threads; the others (momentum
    /// form I) update whole parameters (update).
    virtual bool elementwise() const { return true; }
    /// Elements [k, k + len) of param i, given their effective gradient gk (L2 decay already
    /// added; gk[0] belongs to element k).
    virtual void updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                             std::int64_t len) = 0;
    /// Param i, given its effective gradient g (L2 decay already added); for elementwise() false.
    virtual void update(std::size_t i, Param& p, const float* g);

    std::vector<Param*> m_params;
    OptimizerOptions m_opt;
    std::int64_t m_steps = 0;

private:
    AlignedFloats m_scratch;  // gradient plus L2 term: a piece per thread, or a whole parameter
};

/// θ ← θ − α g.
class Sgd : public Optimizer {
public:
    using Optimizer::Optimizer;
    const char* type() const override { return "sgd"; }

protected:
    void updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                     std::int64_t len) override;
};

/// Heavy-ball momentum. Form II (PyTorch): v⁺ = g + β v, θ⁺ = θ − α v⁺.
/// Form I (textbook): θ⁺ = θ − α g + β (θ − θ⁻). With a constant α both give the same trajectory
/// (θ − θ⁻ = −α v), which the tests check.
class Momentum : public Optimizer {
public:
    enum class Form { I, II };
    Momentum(std::vector<Param*> params, const OptimizerOptions& options, Form form = Form::II);
    const char* type() const override { return m_form == Form::II ? "momentum" : "momentum_form1"; }
    std::vector<NamedState> state() override;

protected:
    bool elementwise() const override { return m_form == Form::II; }
    void updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                     std::int64_t len) override;
    void update(std::size_t i, Param& p, const float* g) override;

private:
    Form m_form;
    std::vector<Tensor> m_buf;  // form II: velocity v; form I: previous parameters θ⁻
    std::vector<std::vector<double>> m_shadow, m_shadowPrev;  // form I: θ and θ⁻ in double
};

/// Nesterov momentum as in PyTorch: v⁺ = g + β v, θ⁺ = θ − α (g + β v⁺).
class Nesterov : public Optimizer {
public:
    Nesterov(std::vector<Param*> params, const OptimizerOptions& options);
    const char* type() const override { return "nesterov"; }
    std::vector<NamedState> state() override;

protected:
    void updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                     std::int64_t len) override;

private:
    std::vector<Tensor> m_v;
};

/// Adam (Kingma & Ba 2015) with bias correction.
class Adam : public Optimizer {
public:
    Adam(std::vector<Param*> params, const OptimizerOptions& options);
    const char* type() const override { return "adam"; }
    std::vector<NamedState> state() override;

protected:
    void updatePiece(std::size_t i, Param& p, const float* gk, std::int64_t k,
                     std::int64_t len) override;

private:
    std::vector<Tensor> m_m, m_v;  // first and second moments, shaped like each param
};

/// sgd | momentum | momentum_form1 | nesterov | adam. Throws UsageError for other names.
std::unique_ptr<Optimizer> makeOptimizer(const std::string& name, std::vector<Param*> params,
                                         const OptimizerOptions& options);

}  // namespace ll
