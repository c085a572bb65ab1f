#include "support/check.h"

#include <cmath>

#include "core/optimizer.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {

namespace {

Param makeParam(std::vector<float> v) {
    Param p;
    p.name = "w";
    const int n = static_cast<int>(v.size());
    p.value = Tensor({n}, std::move(v));
    p.grad = Tensor({n});
    return p;
}

// Runs `steps` updates with a seeded gradient sequence (optionally plus a θ-dependent term, as in
// a real loss) and returns the trajectory of θ. `scale` sets the size of θ and of the gradients.
std::vector<std::vector<float>> trajectory(const std::string& kind, OptimizerOptions o, int steps,
                                           bool gradientDependsOnTheta, float scale) {
    Param p = makeParam({0.5f * scale, -1.0f * scale, 2.0f * scale});
    auto opt = makeOptimizer(kind, {&p}, o);
    Rng rng(123);
    std::vector<std::vector<float>> out;
    for (int t = 0; t < steps; ++t) {
        for (int i = 0; i < 3; ++i) {
            p.grad[i] = scale * rng.normal() + (gradientDependsOnTheta ? 0.3f * p.value[i] : 0.0f);
        }
        opt->step();
        out.push_back(p.value.values());
    }
    return out;
}

double maxAbsDiff(const std::vector<std::vector<float>>& a,
                  const std::vector<std::vector<float>>& b) {
    double d = 0;
    for (std::size_t t = 0; t < a.size(); ++t) {
        for (std::size_t i = 0; i < a[t].size(); ++i)
            d = std::max(d, std::fabs(static_cast<double>(a[t][i]) - b[t][i]));
    }
    return d;
}

// Three steps of `kind` on one parameter of n elements (seeded values and gradients) on
// `threads` threads; checks that zeroGrad then clears every gradient element. Returns θ.
std::vector<float> stepsOnLargeParam(const std::string& kind, int threads,
                                     const OptimizerOptions& o, int n) {
    const int saved = numThreads();
    setNumThreads(threads);
    Rng rng(5);
    Param p;
    p.name = "w";
    p.value = Tensor({n});
    p.grad = Tensor({n});
    for (int i = 0; i < n; ++i)
        p.value[i] = rng.normal();
    auto opt = makeOptimizer(kind, {&p}, o);
    for (int t = 0; t < 3; ++t) {
        for (int i = 0; i < n; ++i)
            p.grad[i] = rng.normal();
        opt->step();
    }
    opt->zeroGrad();
    int nonzero = 0;
    for (int i = 0; i < n; ++i)
        nonzero += p.grad[i] != 0.0f;
    EXPECT_EQ(nonzero, 0);
    setNumThreads(saved);
    return p.value.values();
}

}  // namespace

TEST(Optimizer, SgdGoldenStep) {
    Param p = makeParam({1, 2});
    p.grad = Tensor({2}, {0.5f, -1});
    OptimizerOptions o;
    o.lr = 0.1f;
    Sgd sgd({&p}, o);
    sgd.step();
    EXPECT_FLOAT_EQ(p.value[0], 0.95f);
    EXPECT_FLOAT_EQ(p.value[1], 2.1f);
}

TEST(Optimizer, MomentumFormsOneAndTwoGiveTheSameTrajectory) {
    OptimizerOptions o;
    o.lr = 0.05f;
    o.momentum = 0.9f;
    for (bool dependent : {false, true}) {
        SCOPED_TRACE(dependent ? "θ-dependent gradients" : "fixed gradients");
        // Network-sized numbers (weights ~0.1, gradients ~0.1): the forms agree to 1e-6.
        const auto a = trajectory("momentum", o, 100, dependent, 0.1f);
        const auto b = trajectory("momentum_form1", o, 100, dependent, 0.1f);
        EXPECT_LT(maxAbsDiff(a, b), 1e-6);
        // The momentum really did something: the trajectory differs from plain SGD.
        EXPECT_GT(maxAbsDiff(a, trajectory("sgd", o, 100, dependent, 0.1f)), 1e-2);
        // With |θ| up to ~10 the float rounding of θ itself (ulp ≈ 1e-6) differs between the
        // forms; form I feeds it back through θ − θ⁻, amplified up to 1/(1 − β) = 10 times.
        // Agreement is then 1e-6 relative to the size of θ times that factor.
        const auto big1 = trajectory("momentum", o, 100, dependent, 1.0f);
        const auto big2 = trajectory("momentum_form1", o, 100, dependent, 1.0f);
        double maxTheta = 0;
        for (const auto& row : big1) {
            for (float v : row)
                maxTheta = std::max(maxTheta, static_cast<double>(std::fabs(v)));
        }
        EXPECT_LT(maxAbsDiff(big1, big2), 1e-6 * maxTheta) << "max |θ| " << maxTheta;
    }
}

