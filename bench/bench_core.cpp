// Forward+backward timings of the hot layers (Google Benchmark). Not a test: run it by hand,
// e.g. build/bench/bench_core --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "core/layers/conv2d.h"
#include "core/loss.h"
#include "core/model_file.h"
#include "core/parallel.h"

namespace {

void randomize(ll::Tensor& t, ll::Rng& rng) {
    for (std::int64_t i = 0; i < t.numel(); ++i)
        t[i] = rng.normal();
}

// One training step's math (forward, loss, backward) of LeNet-5 at batch 64.
void BM_LeNet5ForwardBackward(benchmark::State& state) {
    ll::setNumThreads(static_cast<int>(state.range(0)));
    ll::Net net = ll::loadModel("lenet5");
    net.resetParameters(1);
    ll::Rng rng(2);
    ll::Tensor x({64, 1, 28, 28}), y({64}), dz;
    randomize(x, rng);
    for (int i = 0; i < 64; ++i)
        y[i] = static_cast<float>(i % 10);
    ll::SoftmaxCrossEntropy ce;
    for (auto _ : state) {
        net.zeroGrad();
        const ll::Tensor& z = net.forward(x, ll::Mode::Train);
        benchmark::DoNotOptimize(ce.forward(z, y));
        ce.backward(z, y, dz);
        net.backward(dz);
    }
    state.SetItemsProcessed(state.iterations() * 64);
}
BENCHMARK(BM_LeNet5ForwardBackward)->Arg(1)->Arg(2)->UseRealTime()->Unit(benchmark::kMillisecond);

// A 3×3, 64→64 channel convolution on 32×32 inputs at batch 64, forward + backward (with dx).
void BM_Conv3x3x64ForwardBackward(benchmark::State& state) {
    ll::setNumThreads(static_cast<int>(state.range(0)));
    ll::Conv2d conv(64, 64, {3, 3, 1, 1, 1, 1});
    ll::Rng rng(3);
    conv.resetParameters(rng);
    ll::Tensor x({64, 64, 32, 32}), y, dx;
    randomize(x, rng);
    conv.forward(x, y, ll::Mode::Train);
    ll::Tensor dy(y.shape(), 0.01f);
    for (auto _ : state) {
        conv.forward(x, y, ll::Mode::Train);
        conv.backward(x, y, dy, &dx);
    }
    state.SetItemsProcessed(state.iterations() * 64);
    // 2·Cin·9·Cout·H·W FLOPs forward, twice that backward (dW and dx).
    state.counters["GFLOP/s"] = benchmark::Counter(
        static_cast<double>(state.iterations()) * 64 * 3 * 2.0 * 64 * 9 * 64 * 32 * 32 / 1e9,
        benchmark::Counter::kIsRate);
}
BENCHMARK(BM_Conv3x3x64ForwardBackward)
    ->Arg(1)
    ->Arg(2)
    ->UseRealTime()
    ->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
