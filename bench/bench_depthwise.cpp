// Depthwise against dense 3×3 convolution, time per FLOP (Google Benchmark). The depthwise
// kernels (core/layers/depthwise_kernels.h) do 1/C of a dense layer's arithmetic per output, so
// only FLOP rates compare: depthwise 3×3 over 96 channels against a dense 3×3 32→32 convolution,
// both at batch 32 on 32×32 maps, forward and backward (dx, dW and db) apart. Run it by hand:
//   build/bench/bench_depthwise --benchmark_min_time=0.5
// and compare the GFLOP/s counters (time per FLOP = 1 / rate).
#include <benchmark/benchmark.h>

#include "core/layers/conv2d.h"
#include "core/parallel.h"

namespace {

constexpr int kBatch = 32, kSize = 32;

struct Case {
    int cin, cout, groups;
};
constexpr Case kDepthwise{96, 96, 96};
constexpr Case kDense{32, 32, 1};

// 2 FLOPs (multiply, add) per product; (Cin/groups)·9 products per output.
double forwardFlops(const Case& c) {
    return 2.0 * (c.cin / c.groups) * 9 * c.cout * kSize * kSize * kBatch;
}

struct Setup {
    ll::Conv2d conv;
    ll::Tensor x, y, dy, dx;
    explicit Setup(const Case& c) : conv(c.cin, c.cout, {3, 3, 1, 1, 1, 1}, true, c.groups) {
        ll::Rng rng(3);
        conv.resetParameters(rng);
        x = ll::Tensor({kBatch, c.cin, kSize, kSize});
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = rng.normal();
        conv.forward(x, y, ll::Mode::Train);
        dy = ll::Tensor(y.shape(), 0.01f);
        conv.backward(x, y, dy, &dx);  // sizes dx and the gradients
    }
};

void forward(benchmark::State& state, const Case& c) {
    ll::setNumThreads(static_cast<int>(state.range(0)));
    Setup s(c);
    for (auto _ : state) {
        s.conv.forward(s.x, s.y, ll::Mode::Train);
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * forwardFlops(c) / 1e9,
                           benchmark::Counter::kIsRate);
}

// Backward: dx and dW each cost the forward's FLOPs (db is not counted).
void backward(benchmark::State& state, const Case& c) {
    ll::setNumThreads(static_cast<int>(state.range(0)));
    Setup s(c);
    for (auto _ : state) {
        s.conv.backward(s.x, s.y, s.dy, &s.dx);
        benchmark::ClobberMemory();
    }
    state.counters["GFLOP/s"] =
        benchmark::Counter(static_cast<double>(state.iterations()) * 2 * forwardFlops(c) / 1e9,
                           benchmark::Counter::kIsRate);
}

void BM_Depthwise3x3Forward(benchmark::State& state) {
    forward(state, kDepthwise);
}
void BM_Dense3x3Forward(benchmark::State& state) {
    forward(state, kDense);
}
void BM_Depthwise3x3Backward(benchmark::State& state) {
    backward(state, kDepthwise);
}
void BM_Dense3x3Backward(benchmark::State& state) {
    backward(state, kDense);
}
BENCHMARK(BM_Depthwise3x3Forward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dense3x3Forward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Depthwise3x3Backward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);
BENCHMARK(BM_Dense3x3Backward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
