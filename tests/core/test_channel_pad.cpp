#include "support/check.h"

#include <cmath>

#include "core/layers/channel_pad.h"
#include "core/parallel.h"

namespace ll {

// Option A with stride 2: x[:, :, ::2, ::2], one zero channel before and one after (1 → 3).
TEST(ChannelPad, GoldenForwardBackward) {
    ChannelPad pad(1, 3, 2);
    pad.setName("short");
    Tensor x({1, 1, 3, 3}, {1, 2, 3, 4, 5, 6, 7, 8, 9}), y;
    pad.forward(x, y, Mode::Train);
    EXPECT_EQ(y.shape(), Shape({1, 3, 2, 2}));
    EXPECT_EQ(y.values(), (std::vector<float>{0, 0, 0, 0, 1, 3, 7, 9, 0, 0, 0, 0}));
    Tensor dy({1, 3, 2, 2}, {9, 9, 9, 9, 1, 2, 3, 4, 9, 9, 9, 9}), dx({1, 1, 3, 3}, NAN);
    pad.backward(x, y, dy, &dx);
    EXPECT_EQ(dx.values(), (std::vector<float>{1, 0, 2, 0, 0, 0, 3, 0, 4}));
}

// ResNet-20's pad (16 → 32 channels, stride 2) on a batch the threads share, from pre-filled
// outputs: every element is the definition's, at one thread and at three, and stride 1 too.
TEST(ChannelPad, LargeBatchesOnThreadsFollowTheDefinition) {
    const int threads = numThreads();
    for (int stride : {2, 1})
        for (int t : {1, 3}) {
            setNumThreads(t);
            const int N = 64, C = 16, K = 32, H = 15, W = 16;
            ChannelPad pad(C, K, stride);
            pad.setName("pad");
            const int Ho = (H + stride - 1) / stride, Wo = (W + stride - 1) / stride;
            Tensor x({N, C, H, W}), y({N, K, Ho, Wo}, NAN);  // resize keeps y's NaNs
            for (std::int64_t i = 0; i < x.numel(); ++i)
                x[i] = static_cast<float>(i % 1013) - 500.0f;
            pad.forward(x, y, Mode::Train);
            ASSERT_EQ(y.shape(), Shape({N, K, Ho, Wo}));
            Tensor dy(y.shape()), dx(x.shape(), NAN);
            for (std::int64_t i = 0; i < dy.numel(); ++i)
                dy[i] = static_cast<float>(i % 997) + 1.0f;
            pad.backward(x, y, dy, &dx);
            for (int n = 0; n < N; ++n)
                for (int k = 0; k < K; ++k)
                    for (int i = 0; i < Ho; ++i)
                        for (int j = 0; j < Wo; ++j) {
                            const int c = k - (K - C) / 2;
                            const float want =
                                c < 0 || c >= C
                                    ? 0.0f
                                    : x[((static_cast<std::int64_t>(n) * C + c) * H + i * stride) *
                                            W +
                                        j * stride];
                            ASSERT_EQ(y[((static_cast<std::int64_t>(n) * K + k) * Ho + i) * Wo + j],
                                      want)
                                << n << " " << k << " " << i << " " << j;
                        }
            for (int n = 0; n < N; ++n)
                for (int c = 0; c < C; ++c)
                    for (int i = 0; i < H; ++i)
                        for (int j = 0; j < W; ++j) {
                            const bool read = i % stride == 0 && j % stride == 0;
                            const int k = c + (K - C) / 2;
                            const float want =
                                read ? dy[((static_cast<std::int64_t>(n) * K + k) * Ho +
                                           i / stride) *
                                              Wo +
                                          j / stride]
                                     : 0.0f;
                            ASSERT_EQ(dx[((static_cast<std::int64_t>(n) * C + c) * H + i) * W + j],
                                      want)
                                << n << " " << c << " " << i << " " << j;
                        }
        }
    setNumThreads(threads);
}

TEST(ChannelPad, Gradients) {
    ChannelPad pad(2, 4, 2);
    test::expectGradientsMatch(pad, {2, 2, 5, 4});
}

TEST(ChannelPad, CostAndField) {
    ChannelPad pad(16, 32, 2);
    EXPECT_EQ(pad.outputShape({1, 16, 32, 32}), Shape({1, 32, 16, 16}));
    EXPECT_EQ(pad.cost({{1, 16, 32, 32}}, {1, 32, 16, 16}).multiplications, 0);
    const FieldRule r = pad.fieldRule({1, 16, 32, 32});
    EXPECT_EQ(r.kind, FieldRule::Kind::Window);
    EXPECT_EQ(r.kh, 1);
    EXPECT_EQ(r.sh, 2);
    EXPECT_THROW(ChannelPad(32, 16, 1), ModelError);
    EXPECT_THROW(pad.outputShape({1, 8, 32, 32}), ShapeError);
}

}  // namespace ll
