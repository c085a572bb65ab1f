// `layerlens bench`: steady-state training and inference throughput of a model on random data.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <functional>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/args.h"
#include "app/cli.h"
#include "core/fma_peak.h"
#include "core/kernels.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/optimizer.h"
#include "core/parallel.h"

namespace ll::cli {

namespace {
using Clock = std::chrono::steady_clock;

// The median of v (not empty); v is reordered.
double median(std::vector<double>& v) {
    std::nth_element(v.begin(), v.begin() + static_cast<std::ptrdiff_t>(v.size() / 2), v.end());
    return v[v.size() / 2];
}

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
    return median(rates);
}

double secondsOf(const std::function<void()>& f) {
    const auto t0 = Clock::now();
    f();
    return std::chrono::duration<double>(Clock::now() - t0).count();
}

// Runs `step` at least 3 times and for at least `seconds`; returns how many times.
int repeatFor(const std::function<void()>& step, double seconds) {
    int n = 0;
    const auto t0 = Clock::now();
    do {
        step();
        ++n;
    } while (n < 3 || std::chrono::duration<double>(Clock::now() - t0).count() < seconds);
    return n;
}

// One node's times (seconds per batch) and its direct multiply-adds per sample.
struct NodeProfile {
    std::string name, type;
    std::int64_t macs = 0;
    double infer = 0, forward = 0, backward = 0;
    // The layer's backward pass timed alone, repeated on the step's tensors: without the input
    // gradient, and with it (-1: not timed).
    double weights = -1, whole = -1;
    // The step's backward time split into the weights' part and the data's, in the ratio of the
    // two passes timed alone. (Timed alone, the inputs and dy stay in the caches; within the step
    // they come in cold, and the split must not charge that to one of the two.)
    double weightsPart() const {
        return whole > 0 ? backward * std::min(1.0, weights / whole) : weights;
    }
    double dataPart() const { return std::max(0.0, backward - weightsPart()); }
};

// Per-node times of inference and of training steps, and of each weighted layer's backward pass
// alone, without and with its input gradient (NodeProfile splits the step's backward time by
// them), measured one after the other. Each is the median over the passes run: on a shared
// machine one slow pass (another tenant's burst) moved a layer's mean by as much as half. The
// numbers of inference and training passes the medians are taken over go to `passes`.
std::vector<NodeProfile> profileNodes(Net& net, const Tensor& x,
                                      const std::function<void()>& trainStep, double seconds,
                                      int (&passes)[2]) {
    std::vector<NodeProfile> rows(static_cast<std::size_t>(net.size()));
    const std::vector<Shape> outs = net.outputShapes();
    for (int i = 0; i < net.size(); ++i) {
        NodeProfile& r = rows[static_cast<std::size_t>(i)];
        const Layer& l = net.layer(i);
        r.name = l.name();
        r.type = l.type();
        std::vector<Shape> in;
        for (int j : net.inputsOf(i))
            in.push_back(j < 0 ? net.inputSample().batched(1) : outs[static_cast<std::size_t>(j)]);
        r.macs = l.cost(in, outs[static_cast<std::size_t>(i)]).multiplications;
    }
    // samples[p][i]: node i's times in pass p (0 infer, 1 forward, 2 backward), one per step.
    std::vector<std::vector<double>> samples[3];
    for (auto& s : samples)
        s.resize(rows.size());
    NodeTimes t;
    // Runs `step` with the net profiling into a fresh t, then keeps each node's times.
    const auto profiled = [&](const std::function<void()>& step, bool training) {
        t = NodeTimes();
        net.setProfile(&t);
        step();
        net.setProfile(nullptr);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            samples[training ? 1 : 0][i].push_back(t.forward[i]);
            if (training) samples[2][i].push_back(t.backward[i]);
        }
    };
    passes[0] = repeatFor([&] { profiled([&] { net.infer(x); }, false); }, seconds);
    trainStep();  // infer() released the activations: reallocate them outside the timing
    passes[1] = repeatFor([&] { profiled(trainStep, true); }, seconds);
    for (std::size_t i = 0; i < rows.size(); ++i) {
        rows[i].infer = median(samples[0][i]);
        rows[i].forward = median(samples[1][i]);
        rows[i].backward = median(samples[2][i]);
    }
    // One more step, retaining every node's gradient, for the weights-only backward passes.
    net.retainGradients(true);
    trainStep();
    net.retainGradients(false);
    for (int i = 0; i < net.size(); ++i) {
        NodeProfile& r = rows[static_cast<std::size_t>(i)];
        Layer& l = net.layer(i);
        if (r.macs == 0 || net.inputsOf(i).size() != 1 || l.params().empty()) continue;
        if (net.inputsOf(i)[0] < 0) continue;  // reads the input: backward is weights-only already
        const Tensor &in = net.inputOf(i), &y = net.activation(i), &dy = net.activationGrad(i);
        std::vector<double> times;
        repeatFor([&] { times.push_back(secondsOf([&] { l.backward(in, y, dy, nullptr); })); },
                  seconds / net.size());
        r.weights = median(times);
        Tensor dx(in.shape());
        times.clear();
        repeatFor([&] { times.push_back(secondsOf([&] { l.backward(in, y, dy, &dx); })); },
                  seconds / net.size());
        r.whole = median(times);
    }
    return rows;
}

