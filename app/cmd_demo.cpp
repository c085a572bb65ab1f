// `layerlens demo`: the numerical heart at work, in numbers a reader can check.
#include <cstdio>
#include <memory>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/analysis/grad_check.h"
#include "core/layers/avg_pool2d.h"
#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/dropout.h"
#include "core/layers/flatten.h"
#include "core/layers/linear.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/relu.h"
#include "core/layers/sigmoid.h"
#include "core/layers/sparse_conv2d.h"
#include "core/layers/tanh.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/optimizer.h"

namespace ll::cli {

namespace {

struct Case {
    std::unique_ptr<Layer> layer;
    Shape input;
};

std::vector<Case> demoCases() {
    std::vector<Case> c;
    c.push_back({std::make_unique<Linear>(7, 5), {3, 7}});
    c.push_back({std::make_unique<Conv2d>(3, 4, Window2d{3, 2, 2, 1, 1, 0}), {2, 3, 7, 6}});
    c.push_back({std::make_unique<SparseConv2d>(6, 16, Window2d{5, 5, 1, 1, 0, 0},
                                                SparseConv2d::lenetC3Table()),
                 {1, 6, 7, 7}});
    c.push_back({std::make_unique<MaxPool2d>(Window2d{3, 3, 2, 2, 1, 1}), {2, 2, 7, 7}});
    c.push_back({std::make_unique<AvgPool2d>(Window2d{2, 2, 2, 2, 0, 0}), {2, 3, 6, 6}});
    c.push_back({std::make_unique<ReLU>(), {2, 3, 4, 4}});
    c.push_back({std::make_unique<Sigmoid>(), {4, 6}});
    c.push_back({std::make_unique<Tanh>(), {4, 6}});
    c.push_back({std::make_unique<Dropout>(0.3f), {4, 6}});
    c.push_back({std::make_unique<BatchNorm1d>(5), {6, 5}});
    c.push_back({std::make_unique<BatchNorm2d>(3), {4, 3, 3, 3}});
    c.push_back({std::make_unique<Flatten>(), {2, 3, 2, 2}});
    return c;
}

}  // namespace

Command demoCommand() {
    Command c;
    c.name = "demo";
    c.synopsis = "[--seed S]";
    c.summary =
        "gradient-check every layer type and LeNet-5, then overfit one batch (prints numbers)";
    c.description =
        "Prints LeNet-5's parameter counts, the relative error of every layer's and loss's\n"
        "backward pass against central differences, and LeNet-5 overfitting one batch with "
        "Adam.\nExits 1 if a gradient check fails.\n";
    c.options = {{"seed", "S", "seed of the random inputs and weights (default 1)"}};
    return c;
}

int demo(const Args& args, std::ostream& out) {
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 1 << 30));
    char line[256];

    out << "== Parameter counts (LeCun et al. 1998; course LeNet-5) ==\n";
    for (const char* name : {"lenet5", "lenet5-c3"}) {
        Net net = loadModel(name);
        out << "  " << name << ": " << net.numParams() << " parameters\n";
    }

    out << "\n== Gradient check: analytic backward vs central differences (relative error) ==\n";
    GradCheckOptions opt;
    opt.seed = seed;
    int failures = 0;
    for (Case& c : demoCases()) {
        Rng rng(seed);
        c.layer->resetParameters(rng);
        c.layer->setName("demo");
        const GradCheckResult r = checkLayerGradients(*c.layer, c.input, opt);
        const bool ok = r.passed(opt.tolerance);
        failures += !ok;
        std::snprintf(line, sizeof line,
                      "  %-13s input %-16s max rel. error %.2e  (%3d probes, %d kinks)  %s\n",
                      c.layer->type(), c.input.str().c_str(), r.maxError, r.checked, r.skipped,
                      ok ? "ok" : "FAIL");
        out << line;
    }
    for (auto& lossName : {"cross_entropy", "mse", "logistic", "non_ce"}) {
        auto loss = makeLoss(lossName);
        Rng rng(seed);
        const bool binary = loss->signedLabels();
        const bool regression = std::string(lossName) == "mse";
        Tensor z({5, binary ? 1 : 4});
        for (std::int64_t i = 0; i < z.numel(); ++i)
            z[i] = rng.normal() * 2.0f;
        Tensor t(regression ? z.shape() : Shape{5});
        for (std::int64_t i = 0; i < t.numel(); ++i) {
            t[i] = binary       ? (rng.uniform() < 0.5f ? -1.0f : 1.0f)
                   : regression ? rng.normal()
                                : static_cast<float>(rng.below(4));
        }
        const GradCheckResult r = checkLossGradients(*loss, z, t, opt);
        const bool ok = r.passed(opt.tolerance);
        failures += !ok;
        std::snprintf(line, sizeof line, "  loss %-13s max rel. error %.2e  (%3d probes)  %s\n",
                      lossName, r.maxError, r.checked, ok ? "ok" : "FAIL");
        out << line;
    }
    {
        Net net = loadModel("lenet5");
        net.resetParameters(seed);
        Rng rng(seed);
        Tensor x({2, 1, 28, 28});
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = rng.normal();
        Tensor y({2}, std::vector<float>{3.0f, 7.0f});
        SoftmaxCrossEntropy ce;
        const GradCheckResult r = checkNetGradients(net, ce, x, y, opt);
        const bool ok = r.passed(opt.tolerance);
        failures += !ok;
        std::snprintf(line, sizeof line,
                      "  whole LeNet-5 (batch 2)   max rel. error %.2e  (%d probes)  %s\n",
                      r.maxError, r.checked, ok ? "ok" : "FAIL");
        out << line;
    }

    out << "\n== Overfitting one batch of 16 random 28x28 images with LeNet-5 and Adam ==\n";
    {
        Net net = loadModel("lenet5");
        net.resetParameters(seed);
        Rng rng(seed + 1);
        Tensor x({16, 1, 28, 28});
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = rng.normal();
        Tensor y({16});
        for (int i = 0; i < 16; ++i)
            y[i] = static_cast<float>(i % 10);
        SoftmaxCrossEntropy ce;
        OptimizerOptions oo;
        oo.lr = 0.002f;
        Adam adam(net.params(), oo);
        Tensor dz;
        double loss = 0;
        for (int step = 0; step <= 200; ++step) {
            net.zeroGrad();
            const Tensor& z = net.forward(x, Mode::Train);
            loss = ce.forward(z, y);
            if (step % 40 == 0) {
                std::snprintf(line, sizeof line, "  step %3d  loss %.6f  accuracy %2d/16\n", step,
                              loss, countCorrect(z, y));
                out << line;
            }
            ce.backward(z, y, dz);
            net.backward(dz);
            adam.step();
        }
    }
    out << (failures ? "\nSome gradient checks FAILED.\n" : "\nAll gradient checks passed.\n");
    return failures ? 1 : 0;
}

}  // namespace ll::cli
