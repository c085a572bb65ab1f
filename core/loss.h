#pragma once
// Loss functions. forward() returns the loss averaged over the batch; backward() OVERWRITES dz
// with dL/dz of that mean.

#include <memory>
#include <string>

#include "core/tensor.h"

namespace ll {

class Loss {
public:
    virtual ~Loss() = default;
    virtual const char* type() const = 0;
    /// True for losses of a one-output model with labels −1/+1 (logistic, non-CE).
    virtual bool signedLabels() const { return false; }
    /// z: model output (N, K); target: see each loss. Throws ShapeError when they do not fit.
    double forward(const Tensor& z, const Tensor& target);
    void backward(const Tensor& z, const Tensor& target, Tensor& dz);

protected:
    virtual void checkShapes(const Tensor& z, const Tensor& target) const = 0;
    virtual double forwardImpl(const Tensor& z, const Tensor& target) = 0;
    virtual void backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) = 0;
};

/// Softmax cross-entropy on logits z (N, K) with integer class labels target (N) stored as floats.
/// log-softmax uses the log-sum-exp with the row maximum subtracted, so logits of ±1e4 stay finite.
class SoftmaxCrossEntropy : public Loss {
public:
    const char* type() const override { return "cross_entropy"; }

protected:
    void checkShapes(const Tensor& z, const Tensor& target) const override;
    double forwardImpl(const Tensor& z, const Tensor& target) override;
    void backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) override;
};

/// Mean squared error over all elements: mean((z − t)²), target of z's shape. For a model with one
/// output, target (N) is accepted too.
class MeanSquaredError : public Loss {
public:
    const char* type() const override { return "mse"; }

protected:
    void checkShapes(const Tensor& z, const Tensor& target) const override;
    double forwardImpl(const Tensor& z, const Tensor& target) override;
    void backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) override;
};

/// Binary logistic (cross-entropy) loss of a one-output model z (N, 1), labels y ∈ {−1, +1}:
/// log(1 + e^(−y z)), evaluated as a stable softplus.
class LogisticLoss : public Loss {
public:
    const char* type() const override { return "logistic"; }
    bool signedLabels() const override { return true; }

protected:
    void checkShapes(const Tensor& z, const Tensor& target) const override;
    double forwardImpl(const Tensor& z, const Tensor& target) override;
    void backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) override;
};

/// The course's "non-CE" squared loss of a one-output logistic model, labels y ∈ {−1, +1}:
/// (1−y)·((1−σ(−z))² + σ(z)²) + (1+y)·((1−σ(z))² + σ(−z)²).
/// Since σ(−z) = 1 − σ(z) this equals 4σ(z)² for y = −1 and 4(1 − σ(z))² for y = +1.
class NonCELoss : public Loss {
public:
    const char* type() const override { return "non_ce"; }
    bool signedLabels() const override { return true; }

protected:
    void checkShapes(const Tensor& z, const Tensor& target) const override;
    double forwardImpl(const Tensor& z, const Tensor& target) override;
    void backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) override;
};

/// Makes a loss by name: cross_entropy, mse, logistic, non_ce. Throws UsageError otherwise.
std::unique_ptr<Loss> makeLoss(const std::string& name);

/// Numerically stable σ(x).
float sigmoid(float x);

/// Number of correct predictions: argmax over K for z (N, K ≥ 2) against class labels; the sign of
/// z for a one-output model against labels ±1.
int countCorrect(const Tensor& z, const Tensor& target);

}  // namespace ll
