#include "support/check.h"

#include <cmath>

#include "core/layers/conv2d.h"
#include "core/layers/flatten.h"
#include "core/layers/linear.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/relu.h"
#include "core/layers/sigmoid.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/net.h"
#include "core/optimizer.h"

namespace ll {

TEST(Net, LeNet5ParameterCountsFromTheLiterature) {
    Net full = loadModel("lenet5");
    EXPECT_EQ(full.numParams(), 61706);
    // Per layer: C1 6·25+6, C3 16·6·25+16, F5 400·120+120, F6 120·84+84, output 84·10+10.
    EXPECT_EQ(full.layer(full.indexOf("c1")).numParams(), 156);
    EXPECT_EQ(full.layer(full.indexOf("c3")).numParams(), 2416);
    EXPECT_EQ(full.layer(full.indexOf("f5")).numParams(), 48120);
    EXPECT_EQ(full.layer(full.indexOf("f6")).numParams(), 10164);
    EXPECT_EQ(full.layer(full.indexOf("output")).numParams(), 850);
    Net sparse = loadModel("lenet5-c3");
    EXPECT_EQ(sparse.numParams(), 60806);
    EXPECT_EQ(sparse.layer(sparse.indexOf("c3")).numParams(), 1516);
    EXPECT_EQ(full.outputSample(), Shape({1, 10}));
}

// Gradients cost memory only once something needs them: a net built to be looked at (a cost
// table, inference) has none; the first backward pass or an optimizer allocates them (zero).
TEST(Net, GradientsAreAllocatedWhenNeeded) {
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    for (Param* p : net.params())
        EXPECT_EQ(p->grad.numel(), 0) << p->name;
    Tensor x({2, 1, 28, 28}, 0.5f);
    net.forward(x, Mode::Eval);  // inference needs no gradients
    for (Param* p : net.params())
        EXPECT_EQ(p->grad.numel(), 0) << p->name;
    Tensor dOut(net.output().shape(), 1.0f);
    net.backward(dOut);
    std::int64_t total = 0;
    for (Param* p : net.params()) {
        EXPECT_EQ(p->grad.shape(), p->value.shape()) << p->name;
        total += p->grad.numel();
    }
    EXPECT_EQ(total, net.numParams());
    EXPECT_GT(net.params().back()->grad.sumSquares(), 0.0);
    Net other = loadModel("lenet5");
    const std::vector<Param*> ps = other.params();
    Sgd sgd(ps, OptimizerOptions{});
    for (Param* p : ps) {
        EXPECT_EQ(p->grad.shape(), p->value.shape()) << p->name;
        EXPECT_EQ(p->grad.sumSquares(), 0.0) << p->name;
    }
}

TEST(Net, KeepsEveryActivationForInspection) {
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    Tensor x({3, 1, 28, 28}, 0.5f);
    net.forward(x, Mode::Eval);
    const auto shapes = net.outputShapes();
    for (int i = 0; i < net.size(); ++i) {
        EXPECT_EQ(net.activation(i).shape(), shapes[static_cast<std::size_t>(i)].withBatch(3))
            << net.layer(i).name();
    }
    EXPECT_EQ(net.activation(0).shape(), Shape({3, 6, 28, 28}));
    EXPECT_EQ(&net.output(), &net.activation(net.size() - 1));
}

TEST(Net, WholeLeNet5GradientCheck) {
    for (const char* name : {"lenet5", "lenet5-c3"}) {
        Net net = loadModel(name);
        net.resetParameters(3);
        Rng rng(4);
        Tensor x({2, 1, 28, 28});
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = rng.normal();
        SoftmaxCrossEntropy ce;
        GradCheckOptions o;
        o.maxProbes = 12;
        const GradCheckResult r = checkNetGradients(net, ce, x, Tensor({2}, {3, 8}), o);
        EXPECT_TRUE(r.passed(o.tolerance)) << name << ": " << r.str();
        EXPECT_GT(r.checked, 100);
    }
}

// The 4-4-4-4-4-1 sigmoid MLP with squared error, differentiated by hand in double: δ at the
// output is dL/dz = 2(z − t)/N; going down, δ_l = (W_{l+1}ᵀ δ_{l+1}) ⊙ σ'(a_l) with σ' = s(1 − s);
// dW_l = δ_l h_{l−1}ᵀ, db_l = δ_l.
TEST(Net, SigmoidMlpHandDerivedGradientsAndVanishing) {
    Net net("sigmoid-mlp-4", {4});
    const int widths[] = {4, 4, 4, 4, 4, 1};
    for (int l = 0; l < 5; ++l) {
        net.emplace<Linear>(widths[l], widths[l + 1]);
        if (l < 4) net.emplace<Sigmoid>();
    }
    net.resetParameters(7);
    Rng rng(8);
    const int N = 3;
    Tensor x({N, 4}), t({N, 1});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t[i] = rng.normal();

    MeanSquaredError mse;
    net.zeroGrad();
    Tensor dz;
    mse.backward(net.forward(x, Mode::Train), t, dz);
    net.backward(dz);

    // Hand-derived backprop in double.
    std::vector<Linear*> fcs;
    for (int i = 0; i < net.size(); ++i) {
        if (auto* fc = dynamic_cast<Linear*>(&net.layer(i))) fcs.push_back(fc);
    }
    ASSERT_EQ(fcs.size(), 5u);
    using Mat = Eigen::MatrixXd;
    std::vector<Mat> h(6);  // h[0] = x (4, N), h[l] = layer-l output (columns are samples)
    h[0] = x.matrix(N, 4).cast<double>().transpose();
    for (int l = 0; l < 5; ++l) {
        Mat W = fcs[static_cast<std::size_t>(l)]
                    ->weight()
                    .value.matrix(widths[l + 1], widths[l])
                    .cast<double>();
        Eigen::VectorXd b = fcs[static_cast<std::size_t>(l)]->bias().value.vector().cast<double>();
        Mat a = (W * h[static_cast<std::size_t>(l)]).colwise() + b;
        h[static_cast<std::size_t>(l + 1)] = l < 4 ? Mat((1.0 + (-a.array()).exp()).inverse()) : a;
    }
    Mat delta = 2.0 * (h[5] - t.matrix(N, 1).cast<double>().transpose()) / N;
    std::vector<double> normW(5);
    for (int l = 4; l >= 0; --l) {
        const auto u = static_cast<std::size_t>(l);
        const Mat dW = delta * h[u].transpose();
        const Eigen::VectorXd db = delta.rowwise().sum();
        const Mat got = fcs[u]->weight().grad.matrix(widths[l + 1], widths[l]).cast<double>();
        EXPECT_LT((got - dW).cwiseAbs().maxCoeff(), 1e-6 * std::max(1.0, dW.cwiseAbs().maxCoeff()))
            << "layer " << l;
        EXPECT_LT((fcs[u]->bias().grad.vector().cast<double>() - db).cwiseAbs().maxCoeff(), 1e-6)
            << "layer " << l;
        normW[u] = dW.norm();
        if (l > 0) {
            Mat W = fcs[u]->weight().value.matrix(widths[l + 1], widths[l]).cast<double>();
            const Mat s = h[u];
            delta = ((W.transpose() * delta).array() * s.array() * (1.0 - s.array())).matrix();
        }
    }
    // Finite differences agree with the Net's backward pass as well.
    GradCheckOptions o;
    o.maxProbes = 100;
    const GradCheckResult r = checkNetGradients(net, mse, x, t, o);
    EXPECT_TRUE(r.passed(o.tolerance)) << r.str();
    // Vanishing gradients: each sigmoid multiplies δ by at most 1/4 (times weights of size
    // ~1/sqrt(4)), so the first layer's gradient is far smaller than the last one's.
    const double ratio = normW[0] / normW[4];
    EXPECT_LT(ratio, 0.01) << "first/last gradient norm ratio " << ratio;
    for (int l = 0; l < 4; ++l)
        EXPECT_LT(normW[static_cast<std::size_t>(l)], normW[static_cast<std::size_t>(l + 1)])
            << "layer " << l;
}

TEST(Net, TinyCnnOverfitsOneBatch) {
    Net net("tiny", {1, 8, 8});
    net.emplace<Conv2d>(1, 8, Window2d{3, 3, 1, 1, 1, 1});
    net.emplace<ReLU>();
    net.emplace<MaxPool2d>(Window2d{2, 2, 2, 2, 0, 0});
    net.emplace<Flatten>();
    net.emplace<Linear>(8 * 16, 10);
    net.resetParameters(1);
    Rng rng(2);
    Tensor x({16, 1, 8, 8}), y({16});
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    for (int i = 0; i < 16; ++i)
        y[i] = static_cast<float>(rng.below(10));
    SoftmaxCrossEntropy ce;
    OptimizerOptions o;
    o.lr = 0.01f;
    Adam adam(net.params(), o);
    Tensor dz;
    double first = 0, loss = 0;
    for (int step = 0; step < 500; ++step) {
        adam.zeroGrad();
        loss = ce.forward(net.forward(x, Mode::Train), y);
        if (step == 0) first = loss;
        if (loss < 1e-3) break;
        ce.backward(net.output(), y, dz);
        net.backward(dz);
        adam.step();
    }
    EXPECT_GT(first, 1.5);
    EXPECT_LT(loss, 1e-3);
    EXPECT_EQ(countCorrect(net.output(), y), 16);
}

TEST(Net, BadInputsGiveTypedErrorsNamingLayerAndShapes) {
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    try {
        net.forward(Tensor({2, 3, 28, 28}), Mode::Eval);
        FAIL() << "expected ShapeError";
    } catch (const ShapeError& e) {
        const std::string msg = e.what();
        EXPECT_NE(msg.find("'c1'"), std::string::npos) << msg;
        EXPECT_NE(msg.find("(2, 3, 28, 28)"), std::string::npos) << msg;
    }
    EXPECT_THROW(net.forward(Tensor({0, 1, 28, 28}), Mode::Eval), ShapeError);
    EXPECT_THROW(net.forward(Tensor(), Mode::Eval), ShapeError);

    // A Linear of the wrong width is refused when the net is built.
    Net bad("bad", {1, 28, 28});
    bad.emplace<Flatten>();
    try {
        bad.emplace<Linear>(400, 10);
        FAIL() << "expected ShapeError";
    } catch (const ShapeError& e) {
        EXPECT_NE(std::string(e.what()).find("784"), std::string::npos) << e.what();
        EXPECT_NE(std::string(e.what()).find("fc1"), std::string::npos) << e.what();
    }
    EXPECT_EQ(bad.size(), 1);  // the refused layer was not added

    Net empty("empty", {4});
    EXPECT_THROW(empty.forward(Tensor({1, 4}), Mode::Eval), ModelError);
    Net dup("dup", {4});
    dup.emplace<Linear>(4, 4).setName("a");
    auto l = std::make_unique<Linear>(4, 4);
    l->setName("a");
    EXPECT_THROW(dup.add(std::move(l)), ModelError);
}

TEST(Net, SeededInitializationIsDeterministic) {
    Net a = loadModel("lenet5"), b = loadModel("lenet5"), c = loadModel("lenet5");
    a.resetParameters(42);
    b.resetParameters(42);
    c.resetParameters(43);
    auto pa = a.params(), pb = b.params(), pc = c.params();
    EXPECT_EQ(pa[0]->value.values(), pb[0]->value.values());
    EXPECT_NE(pa[0]->value.values(), pc[0]->value.values());
    EXPECT_EQ(pa.back()->value.values(), pb.back()->value.values());
}

}  // namespace ll
