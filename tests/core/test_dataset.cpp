#include <gtest/gtest.h>

#include <cmath>
#include <set>

#include "core/data/mnist.h"
#include "support/data_files.h"

namespace ll {

namespace {
Dataset small(int n) {
    return parseMnist(test::idxImages(static_cast<std::uint32_t>(n)),
                      test::idxLabels(static_cast<std::uint32_t>(n)), "img", "lab");
}
}  // namespace

TEST(Dataset, SubsetIsSeededAndKeepsPairs) {
    Dataset a = small(100), b = small(100), c = small(100);
    takeSubset(a, 10, 5);
    takeSubset(b, 10, 5);
    takeSubset(c, 10, 6);
    EXPECT_EQ(a.size(), 10);
    EXPECT_EQ(a.labels, b.labels);
    EXPECT_EQ(a.images, b.images);
    EXPECT_NE(a.images, c.images);
    // Image i's first pixel is i % 256 and its label i % 10: pairs survive the shuffle.
    for (int k = 0; k < a.size(); ++k)
        EXPECT_EQ(a.image(k)[0] % 10, a.labels[static_cast<std::size_t>(k)]);
}

TEST(Dataset, LabelNoiseReplacesTheRequestedFraction) {
    Dataset d = small(1000);
    const auto before = d.labels;
    const int changed = applyLabelNoise(d, 0.4, 3);
    int diff = 0;
    for (std::size_t i = 0; i < before.size(); ++i)
        diff += before[i] != d.labels[i];
    EXPECT_EQ(diff, changed);
    // 400 labels redrawn uniformly from 10 classes: about 9/10 of them change.
    EXPECT_NEAR(changed, 360, 40);
    Dataset all = small(1000);
    applyLabelNoise(all, 1.0, 3);
    std::set<int> seen(all.labels.begin(), all.labels.end());
    EXPECT_EQ(seen.size(), 10u);
    EXPECT_THROW(applyLabelNoise(all, 1.5, 1), UsageError);
}

TEST(Dataset, TwoClassFilter) {
    Dataset d = small(100);
    filterTwoClasses(d, 4, 9);
    EXPECT_EQ(d.size(), 20);
    for (auto l : d.labels)
        EXPECT_TRUE(l == 0 || l == 1);
    EXPECT_EQ(d.classNames, (std::vector<std::string>{"4", "9"}));
    EXPECT_THROW(filterTwoClasses(d, 4, 4), UsageError);
}

TEST(Dataset, BatchConversionNormalizesAndSignsLabels) {
    Dataset d = small(4);
    std::vector<int> order = {3, 1};
    Tensor x, y;
    BatchOptions o;
    makeBatch(d, order, 0, 2, x, y, o);
    EXPECT_EQ(x.shape(), Shape({2, 1, 28, 28}));
    EXPECT_EQ(y[0], 3.0f);
    EXPECT_NEAR(x[0], (3 / 255.0 - 0.1307) / 0.3081, 1e-5);  // pixel 0 of image 3 is 3
    o.normalize = false;
    makeBatch(d, order, 1, 1, x, y, o);
    EXPECT_NEAR(x[0], 1 / 255.0, 1e-7);
    filterTwoClasses(d, 1, 3);
    o.signedLabels = true;
    std::vector<int> two = {0, 1};
    makeBatch(d, two, 0, 2, x, y, o);
    EXPECT_EQ(y[0], -1.0f);
    EXPECT_EQ(y[1], 1.0f);
}

TEST(Dataset, AugmentationShiftsAndFlipsButKeepsContent) {
    Dataset d = small(1);
    std::vector<int> order = {0};
    Tensor x, y;
    BatchOptions o;
    o.normalize = false;
    o.augment = true;
    Rng rng(1);
    bool changed = false;
    for (int i = 0; i < 10; ++i) {
        makeBatch(d, order, 0, 1, x, y, o, &rng);
        double s = 0;
        for (std::int64_t k = 0; k < x.numel(); ++k)
            s += x[k];
        changed = changed || std::fabs(x[28 * 14 + 14] * 255 - d.image(0)[28 * 14 + 14]) > 0.5;
        EXPECT_GT(s, 0);
    }
    EXPECT_TRUE(changed);
}

}  // namespace ll
