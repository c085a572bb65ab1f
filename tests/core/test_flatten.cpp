#include "support/check.h"

#include <cmath>

#include "core/layers/flatten.h"
#include "core/parallel.h"

namespace ll {

TEST(Flatten, KeepsRowMajorOrder) {
    Flatten f;
    Tensor x({2, 2, 1, 2}, {1, 2, 3, 4, 5, 6, 7, 8}), y;
    f.forward(x, y, Mode::Eval);
    EXPECT_EQ(y.shape(), Shape({2, 4}));
    EXPECT_EQ(y.values(), x.values());
    EXPECT_THROW(f.forward(Tensor({3}), y, Mode::Eval), ShapeError);
}

// Large enough for the threads to share the copy (an odd length: the last range is partial), into
// NaN-filled outputs: every element, forward and backward, on one thread and three.
TEST(Flatten, LargeCopiesOnThreadsKeepEveryElement) {
    const int threads = numThreads();
    for (int t : {1, 3}) {
        setNumThreads(t);
        Flatten f;
        f.setName("flat");
        Tensor x({3, 7, 61, 59}), y({3, 7 * 61 * 59}, NAN), dx(x.shape(), NAN);
        for (std::int64_t i = 0; i < x.numel(); ++i)
            x[i] = static_cast<float>(i);
        f.forward(x, y, Mode::Train);
        EXPECT_EQ(y.values(), x.values()) << t << " threads";
        f.backward(x, y, y, &dx);
        EXPECT_EQ(dx.values(), x.values()) << t << " threads";
    }
    setNumThreads(threads);
}

TEST(Flatten, Gradients) {
    Flatten f;
    test::expectGradientsMatch(f, {2, 3, 2, 2});
}

}  // namespace ll
