// `layerlens bench`: steady-state training and inference throughput of a model on random data.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/args.h"
#include "app/cli.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/optimizer.h"
#include "core/parallel.h"

namespace ll::cli {

namespace {
using Clock = std::chrono::steady_clock;

// Median images/s over `rounds` timing rounds of at least `roundSeconds` each.
template <typename Step>
double medianThroughput(Step step, int batch, int rounds, double roundSeconds) {
    std::vector<double> rates;
    for (int r = 0; r < rounds; ++r) {
        int iters = 0;
        const auto t0 = Clock::now();
        double elapsed = 0;
        do {
            step();
            ++iters;
            elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
        } while (elapsed < roundSeconds);
        rates.push_back(iters * batch / elapsed);
    }
    std::sort(rates.begin(), rates.end());
    return rates[rates.size() / 2];
}
}  // namespace

Command benchCommand() {
    Command c;
    c.name = "bench";
    c.synopsis = "--model NAME|FILE [OPTIONS]";
    c.summary = "steady-state training and inference images/s of a model on random data";
    c.description =
        "Times training steps and inference passes on random data after a warm-up;\n"
        "prints the median images/s of the timing rounds.\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW", "height and width of an ONNX model whose input size is dynamic"},
        {"batch", "B", "batch size (default: the model's)"},
        {"threads", "T", "threads (default 0: all cores)"},
        {"format", "text|json", "output format (default text)"},
        {"rounds", "R", "timing rounds (default 5)"},
        {"seconds", "S", "length of each round in seconds (default 1)"},
    };
    return c;
}

int bench(const Args& args, std::ostream& out) {
    if (!args.has("model")) throw UsageError("--model is required");
    ModelSpec spec;
    Net net = loadModel(args.str("model"), &spec);
    const int batch = args.integer("batch", spec.defaults.batch, 1, 1 << 16);
    setNumThreads(args.integer("threads", 0, 0, 256));
    const std::string format = args.str("format", "text");
    if (format != "text" && format != "json") throw UsageError("--format must be text or json");
    const int rounds = args.integer("rounds", 5, 1, 1000);
    const double roundSeconds = args.number("seconds", 1.0, 0.01, 600);

    net.resetParameters(1);
    Rng rng(2);
    Tensor x(net.inputSample().batched(batch)), y({batch}), dz;
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = rng.normal();
    auto loss = makeLoss(spec.defaults.loss);
    const int classes = net.outputSample()[1];
    for (int i = 0; i < batch; ++i)
        y[i] = loss->signedLabels() ? (i % 2 ? 1.0f : -1.0f) : static_cast<float>(i % classes);
    OptimizerOptions oo;
    oo.lr = 1e-4f;  // small: keeps the weights sane over many steps on random data
    auto opt = makeOptimizer(spec.defaults.optimizer, net.params(), oo);

    auto trainStep = [&] {
        net.zeroGrad();
        const Tensor& z = net.forward(x, Mode::Train);
        loss->forward(z, y);
        loss->backward(z, y, dz);
        net.backward(dz);
        opt->step();
    };
    auto inferStep = [&] { net.infer(x); };
    for (int i = 0; i < 3; ++i)
        trainStep();  // warm-up: sizes buffers, faults pages in
    const double train = medianThroughput(trainStep, batch, rounds, roundSeconds);
    inferStep();
    const double infer = medianThroughput(inferStep, batch, rounds, roundSeconds);
    if (format == "json") {
        nlohmann::json j = {{"model", net.name()},
                            {"batch", batch},
                            {"threads", numThreads()},
                            {"train_images_per_s", train},
                            {"infer_images_per_s", infer}};
        out << j.dump() << "\n";
    } else {
        char line[256];
        std::snprintf(
            line, sizeof line,
            "%s batch %d threads %d: train %.1f images/s, inference %.1f images/s (median of %d)\n",
            net.name().c_str(), batch, numThreads(), train, infer, rounds);
        out << line;
    }
    return 0;
}

}  // namespace ll::cli