TEST(Optimizer, MomentumGoldenTwoSteps) {
    Param p = makeParam({1});
    OptimizerOptions o;
    o.lr = 0.1f;
    o.momentum = 0.5f;
    Momentum m({&p}, o);
    p.grad[0] = 1;
    m.step();  // v = 1, θ = 0.9
    EXPECT_FLOAT_EQ(p.value[0], 0.9f);
    p.grad[0] = 2;
    m.step();  // v = 2 + 0.5 = 2.5, θ = 0.9 − 0.25 = 0.65
    EXPECT_FLOAT_EQ(p.value[0], 0.65f);
}

TEST(Optimizer, NesterovGoldenTwoSteps) {
    Param p = makeParam({1});
    OptimizerOptions o;
    o.lr = 0.1f;
    o.momentum = 0.5f;
    Nesterov n({&p}, o);
    p.grad[0] = 1;
    n.step();  // v = 1, θ = 1 − 0.1·(1 + 0.5) = 0.85
    EXPECT_FLOAT_EQ(p.value[0], 0.85f);
    p.grad[0] = 2;
    n.step();  // v = 2.5, θ = 0.85 − 0.1·(2 + 1.25) = 0.525
    EXPECT_FLOAT_EQ(p.value[0], 0.525f);
}

TEST(Optimizer, AdamGoldenSteps) {
    Param p = makeParam({1, 1});
    OptimizerOptions o;
    o.lr = 0.01f;
    Adam adam({&p}, o);
    p.grad = Tensor({2}, {3, -0.001f});
    adam.step();
    // First step: m̂ = g, v̂ = g², so θ moves by lr·g/(|g| + ε) ≈ lr·sign(g).
    EXPECT_NEAR(p.value[0], 0.99, 1e-6);
    EXPECT_NEAR(p.value[1], 1.01, 1e-5);
    p.grad = Tensor({2}, {1, 0});
    adam.step();
    // Second step by hand: m = 0.9·0.3 + 0.1 = 0.37, m̂ = 0.37/0.19; v = 0.999·0.009 + 0.001 =
    // 0.009991, v̂ = 0.009991/0.001999; Δ = 0.01·m̂/sqrt(v̂).
    const double mhat = 0.37 / 0.19, vhat = 0.009991 / (1 - 0.999 * 0.999);
    EXPECT_NEAR(p.value[0], 0.99 - 0.01 * mhat / (std::sqrt(vhat) + 1e-8), 1e-6);
}

TEST(Optimizer, WeightDecayL2AndDecoupled) {
    OptimizerOptions o;
    o.lr = 0.1f;
    o.weightDecay = 0.5f;
    {
        Param p = makeParam({2});
        Sgd sgd({&p}, o);
        p.grad[0] = 1;
        sgd.step();  // θ − lr(g + wd θ) = 2 − 0.1·(1 + 1) = 1.8
        EXPECT_FLOAT_EQ(p.value[0], 1.8f);
    }
    {
        Param p = makeParam({2});
        o.decayMode = WeightDecayMode::Decoupled;
        Adam adam({&p}, o);
        p.grad[0] = 1;
        adam.step();  // θ(1 − lr·wd) − lr·sign(g) = 2·0.95 − 0.1 = 1.8
        EXPECT_NEAR(p.value[0], 1.8, 1e-6);
    }
    {
        Param p = makeParam({2});
        o.decayMode = WeightDecayMode::L2;
        Adam adam({&p}, o);
        p.grad[0] = 1;
        adam.step();  // L2 goes through Adam's normalization: 2 − 0.1·sign(1 + 1)
        EXPECT_NEAR(p.value[0], 1.9, 1e-6);
    }
}

