// The element-wise layers split large tensors over the threads (parallelRanges): every element
// must still be the definition's, bit for bit, on one thread and on three (an uneven split of
// ranges that start on 16-element lines), for sizes on both sides of the parallel threshold.

#include "support/check.h"

#include <cmath>
#include <cstring>
#include <functional>
#include <limits>
#include <vector>

#include "core/isa_kernels.h"
#include "core/kernels.h"
#include "core/layers/add.h"
#include "core/layers/leaky_relu.h"
#include "core/layers/relu.h"
#include "core/layers/relu6.h"
#include "core/layers/tanh.h"
#include "core/parallel.h"
#include "core/random.h"

namespace ll {
namespace {

// Values around every kink and special case: ±0, 6, ±∞, NaN, and normals of spread 4.
Tensor inputs(int n, std::uint64_t seed) {
    Rng rng(seed);
    const float specials[] = {0.0f, -0.0f, 6.0f, INFINITY, -INFINITY, NAN, 1e-30f, -1e-30f};
    Tensor t({1, n});
    for (int i = 0; i < n; ++i)
        t[i] = rng.below(8) == 0 ? specials[rng.below(8)] : 4.0f * rng.normal();
    return t;
}

bool sameBits(const Tensor& a, const Tensor& b) {
    return a.numel() == b.numel() &&
           std::memcmp(a.data(), b.data(), sizeof(float) * static_cast<std::size_t>(a.numel())) ==
               0;
}

// Runs `pass` on 1 thread and on 3, restoring the thread count; both results equal `expected`.
void expectOnOneAndThreeThreads(const std::function<Tensor()>& pass, const Tensor& expected,
                                const char* what) {
    const int threads = numThreads();
    setNumThreads(1);
    const Tensor one = pass();
    setNumThreads(3);
    const Tensor three = pass();
    setNumThreads(threads);
    EXPECT_TRUE(sameBits(one, expected)) << what << " on 1 thread, " << expected.numel();
    EXPECT_TRUE(sameBits(three, expected)) << what << " on 3 threads, " << expected.numel();
}

const int kSizes[] = {static_cast<int>(kParallelMinWork) - 1,
                      3 * static_cast<int>(kParallelMinWork) + 5};

}  // namespace

TEST(ElementwiseThreads, ActivationsAreTheDefinitionOnEveryElement) {
    for (const int n : kSizes) {
        const Tensor x = inputs(n, 11), dy = inputs(n, 12);
        struct Case {
            const char* name;
            Layer* layer;
            std::function<float(float)> f;
            std::function<float(float, float)> grad;
        };
        ReLU relu;
        ReLU6 relu6;
        LeakyReLU leaky(0.1f);
        // NaN inputs: max(NaN, 0) is NaN in these layers (Eigen's std::max order), and the
        // gradient of a NaN input is 0 (every comparison with NaN is false).
        const Case cases[] = {
            {"ReLU", &relu, [](float v) { return std::isnan(v) ? v : std::max(v, 0.0f); },
             [](float v, float g) { return v > 0.0f ? g : 0.0f; }},
            {"ReLU6", &relu6,
             [](float v) { return std::isnan(v) ? v : std::min(std::max(v, 0.0f), 6.0f); },
             [](float v, float g) { return v > 0.0f && v < 6.0f ? g : 0.0f; }},
            {"LeakyReLU", &leaky, [](float v) { return v > 0.0f ? v : 0.1f * v; },
             [](float v, float g) { return v > 0.0f ? g : 0.1f * g; }},
        };
        for (const Case& c : cases) {
            Tensor y({1, n}), dx({1, n});
            for (int i = 0; i < n; ++i) {
                y[i] = c.f(x[i]);
                dx[i] = c.grad(x[i], dy[i]);
            }
            expectOnOneAndThreeThreads(
                [&] {
                    Tensor out;
                    c.layer->forward(x, out, Mode::Train);
                    return out;
                },
                y, c.name);
            expectOnOneAndThreeThreads(
                [&] {
                    Tensor out({1, n}, NAN);  // every element must be written
                    c.layer->backward(x, y, dy, &out);
                    return out;
                },
                dx, c.name);
        }
    }
}

// Tanh's kernel (Eigen's rational approximation) over the whole tensor in one call is the
// definition here: split into ranges it must give the same bits.
TEST(ElementwiseThreads, TanhIsItsKernelOverTheWholeTensor) {
    for (const int n : kSizes) {
        const Tensor x = inputs(n, 31), dy = inputs(n, 32);
        Tensor y({1, n}), dx({1, n});
        const IsaKernels& k = isaKernelsFor(kernelSet());
        k.tanh(x.data(), y.data(), n);
        k.tanhGrad(y.data(), dy.data(), dx.data(), n);
        Tanh tanh;
        tanh.setName("tanh");
        expectOnOneAndThreeThreads(
            [&] {
                Tensor out({1, n}, NAN);
                tanh.forward(x, out, Mode::Train);
                return out;
            },
            y, "Tanh forward");
        expectOnOneAndThreeThreads(
            [&] {
                Tensor out({1, n}, NAN);
                tanh.backward(x, y, dy, &out);
                return out;
            },
            dx, "Tanh backward");
    }
}

TEST(ElementwiseThreads, AddSumsInInputOrderAndCopiesTheGradient) {
    for (const int n : kSizes) {
        const Tensor a = inputs(n, 21), b = inputs(n, 22), c = inputs(n, 23), dy = inputs(n, 24);
        Tensor sum({1, n});
        for (int i = 0; i < n; ++i)
            sum[i] = (a[i] + b[i]) + c[i];
        Add add;
        add.setName("add");
        expectOnOneAndThreeThreads(
            [&] {
                Tensor y;
                add.forwardMulti({&a, &b, &c}, y, Mode::Train);
                return y;
            },
            sum, "Add forward");
        expectOnOneAndThreeThreads(
            [&] {
                Tensor da({1, n}, NAN), dc({1, n}, NAN);
                add.backwardMulti({&a, &b, &c}, sum, dy, {&da, nullptr, &dc});
                EXPECT_TRUE(sameBits(da, dc));
                return da;
            },
            dy, "Add backward");
    }
}

// The sum of squares behind the trainer's gradient check and layer norms: the exact sum (to
// double rounding), the same bits on 1, 2 and 3 threads, and not finite exactly when an element
// is not, even next to the largest floats.
TEST(ElementwiseThreads, SumOfSquaresIsTheSumAndFiniteExactlyWhenEveryElementIs) {
    const int saved = numThreads();
    for (const std::int64_t n : {std::int64_t{0}, std::int64_t{7}, std::int64_t{1000},
                                 kParallelMinWork + 13, 5 * kParallelMinWork + 3}) {
        std::vector<float> x(static_cast<std::size_t>(n));
        Rng rng(static_cast<std::uint64_t>(n) + 1);
        long double exact = 0;
        for (float& v : x) {
            v = rng.normal();
            exact += static_cast<long double>(v) * v;
        }
        setNumThreads(1);
        const double one = sumSquaresParallel(x.data(), n);
        for (int threads : {1, 2, 3}) {
            SCOPED_TRACE(testing::Message() << "n " << n << ", threads " << threads);
            setNumThreads(threads);
            const double s = sumSquaresParallel(x.data(), n);
            EXPECT_NEAR(s, static_cast<double>(exact), 1e-12 * static_cast<double>(n) + 1e-300);
            EXPECT_EQ(s, one);
            if (n == 0) continue;
            std::vector<float> y = x;
            y[0] = std::numeric_limits<float>::max();
            y[static_cast<std::size_t>(n) / 2] = -std::numeric_limits<float>::max();
            EXPECT_TRUE(std::isfinite(sumSquaresParallel(y.data(), n)));
            for (float bad :
                 {std::numeric_limits<float>::infinity(), -std::numeric_limits<float>::infinity(),
                  std::numeric_limits<float>::quiet_NaN()}) {
                for (std::int64_t at : {std::int64_t{0}, n / 2, n - 1}) {
                    y = x;
                    y[static_cast<std::size_t>(at)] = bad;
                    EXPECT_FALSE(std::isfinite(sumSquaresParallel(y.data(), n))) << at;
                }
            }
        }
    }
    setNumThreads(saved);
}

}  // namespace ll