// "123.4 (27%)": GFLOP/s of `flops` in `seconds` and its share of the peak; "-" for no time.
std::string rateCell(double flops, double seconds, double peak) {
    if (seconds <= 0 || flops <= 0) return "-";
    const double g = flops / seconds / 1e9;
    char buf[64];
    std::snprintf(buf, sizeof buf, "%.1f (%.0f%%)", g, 100 * g / peak);
    return buf;
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
        kernelsOption(),
        {"format", "text|json", "output format (default text)"},
        {"rounds", "R", "timing rounds (default 5)"},
        {"seconds", "S", "length of each round in seconds (default 1)"},
        {"per-layer", "",
         "also each node's time per batch (inference, training forward, backward, and for\n"
         "convolutions and linear layers backward-data and backward-weights) and GFLOP/s as a\n"
         "fraction of the machine's fp32 FMA peak (measured first, on the same threads); FLOPs\n"
         "are 2 x the direct multiply-adds, so a faster algorithm can show more than 100%"},
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
    const bool perLayer = args.has("per-layer");
    FmaPeak peak;
    std::vector<NodeProfile> rows;
    int passes[2] = {0, 0};  // inference and training passes profiled
    if (perLayer) {
        peak = measureFmaPeak(numThreads(), 0.5);
        rows = profileNodes(net, x, trainStep, roundSeconds, passes);
    }
    std::int64_t macs = 0;  // per sample, the whole net
    for (const NodeProfile& r : rows)
        macs += r.macs;
    // Whole-pass FLOPs per batch: 2·MACs forward, twice that backward (data and weights).
    const double fwdFlops = 2.0 * static_cast<double>(macs) * batch;
    if (format == "json") {
        nlohmann::json j = {{"model", net.name()},         {"batch", batch},
                            {"threads", numThreads()},     {"kernels", kernelSetName(kernelSet())},
                            {"train_images_per_s", train}, {"infer_images_per_s", infer}};
        if (perLayer) {
            j["fma_peak_gflops"] = peak.gflops;
            // Each node's times are medians over this many passes (profileNodes).
            j["per_layer_statistic"] = "median";
            j["per_layer_infer_passes"] = passes[0];
            j["per_layer_train_passes"] = passes[1];
            j["train_gflops"] = 3 * fwdFlops * train / batch / 1e9;
            j["infer_gflops"] = fwdFlops * infer / batch / 1e9;
            nlohmann::json layers = nlohmann::json::array();
            for (const NodeProfile& r : rows) {
                nlohmann::json l = {{"name", r.name},
                                    {"type", r.type},
                                    {"macs", r.macs},
                                    {"infer_ms", 1e3 * r.infer},
                                    {"forward_ms", 1e3 * r.forward},
                                    {"backward_ms", 1e3 * r.backward}};
                if (r.weights >= 0) {
                    l["backward_weights_ms"] = 1e3 * r.weightsPart();
                    l["backward_data_ms"] = 1e3 * r.dataPart();
                    l["alone_backward_weights_ms"] = 1e3 * r.weights;
                    l["alone_backward_ms"] = 1e3 * r.whole;
                }
                layers.push_back(l);
            }
            j["per_layer"] = layers;
        }
        out << j.dump() << "\n";
        return 0;
    }
    {
        char line[256];
        std::snprintf(
            line, sizeof line,
            "%s batch %d threads %d (%s kernels): train %.1f images/s, inference %.1f images/s "
            "(median of %d)\n",
            net.name().c_str(), batch, numThreads(), kernelSetName(kernelSet()), train, infer,
            rounds);
        out << line;
    }
    if (!perLayer) return 0;
    char line[512];
    std::snprintf(
        line, sizeof line,
        "\nper node: ms per batch of %d (median of %d inference and %d training passes); GFLOP/s "
        "(share of the fp32 FMA peak, %.1f "
        "GFLOP/s on %d threads, %s)\n"
        "of 2 x the direct multiply-adds; backward-data and backward-weights split the "
        "step's backward\ntime in the ratio of the layer's backward timed alone, "
        "without and with dx\n",
        batch, passes[0], passes[1], peak.gflops, peak.threads, peak.isa);
    out << line;
    std::snprintf(line, sizeof line, "%-18s %-16s %8s %8s %8s  %-14s %-14s %-14s %-14s\n", "node",
                  "type", "infer", "forward", "backward", "infer", "forward", "bwd-data",
                  "bwd-weights");
    out << line;
    double sumInfer = 0, sumFwd = 0, sumBwd = 0;
    for (const NodeProfile& r : rows) {
        sumInfer += r.infer;
        sumFwd += r.forward;
        sumBwd += r.backward;
        const double f = 2.0 * static_cast<double>(r.macs) * batch;
        const bool split = r.weights >= 0;
        std::snprintf(
            line, sizeof line, "%-18.18s %-16.16s %8.3f %8.3f %8.3f  %-14s %-14s %-14s %-14s\n",
            r.name.c_str(), r.type.c_str(), 1e3 * r.infer, 1e3 * r.forward, 1e3 * r.backward,
            rateCell(f, r.infer, peak.gflops).c_str(), rateCell(f, r.forward, peak.gflops).c_str(),
            split ? rateCell(f, r.dataPart(), peak.gflops).c_str() : "-",
            rateCell(f, split ? r.weightsPart() : r.backward, peak.gflops).c_str());
        out << line;
    }
    std::snprintf(line, sizeof line, "%-18s %-16s %8.3f %8.3f %8.3f  %-14s %-14s\n", "all nodes",
                  "", 1e3 * sumInfer, 1e3 * sumFwd, 1e3 * sumBwd,
                  rateCell(fwdFlops, sumInfer, peak.gflops).c_str(),
                  rateCell(fwdFlops, sumFwd, peak.gflops).c_str());
    out << line;
    std::snprintf(line, sizeof line, "whole training step (median rate above): %s; inference: %s\n",
                  rateCell(3 * fwdFlops, batch / train, peak.gflops).c_str(),
                  rateCell(fwdFlops, batch / infer, peak.gflops).c_str());
    out << line;
    return 0;
}

}  // namespace ll::cli
