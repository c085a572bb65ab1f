// The gradient checker must catch what it is meant to catch: a checker that cannot fail is a
// defect.
#include "support/check.h"

#include "core/layers/linear.h"
#include "core/layers/tanh.h"

namespace ll {

namespace {

// tanh with the derivative off by a factor: the kind of slip a hand-written backward makes.
class WrongTanh : public Tanh {
protected:
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
        Tanh::backwardImpl(x, y, dy, dx);
        dx->vector() *= 1.1f;
    }
};

// Leaves dx untouched (violates "dx is overwritten").
class ForgetsDx : public Tanh {
protected:
    void backwardImpl(const Tensor&, const Tensor&, const Tensor&, Tensor*) override {}
};

// Assigns the parameter gradient instead of accumulating (violates "+=").
class OverwritesGrad : public Linear {
public:
    OverwritesGrad() : Linear(3, 2) {}

protected:
    void backwardImpl(const Tensor& x, const Tensor& y, const Tensor& dy, Tensor* dx) override {
        weight().grad.setZero();
        bias().grad.setZero();
        Linear::backwardImpl(x, y, dy, dx);
    }
};

}  // namespace

TEST(GradCheck, CatchesAWrongDerivative) {
    WrongTanh t;
    const GradCheckResult r = checkLayerGradients(t, {2, 5});
    EXPECT_FALSE(r.passed(2e-3)) << r.str();
    EXPECT_GT(r.maxError, 0.05);
}

TEST(GradCheck, CatchesAnInputGradientLeftUnwritten) {
    ForgetsDx t;
    const GradCheckResult r = checkLayerGradients(t, {2, 5});
    EXPECT_FALSE(r.passed(2e-3));
    EXPECT_NE(r.failure.find("overwritten"), std::string::npos) << r.str();
}

TEST(GradCheck, CatchesParameterGradientsThatDoNotAccumulate) {
    OverwritesGrad l;
    const GradCheckResult r = checkLayerGradients(l, {2, 3});
    EXPECT_FALSE(r.passed(2e-3)) << r.str();
}

TEST(GradCheck, SmoothLayerIsNeverMistakenForAKink) {
    // The kink detector compares one-sided differences; a smooth function must not trip it.
    Tanh t;
    const GradCheckResult r = checkLayerGradients(t, {4, 8});
    EXPECT_TRUE(r.passed(2e-3)) << r.str();
    EXPECT_EQ(r.checked, 32);
    EXPECT_EQ(r.skipped, 0);
}

}  // namespace ll
