// Every preset trains bit-identically to the engine it was recorded with.
//
// tests/data/preset_trajectories.txt holds, for every compiled-in preset, the loss of a few
// training steps (hexadecimal floats: every bit) and a hash of all parameters and of the eval
// output afterwards, recorded before the graph engine replaced the sequence-only one. A change of
// the engine that alters a single bit of any preset's training fails here.
//
// To record again (only when a change of numbers is intended and explained in the commit):
//   LAYERLENS_RECORD_TRAJECTORIES=1 ./test_core --gtest_filter='PresetTrajectories.*'
#include "support/check.h"

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iostream>
#include <map>
#include <sstream>

#include "core/build_info.h"
#include "core/kernels.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/optimizer.h"

namespace ll {
namespace {

constexpr int kSteps = 3;
constexpr int kBatch = 2;

std::string trajectoryFile() {
    return std::string(LAYERLENS_TESTS_DIR) + "/data/preset_trajectories.txt";
}

std::uint64_t fnv1a(std::uint64_t h, const Tensor& t) {
    const auto* bytes = reinterpret_cast<const unsigned char*>(t.data());
    for (std::size_t i = 0; i < static_cast<std::size_t>(t.numel()) * sizeof(float); ++i) {
        h ^= bytes[i];
        h *= 0x100000001b3ULL;
    }
    return h;
}

std::string hexDouble(double v) {
    char buf[64];
    std::snprintf(buf, sizeof buf, "%a", v);
    return buf;
}

// Lines "<preset> loss<k> <hex>", "<preset> params <hash>", "<preset> output <hash>".
std::vector<std::string> record(const std::string& preset) {
    // The recording predates the fast kernels (direct 3×3 convolutions, vectorized batch-norm
    // sums), which sum in other orders: the reference set is the engine it was made with.
    KernelSetScope reference(KernelSet::Reference);
    ModelSpec spec;
    Net net = loadModel(preset, &spec);
    net.resetParameters(7);
    Rng rng(11);
    Tensor x(net.inputSample().batched(kBatch));
    for (float& v : x.vector())
        v = rng.uniform();
    const Shape out = net.outputShape(x.shape());
    // A net without a classifier (rf-demo ends in a feature map) trains on the projection
    // f = <y, target>: dz is the target itself.
    const bool projection = out.rank() != 2;
    auto loss = makeLoss(spec.defaults.loss);
    Tensor target;
    if (projection || spec.defaults.loss == "mse") {
        target = Tensor(out);
        for (float& v : target.vector())
            v = rng.uniform();
    } else {
        target = Tensor(Shape({kBatch}));
        for (float& v : target.vector()) {
            v = loss->signedLabels()
                    ? (rng.below(2) ? 1.0f : -1.0f)
                    : static_cast<float>(rng.below(static_cast<std::uint64_t>(out[1])));
        }
    }
    OptimizerOptions o;
    o.lr = spec.defaults.lr;
    o.momentum = spec.defaults.momentum;
    o.weightDecay = spec.defaults.weightDecay;
    auto opt = makeOptimizer(spec.defaults.optimizer, net.params(), o);
    std::vector<std::string> lines;
    Tensor dz;
    for (int s = 0; s < kSteps; ++s) {
        net.zeroGrad();
        const Tensor& z = net.forward(x, Mode::Train);
        double l = 0;
        if (projection) {
            for (std::int64_t i = 0; i < z.numel(); ++i)
                l += static_cast<double>(z.data()[i]) * target.data()[i];
            dz = target;
        } else {
            l = loss->forward(z, target);
            loss->backward(z, target, dz);
        }
        net.backward(dz);
        opt->step();
        lines.push_back(strCat(preset, " loss", s, " ", hexDouble(l)));
    }
    std::uint64_t h = 0xcbf29ce484222325ULL;
    for (Param* p : net.params())
        h = fnv1a(h, p->value);
    for (const NamedBuffer& b : net.namedBuffers())
        h = fnv1a(h, *b.tensor);
    lines.push_back(strCat(preset, " params ", h));
    lines.push_back(
        strCat(preset, " output ", fnv1a(0xcbf29ce484222325ULL, net.forward(x, Mode::Eval))));
    return lines;
}

// The build (type, target, GEMM) and the CPU: BLIS and -march=native pick code by CPU, and the
// optimization level decides which multiply-adds are fused, so bits compare only like for like.
std::string machineLine() {
    std::string line = "#";
    std::istringstream info(buildInfo());
    for (std::string l; std::getline(info, l);) {
        if (l.rfind("build type", 0) == 0 || l.rfind("compiled for", 0) == 0 ||
            l.rfind("convolution GEMM", 0) == 0)
            line += " " + l + ";";
    }
    std::ifstream cpu("/proc/cpuinfo");
    for (std::string l; std::getline(cpu, l);) {
        if (l.rfind("model name", 0) == 0) {
            line += " cpu" + l.substr(l.find(':'));
            break;
        }
    }
    return line;
}

TEST(PresetTrajectories, EveryPresetTrainsBitIdenticallyToTheRecording) {
    std::vector<std::string> now;
    for (const std::string& p : presetNames()) {
        if (p == "alexnet") continue;  // 61 M parameters at 224×224: alexnet-mnist covers it
        for (std::string& l : record(p))
            now.push_back(std::move(l));
    }
    // The recording names the code it was made with: BLIS picks its kernel by CPU, so the bits
    // are only comparable on the same kind of machine.
    const std::string machine = machineLine();
    if (std::getenv("LAYERLENS_RECORD_TRAJECTORIES")) {
        std::ofstream f(trajectoryFile());
        f << machine << "\n";
        for (const auto& l : now)
            f << l << "\n";
        GTEST_SKIP() << "recorded " << now.size() << " lines into " << trajectoryFile();
    }
    std::ifstream f(trajectoryFile());
    ASSERT_TRUE(f) << trajectoryFile();
    std::string header;
    std::getline(f, header);
    // Lines by preset: every recorded preset must train as recorded; presets added since are
    // listed (record again to include them).
    std::map<std::string, std::vector<std::string>> stored, current;
    for (std::string l; std::getline(f, l);)
        stored[l.substr(0, l.find(' '))].push_back(l);
    for (const std::string& l : now)
        current[l.substr(0, l.find(' '))].push_back(l);
    if (header != machine) {
        GTEST_SKIP() << "recorded on '" << header << "', this build is '" << machine
                     << "': bits are not comparable";
    }
    ASSERT_GE(stored.size(), 12u);
    for (const auto& [preset, lines] : stored) {
        ASSERT_TRUE(current.count(preset)) << "preset " << preset << " is gone";
        EXPECT_EQ(current[preset], lines) << preset;
    }
    for (const auto& kv : current)
        if (!stored.count(kv.first)) std::cout << "not recorded yet: " << kv.first << "\n";
}

}  // namespace
}  // namespace ll
