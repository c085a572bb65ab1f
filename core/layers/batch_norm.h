#pragma once
// Batch normalization (Ioffe & Szegedy 2015), PyTorch semantics: momentum 0.1, eps 1e-5,
// biased batch variance to normalize, unbiased variance in the running estimate.
// BatchNorm1d and BatchNorm2d share this code; they differ only in the layouts they accept.

#include "core/layer.h"
#include "core/layers/registry.h"

namespace ll {

class BatchNorm : public Layer {
public:
    std::string describe() const override;
    LayerCost cost(const std::vector<Shape>& in, const Shape& out) const override;
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json& j) const override;
    std::vector<Param*> params() override { return {&m_gamma, &m_beta}; }
    std::vector<Buffer> buffers() override;
    void resetParameters(Rng& rng) override;

    int channels() const { return m_channels; }
    float eps() const { return m_eps; }
    float momentum() const { return m_momentum; }
    Param& gamma() { return m_gamma; }
    Param& beta() { return m_beta; }
    Tensor& runningMean() { return m_runningMean; }
    Tensor& runningVar() { return m_runningVar; }
    /// The eval-mode layer as y = scale·x + shift per channel, computed exactly as forward
    /// computes it (so applying these gives forward's bits).
    void evalAffine(std::vector<float>& scale, std::vector<float>& shift) const;

protected:
    BatchNorm(int channels, float eps, float momentum);
    void forwardImpl(const Tensor& x, Tensor& y, Mode mode) override;
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override;
    /// The fast kernel set's passes (batch_norm.cpp).
    void forwardFast(const Tensor& x, Tensor& y);
    void backwardFast(const Tensor& x, const Tensor& dy, Tensor* dx);
    /// Elements per channel per sample (H·W, or L, or 1).
    static int spatial(const Shape& s);

    int m_channels;
    float m_eps, m_momentum;
    Param m_gamma, m_beta;  // (C): scale, shift
    Tensor m_runningMean;   // (C)
    Tensor m_runningVar;    // (C)
    Tensor m_mean;          // (C): statistics used by the last forward
    Tensor m_invStd;        // (C): 1/sqrt(var + eps) used by the last forward
    bool m_lastTrain = false;
    // The fast set's scratch, sized by the first pass of a shape (no allocation after it).
    std::vector<double> m_partial;  // (N, C, 2): each plane's two sums
    std::vector<double> m_meanD;    // (C): the mean in double
    std::vector<float> m_a, m_b;    // (C): y = a x + b forward; mean(dy), mean(dy·x̂) backward
};

/// Input (N, C) or (N, C, L).
class BatchNorm1d : public BatchNorm {
public:
    explicit BatchNorm1d(int channels, float eps = 1e-5f, float momentum = 0.1f)
        : BatchNorm(channels, eps, momentum) {}
    const char* type() const override { return "BatchNorm1d"; }
    static LayerKind kind();
    Shape outputShape(const Shape& in) const override;
};

/// Input (N, C, H, W).
class BatchNorm2d : public BatchNorm {
public:
    explicit BatchNorm2d(int channels, float eps = 1e-5f, float momentum = 0.1f)
        : BatchNorm(channels, eps, momentum) {}
    const char* type() const override { return "BatchNorm2d"; }
    static LayerKind kind();
    Shape outputShape(const Shape& in) const override;
};

}  // namespace ll
