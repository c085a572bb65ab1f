#include "support/check.h"

#include <cmath>

#include "core/layers/channel_pad.h"

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
