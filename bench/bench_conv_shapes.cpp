// The convolution kernels at the shapes where the presets spend their time (ResNet-20's first
// layer, three stages and downsampling layers, vgg-cifar's first layer (also at batch 8) and its
// 16×16, 4×4 and 2×2 layers, alexnet-mnist's 3×3 and 5×5 layers): forward, backward-weights,
// backward-data, each
// reported as GFLOP/s of the direct convolution (2 multiply-adds' worth per tap). Not a test: run
// by hand, e.g. build/bench/bench_conv_shapes --benchmark_repetitions=5
// --benchmark_report_aggregates_only=true. Args: threads,
// and 1 for the reference kernel set (im2col + GEMM) instead of the fast one.
#include <benchmark/benchmark.h>

#include "core/kernels.h"
#include "core/layers/conv_kernels.h"
#include "core/parallel.h"
#include "core/random.h"

namespace {

struct ConvShape {
    const char* name;
    int N, C, K, H;  // batch, input channels, output channels, square input size
    int S = 1;       // stride
    int KS = 3;      // kernel size
    int pad = 1;
};

constexpr ConvShape kShapes[] = {
    {"resnet20_stem_3to16x32x32", 128, 3, 16, 32},
    {"vgg_3to64x32x32_batch8", 8, 3, 64, 32},
    {"resnet20_s1_16x32x32", 128, 16, 16, 32},
    {"resnet20_s2_32x16x16", 128, 32, 32, 16},
    {"resnet20_s3_64x8x8", 128, 64, 64, 8},
    {"resnet20_down_16to32_s2", 128, 16, 32, 32, 2},
    {"resnet20_down_32to64_s2", 128, 32, 64, 16, 2},
    {"vgg_3to64x32x32", 32, 3, 64, 32},
    {"vgg_128x16x16", 32, 128, 128, 16},
    {"vgg_64to128x16x16", 32, 64, 128, 16},
    {"vgg_128to256x8x8", 32, 128, 256, 8},
    {"vgg_256x4x4", 32, 256, 256, 4},
    {"vgg_512x4x4", 32, 512, 512, 4},
    {"vgg_256to512x4x4", 32, 256, 512, 4},
    {"vgg_512x2x2", 32, 512, 512, 2},
    {"vgg_512x2x2_batch8", 8, 512, 512, 2},
    {"vgg_512x2x2_batch4", 4, 512, 512, 2},
    {"lenet5_c1_5x5", 100, 1, 6, 28, 1, 5, 2},
    {"lenet5_c3_5x5", 100, 6, 16, 14, 1, 5, 0},
    {"alexnet_mnist_conv2_3x3_valid", 64, 96, 96, 25, 1, 3, 0},
    {"alexnet_mnist_conv3_5x5", 64, 96, 256, 23, 1, 5, 2},
    {"alexnet_mnist_conv4_256x11x11", 64, 256, 384, 11},
};

ll::ConvGeometry geometry(const ConvShape& s) {
    ll::ConvGeometry g;
    g.C = s.C, g.H = s.H, g.W = s.H, g.K = s.K;
    g.Ho = g.Wo = ll::slidingOutputSize(s.H, s.KS, s.S, s.pad);
    g.kh = g.kw = s.KS;
    g.sh = g.sw = s.S;
    g.ph = g.pw = g.pb = g.pr = s.pad;
    return g;
}

double flops(const ConvShape& s) {
    const int out = ll::slidingOutputSize(s.H, s.KS, s.S, s.pad);
    return 2.0 * s.N * s.K * s.C * s.KS * s.KS * out * out;
}

std::vector<float> randomFloats(std::size_t n, std::uint64_t seed) {
    ll::Rng rng(seed);
    std::vector<float> v(n);
    for (float& f : v)
        f = rng.normal();
    return v;
}

enum class Pass { Forward, BackwardWeights, BackwardData };

void run(benchmark::State& state, const ConvShape& s, Pass pass) {
    ll::setNumThreads(static_cast<int>(state.range(0)));
    const ll::KernelSetScope kernels(state.range(1) ? ll::KernelSet::Reference
                                                    : ll::KernelSet::Fast);
    const ll::ConvGeometry g = geometry(s);
    const std::size_t xs = static_cast<std::size_t>(s.N) * s.C * s.H * s.H;
    const std::size_t ys = static_cast<std::size_t>(s.N) * s.K * g.Ho * g.Wo;
    const std::vector<float> x = randomFloats(xs, 1),
                             w = randomFloats(static_cast<std::size_t>(s.K) * s.C * s.KS * s.KS, 2),
                             dy = randomFloats(ys, 3);
    std::vector<float> y(ys), dW(w.size()), db(s.K), dx(xs);
    ll::ConvWorkspace ws;
    for (auto _ : state) {
        switch (pass) {
            case Pass::Forward:
                ll::convForward(g, s.N, x.data(), w.data(), nullptr, y.data());
                break;
            case Pass::BackwardWeights:
                ll::convBackward(g, s.N, x.data(), w.data(), dy.data(), dW.data(), db.data(),
                                 nullptr, ws);
                break;
            case Pass::BackwardData:
                ll::convBackward(g, s.N, x.data(), w.data(), dy.data(), dW.data(), db.data(),
                                 dx.data(), ws);
                break;
        }
        benchmark::ClobberMemory();
    }
    // Backward with dx does both GEMMs: count both.
    const double f = pass == Pass::BackwardData ? 2 * flops(s) : flops(s);
    state.counters["GFLOP/s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * f / 1e9, benchmark::Counter::kIsRate);
}

const int kRegistered = [] {
    for (const ConvShape& s : kShapes) {
        const std::string n = s.name;
        for (auto [suffix, pass] : {std::pair{"/forward", Pass::Forward},
                                    std::pair{"/backward_weights", Pass::BackwardWeights},
                                    std::pair{"/backward_all", Pass::BackwardData}}) {
            benchmark::RegisterBenchmark(
                (n + suffix).c_str(), [s, pass = pass](benchmark::State& st) { run(st, s, pass); })
                ->ArgNames({"threads", "reference"})
                ->ArgsProduct({{1, 2}, {0, 1}})
                ->UseRealTime()
                ->Unit(benchmark::kMillisecond);
        }
    }
    return 0;
}();

}  // namespace

BENCHMARK_MAIN();
