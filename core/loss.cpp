#include "core/loss.h"

#include <algorithm>
#include <cmath>

namespace ll {

double Loss::forward(const Tensor& z, const Tensor& target) {
    checkShapes(z, target);
    return forwardImpl(z, target);
}

void Loss::backward(const Tensor& z, const Tensor& target, Tensor& dz) {
    checkShapes(z, target);
    dz.resize(z.shape());
    backwardImpl(z, target, dz);
}

float sigmoid(float x) {
    const float e = std::exp(-std::fabs(x));
    return x >= 0.0f ? 1.0f / (1.0f + e) : e / (1.0f + e);
}

namespace {

void requireBatch(const char* loss, const Tensor& z) {
    if (z.rank() != 2 || z.dim(0) == 0) {
        throw ShapeError(strCat(loss, ": expects model output (N, K) with N > 0, got ", z.shape()));
    }
}

void requireLabels(const char* loss, const Tensor& z, const Tensor& target) {
    if (target.rank() != 1 || target.dim(0) != z.dim(0)) {
        throw ShapeError(
            strCat(loss, ": expects one label per sample, (", z.dim(0), "), got ", target.shape()));
    }
}

void requireBinaryOutput(const char* loss, const Tensor& z, const Tensor& target) {
    requireBatch(loss, z);
    if (z.dim(1) != 1) {
        throw ShapeError(strCat(loss, ": expects a one-output model (N, 1), got ", z.shape()));
    }
    requireLabels(loss, z, target);
    for (std::int64_t i = 0; i < target.numel(); ++i) {
        if (target[i] != 1.0f && target[i] != -1.0f) {
            throw ShapeError(
                strCat(loss, ": labels must be -1 or +1, sample ", i, " has ", target[i]));
        }
    }
}

}  // namespace

// --- softmax cross-entropy -------------------------------------------------------------------

void SoftmaxCrossEntropy::checkShapes(const Tensor& z, const Tensor& target) const {
    requireBatch("cross_entropy", z);
    requireLabels("cross_entropy", z, target);
    const int K = z.dim(1);
    for (std::int64_t i = 0; i < target.numel(); ++i) {
        const float t = target[i];
        if (!(t >= 0.0f && t < static_cast<float>(K)) || t != std::floor(t)) {
            throw ShapeError(strCat("cross_entropy: label ", t, " of sample ", i,
                                    " is not a class index in [0, ", K, ")"));
        }
    }
}

double SoftmaxCrossEntropy::forwardImpl(const Tensor& z, const Tensor& target) {
    const int N = z.dim(0), K = z.dim(1);
    double total = 0.0;
    for (int n = 0; n < N; ++n) {
        const float* row = z.data() + static_cast<std::int64_t>(n) * K;
        // −log softmax(z)_y = logsumexp(z) − z_y, with logsumexp(z) = m + log Σ exp(z − m).
        const float m = *std::max_element(row, row + K);
        double s = 0.0;
        for (int k = 0; k < K; ++k)
            s += std::exp(static_cast<double>(row[k]) - m);
        total += m + std::log(s) - row[static_cast<int>(target[n])];
    }
    return total / N;
}

void SoftmaxCrossEntropy::backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) {
    const int N = z.dim(0), K = z.dim(1);
    const float invN = 1.0f / static_cast<float>(N);
    for (int n = 0; n < N; ++n) {
        const float* row = z.data() + static_cast<std::int64_t>(n) * K;
        float* g = dz.data() + static_cast<std::int64_t>(n) * K;
        const float m = *std::max_element(row, row + K);
        double s = 0.0;
        for (int k = 0; k < K; ++k)
            s += std::exp(static_cast<double>(row[k]) - m);
        // d/dz (logsumexp − z_y) = softmax(z) − onehot(y).
        for (int k = 0; k < K; ++k) {
            g[k] = static_cast<float>(std::exp(static_cast<double>(row[k]) - m) / s) * invN;
        }
        g[static_cast<int>(target[n])] -= invN;
    }
}

// --- mean squared error ----------------------------------------------------------------------

void MeanSquaredError::checkShapes(const Tensor& z, const Tensor& target) const {
    requireBatch("mse", z);
    const bool same = target.shape() == z.shape();
    const bool oneOutput = z.dim(1) == 1 && target.rank() == 1 && target.dim(0) == z.dim(0);
    if (!same && !oneOutput) {
        throw ShapeError(
            strCat("mse: target shape ", target.shape(), " does not match output ", z.shape()));
    }
}

