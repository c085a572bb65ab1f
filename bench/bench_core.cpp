// Forward+backward timings of the hot layers (Google Benchmark). Not a test: run it by hand,
// e.g. build/bench/bench_core --benchmark_repetitions=5 --benchmark_report_aggregates_only=true
#include <benchmark/benchmark.h>

#include "core/layers/add.h"
#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/relu.h"
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

// The memory-bound layers at ResNet-20's first stage (batch 128, 16 × 32 × 32: 8 MB a tensor)
// and vgg-cifar's first block (batch 32, 64 × 32 × 32), 2 threads. Bytes counted as the tensors
// each pass must read and write once (batch norm's forward: x twice, y once; backward: x and dy
// twice, dx once), so the rate shows how close a pass runs to the memory's speed.
const ll::Shape kMemShapes[] = {{128, 16, 32, 32}, {32, 64, 32, 32}};

// 2 threads for one benchmark, then the count before.
struct TwoThreads {
    int before = ll::numThreads();
    TwoThreads() { ll::setNumThreads(2); }
    ~TwoThreads() { ll::setNumThreads(before); }
};

void setBytes(benchmark::State& state, const ll::Tensor& t, int tensorPasses) {
    state.SetBytesProcessed(state.iterations() * t.numel() * 4 * tensorPasses);
}

void BM_BatchNorm2dForward(benchmark::State& state) {
    const TwoThreads threads;
    const ll::Shape& s = kMemShapes[state.range(0)];
    ll::BatchNorm2d bn(s[1]);
    ll::Rng rng(4);
    ll::Tensor x(s), y;
    randomize(x, rng);
    for (auto _ : state)
        bn.forward(x, y, ll::Mode::Train);
    setBytes(state, x, 3);
}
BENCHMARK(BM_BatchNorm2dForward)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_BatchNorm2dBackward(benchmark::State& state) {
    const TwoThreads threads;
    const ll::Shape& s = kMemShapes[state.range(0)];
    ll::BatchNorm2d bn(s[1]);
    ll::Rng rng(5);
    ll::Tensor x(s), y, dy(s), dx;
    randomize(x, rng);
    randomize(dy, rng);
    bn.forward(x, y, ll::Mode::Train);
    for (auto _ : state)
        bn.backward(x, y, dy, &dx);
    setBytes(state, x, 5);
}
BENCHMARK(BM_BatchNorm2dBackward)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_ReLUForwardBackward(benchmark::State& state) {
    const TwoThreads threads;
    const ll::Shape& s = kMemShapes[state.range(0)];
    ll::ReLU relu;
    ll::Rng rng(6);
    ll::Tensor x(s), y, dy(s), dx;
    randomize(x, rng);
    randomize(dy, rng);
    for (auto _ : state) {
        relu.forward(x, y, ll::Mode::Train);
        relu.backward(x, y, dy, &dx);
    }
    setBytes(state, x, 5);
}
BENCHMARK(BM_ReLUForwardBackward)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

void BM_AddForwardBackward(benchmark::State& state) {
    const TwoThreads threads;
    const ll::Shape& s = kMemShapes[state.range(0)];
    ll::Add add;
    ll::Rng rng(7);
    ll::Tensor a(s), b(s), y, dy(s), da, db;
    randomize(a, rng);
    randomize(b, rng);
    randomize(dy, rng);
    const std::vector<const ll::Tensor*> xs{&a, &b};
    const std::vector<ll::Tensor*> dxs{&da, &db};
    for (auto _ : state) {
        add.forwardMulti(xs, y, ll::Mode::Train);
        add.backwardMulti(xs, y, dy, dxs);
    }
    setBytes(state, a, 6);
}
BENCHMARK(BM_AddForwardBackward)->Arg(0)->Arg(1)->UseRealTime()->Unit(benchmark::kMicrosecond);

}  // namespace

BENCHMARK_MAIN();