TEST(Optimizer, BadHyperParametersAreUsageErrors) {
    Param p = makeParam({1});
    OptimizerOptions o;
    o.lr = -1;
    EXPECT_THROW(Sgd({&p}, o), UsageError);
    o.lr = 0.1f;
    o.momentum = 1.0f;
    EXPECT_THROW(Momentum({&p}, o), UsageError);
    EXPECT_THROW(makeOptimizer("rmsprop", {&p}, OptimizerOptions{}), UsageError);
}

// Large parameters are updated in pieces split over the threads: the same bits on one thread and
// on three, each element the update's formula (to the rounding of a fused multiply-add), and
// zeroGrad clears every gradient element.
TEST(Optimizer, LargeParametersSplitOverThreadsGiveTheSameBits) {
    const int n = 3 * 65536 + 7;
    OptimizerOptions o;
    o.lr = 0.1f;
    o.momentum = 0.9f;
    auto run = [&](const std::string& kind, int threads) {
        return stepsOnLargeParam(kind, threads, o, n);
    };
    // The formulas, element by element: v⁺ = g + β v, θ⁺ = θ − α v⁺ (momentum); θ⁺ = θ − α g.
    auto expected = [&](bool momentum) {
        Rng rng(5);
        std::vector<float> theta(n), v(n, 0.0f);
        for (int i = 0; i < n; ++i)
            theta[i] = rng.normal();
        for (int t = 0; t < 3; ++t) {
            for (int i = 0; i < n; ++i) {
                const float g = rng.normal();
                if (momentum) {
                    v[i] = g + 0.9f * v[i];
                    theta[i] -= 0.1f * v[i];
                } else {
                    theta[i] -= 0.1f * g;
                }
            }
        }
        return theta;
    };
    for (const char* kind : {"momentum", "sgd"}) {
        SCOPED_TRACE(kind);
        const std::vector<float> one = run(kind, 1), three = run(kind, 3);
        EXPECT_EQ(one, three);
        const std::vector<float> want = expected(std::string(kind) == "momentum");
        double worst = 0;
        for (int i = 0; i < n; ++i)
            worst = std::max(worst, static_cast<double>(std::fabs(one[i] - want[i])));
        EXPECT_LT(worst, 1e-5);  // values of order 1; a fused multiply-add here or there
    }
}

// Weight decay runs in the update's own pass, piece by piece (L2's gradient in a piece of scratch
// per thread): every optimizer and both decay modes give the same bits on 1, 2 and 3 threads, and
// SGD with L2 decay is θ⁺ = θ − α (g + λ θ) element by element.
TEST(Optimizer, WeightDecayInPiecesGivesTheSameBitsOnAnyThreads) {
    const int n = 2 * 65536 + 2048 * 3 + 5;
    for (WeightDecayMode mode : {WeightDecayMode::L2, WeightDecayMode::Decoupled}) {
        for (const char* kind : {"sgd", "momentum", "nesterov", "adam", "momentum_form1"}) {
            SCOPED_TRACE(std::string(kind) + (mode == WeightDecayMode::L2 ? " L2" : " decoupled"));
            OptimizerOptions o;
            o.lr = 0.05f;
            o.momentum = 0.9f;
            o.weightDecay = 0.3f;
            o.decayMode = mode;
            const std::vector<float> one = stepsOnLargeParam(kind, 1, o, n);
            EXPECT_EQ(one, stepsOnLargeParam(kind, 2, o, n));
            EXPECT_EQ(one, stepsOnLargeParam(kind, 3, o, n));
            o.weightDecay = 0.0f;
            // The decay changes every element: nothing was skipped.
            const std::vector<float> none = stepsOnLargeParam(kind, 2, o, n);
            int same = 0;
            for (int i = 0; i < n; ++i)
                same += one[i] == none[i];
            EXPECT_LT(same, n / 100);
            if (std::string(kind) != "sgd" || mode != WeightDecayMode::L2) continue;
            Rng rng(5);
            std::vector<double> theta(n);
            for (int i = 0; i < n; ++i)
                theta[i] = rng.normal();
            for (int t = 0; t < 3; ++t) {
                for (int i = 0; i < n; ++i)
                    theta[i] -= 0.05 * (rng.normal() + 0.3 * theta[i]);
            }
            double worst = 0;
            for (int i = 0; i < n; ++i)
                worst = std::max(worst, std::fabs(one[i] - theta[i]));
            EXPECT_LT(worst, 1e-5);
        }
    }
}

}  // namespace ll