double MeanSquaredError::forwardImpl(const Tensor& z, const Tensor& target) {
    double s = 0.0;
    for (std::int64_t i = 0; i < z.numel(); ++i) {
        const double d = static_cast<double>(z[i]) - target[i];
        s += d * d;
    }
    return s / static_cast<double>(z.numel());
}

void MeanSquaredError::backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) {
    const float k = 2.0f / static_cast<float>(z.numel());
    for (std::int64_t i = 0; i < z.numel(); ++i)
        dz[i] = k * (z[i] - target[i]);
}

// --- logistic --------------------------------------------------------------------------------

void LogisticLoss::checkShapes(const Tensor& z, const Tensor& target) const {
    requireBinaryOutput("logistic", z, target);
}

double LogisticLoss::forwardImpl(const Tensor& z, const Tensor& target) {
    double s = 0.0;
    for (std::int64_t i = 0; i < z.numel(); ++i) {
        // softplus(u) = log(1 + e^u) = max(u, 0) + log1p(e^(−|u|)), u = −y z.
        const double u = -static_cast<double>(target[i]) * z[i];
        s += std::max(u, 0.0) + std::log1p(std::exp(-std::fabs(u)));
    }
    return s / static_cast<double>(z.numel());
}

void LogisticLoss::backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) {
    const float invN = 1.0f / static_cast<float>(z.numel());
    for (std::int64_t i = 0; i < z.numel(); ++i) {
        const float y = target[i];
        dz[i] = -y * sigmoid(-y * z[i]) * invN;  // d/dz softplus(−yz) = −y σ(−yz)
    }
}

// --- non-CE squared loss ---------------------------------------------------------------------

void NonCELoss::checkShapes(const Tensor& z, const Tensor& target) const {
    requireBinaryOutput("non_ce", z, target);
}

double NonCELoss::forwardImpl(const Tensor& z, const Tensor& target) {
    double s = 0.0;
    for (std::int64_t i = 0; i < z.numel(); ++i) {
        const double y = target[i];
        const double sp = sigmoid(z[i]), sm = sigmoid(-z[i]);
        s += (1 - y) * ((1 - sm) * (1 - sm) + sp * sp) + (1 + y) * ((1 - sp) * (1 - sp) + sm * sm);
    }
    return s / static_cast<double>(z.numel());
}

void NonCELoss::backwardImpl(const Tensor& z, const Tensor& target, Tensor& dz) {
    const float invN = 1.0f / static_cast<float>(z.numel());
    for (std::int64_t i = 0; i < z.numel(); ++i) {
        const float y = target[i];
        const float s = sigmoid(z[i]);
        // L = 2(1−y)s² + 2(1+y)(1−s)², s = σ(z), ds/dz = s(1−s).
        const float dLds = 4.0f * (1.0f - y) * s - 4.0f * (1.0f + y) * (1.0f - s);
        dz[i] = dLds * s * (1.0f - s) * invN;
    }
}

std::unique_ptr<Loss> makeLoss(const std::string& name) {
    if (name == "cross_entropy") return std::make_unique<SoftmaxCrossEntropy>();
    if (name == "mse") return std::make_unique<MeanSquaredError>();
    if (name == "logistic") return std::make_unique<LogisticLoss>();
    if (name == "non_ce") return std::make_unique<NonCELoss>();
    throw UsageError(
        strCat("unknown loss '", name, "' (expected cross_entropy, mse, logistic or non_ce)"));
}

int countCorrect(const Tensor& z, const Tensor& target) {
    LL_CHECK(z.rank() == 2 && target.rank() == 1 && target.dim(0) == z.dim(0), "countCorrect ",
             z.shape(), " vs ", target.shape());
    const int N = z.dim(0), K = z.dim(1);
    int correct = 0;
    for (int n = 0; n < N; ++n) {
        const float* row = z.data() + static_cast<std::int64_t>(n) * K;
        if (K == 1) {
            correct += (row[0] >= 0.0f ? 1.0f : -1.0f) == target[n];
        } else {
            correct += static_cast<int>(std::max_element(row, row + K) - row) ==
                       static_cast<int>(target[n]);
        }
    }
    return correct;
}

}  // namespace ll
