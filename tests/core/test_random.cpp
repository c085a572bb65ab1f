#include <gtest/gtest.h>

#include <cmath>

#include "core/random.h"

namespace ll {

TEST(Rng, SameSeedSameStreamDifferentSeedDifferentStream) {
    Rng a(42), b(42), c(43);
    for (int i = 0; i < 100; ++i) {
        const auto va = a.next();
        EXPECT_EQ(va, b.next());
        EXPECT_NE(va, c.next());
    }
}

TEST(Rng, UniformAndNormalMoments) {
    Rng r(7);
    double s = 0, s2 = 0, n1 = 0, n2 = 0;
    const int n = 200000;
    for (int i = 0; i < n; ++i) {
        const double u = r.uniform();
        ASSERT_GE(u, 0.0);
        ASSERT_LT(u, 1.0);
        s += u;
        s2 += u * u;
        const double z = r.normal();
        n1 += z;
        n2 += z * z;
    }
    EXPECT_NEAR(s / n, 0.5, 0.005);
    EXPECT_NEAR(s2 / n - 0.25, 1.0 / 12.0, 0.002);
    EXPECT_NEAR(n1 / n, 0.0, 0.01);
    EXPECT_NEAR(n2 / n, 1.0, 0.02);
}

TEST(Rng, ShuffleIsAPermutation) {
    Rng r(3);
    std::vector<int> v(100);
    for (int i = 0; i < 100; ++i)
        v[static_cast<std::size_t>(i)] = i;
    r.shuffle(v);
    std::vector<int> sorted = v;
    std::sort(sorted.begin(), sorted.end());
    for (int i = 0; i < 100; ++i)
        EXPECT_EQ(sorted[static_cast<std::size_t>(i)], i);
    int fixed = 0;
    for (int i = 0; i < 100; ++i)
        fixed += v[static_cast<std::size_t>(i)] == i;
    EXPECT_LT(fixed, 10);
}

}  // namespace ll
