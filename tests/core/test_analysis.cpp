// Cost tables, receptive fields and model transformations against hand-computed and published
// values.
#include <cmath>

#include "core/analysis/cost.h"
#include "core/analysis/insight.h"
#include "core/analysis/receptive_field.h"
#include "core/analysis/transforms.h"
#include "core/data/synthetic.h"
#include "core/layers/batch_norm.h"
#include "core/layers/linear.h"
#include "core/layers/relu.h"
#include "core/model_file.h"
#include "support/check.h"

namespace ll {

namespace {

const CostRow& row(const CostTable& t, const std::string& name) {
    for (const CostRow& r : t.rows)
        if (r.name == name) return r;
    throw std::runtime_error("no row " + name);
}

void fillInput(Tensor& x, int seed) {
    for (std::int64_t i = 0; i < x.numel(); ++i)
        x[i] = static_cast<float>(((i + seed) * 7919) % 101) / 50.0f - 1.0f;
}

}  // namespace

TEST(Cost, InceptionNaiveGoldenValues) {
    const CostTable t = computeCosts(loadModel("inception-naive"));
    EXPECT_EQ(t.totals.params(), 1089952);
    EXPECT_EQ(t.totals.additions, 1115684864);
    EXPECT_EQ(t.totals.multiplications, 1115684864);
    EXPECT_EQ(t.totals.activations, 425984);
    struct Golden {
        const char* branch;
        std::int64_t params, additions, activations;
    };
    for (const Golden& g : {Golden{"inception/b1x1", 32896, 33554432, 131072},
                            Golden{"inception/b3x3", 442560, 452984832, 196608},
                            Golden{"inception/b5x5", 614496, 629145600, 98304}}) {
        const CostRow& r = row(t, g.branch);
        EXPECT_FALSE(r.leaf);
        EXPECT_EQ(r.cost.params(), g.params) << g.branch;
        EXPECT_EQ(r.cost.additions, g.additions) << g.branch;
        EXPECT_EQ(r.cost.multiplications, g.additions) << g.branch;
        EXPECT_EQ(r.cost.activations, g.activations) << g.branch;
    }
    // The pool branch: 8 comparisons per output, 256·32·32 outputs, no FLOPs.
    EXPECT_EQ(row(t, "inception/bpool").cost.poolOps, 8 * 262144);
    EXPECT_EQ(row(t, "inception/bpool").cost.flops, 0);
    EXPECT_EQ(row(t, "inception").cost.flops, 2 * 1115684864LL);
    EXPECT_EQ(row(t, "inception").outputShape, Shape({672, 32, 32}));
}

TEST(Cost, InceptionBottleneckByHand) {
    const CostTable t = computeCosts(loadModel("inception-bottleneck"));
    // 1×1→128: 256·128·1024; 1×1→64 then 3×3→192: (256·64 + 64·9·192)·1024;
    // 1×1→64 then 5×5→96: (256·64 + 64·25·96)·1024; pool then 1×1→64: 256·64·1024.
    const std::int64_t mult =
        (256LL * 128 + 256 * 64 + 64 * 9 * 192 + 256 * 64 + 64 * 25 * 96 + 256 * 64) * 1024;
    EXPECT_EQ(t.totals.multiplications, mult);  // 354,418,688: a third of the naive module
    EXPECT_EQ(t.totals.params(), 346720);
    EXPECT_EQ(t.totals.activations, (128 + 64 + 192 + 64 + 96 + 64) * 1024);
}

TEST(Cost, LeNet5ByHand) {
    const CostTable t = computeCosts(loadModel("lenet5"));
    EXPECT_EQ(t.totals.params(), 61706);
    EXPECT_EQ(row(t, "c1").cost.multiplications, 1 * 25 * 6 * 28 * 28);   // 117,600
    EXPECT_EQ(row(t, "c3").cost.multiplications, 6 * 25 * 16 * 10 * 10);  // 240,000
    EXPECT_EQ(row(t, "f5").cost.multiplications, 400 * 120);
    EXPECT_EQ(row(t, "c1").cost.weights, 150);
    EXPECT_EQ(row(t, "c1").cost.biases, 6);
    EXPECT_EQ(row(t, "s2").cost.poolOps, 4 * 6 * 14 * 14);  // 3 additions + 1 division each
    EXPECT_EQ(row(t, "tanh1").cost.activations, 6 * 28 * 28);
    EXPECT_EQ(row(t, "c1").cost.activationBytes, 4 * 6 * 28 * 28);
    EXPECT_EQ(t.totals.multiplications, 117600 + 240000 + 48000 + 10080 + 840);
    EXPECT_EQ(t.totals.flops, 2 * t.totals.multiplications);
    // LeCun's sparse C3: 60 connected 5×5 kernels instead of 96.
    const CostTable s = computeCosts(loadModel("lenet5-c3"));
    EXPECT_EQ(s.totals.params(), 60806);
    EXPECT_EQ(row(s, "c3").cost.multiplications, 60 * 25 * 10 * 10);
    EXPECT_EQ(row(s, "c3").cost.weights, 1500);
}

TEST(Cost, ConventionsChangeOnlyWhatTheySay) {
    Net net = loadModel("smallnet-bn");
    const CostTable course = computeCosts(net);
    const CostTable macs = computeCosts(net, CostConvention::parse("macs"));
    const CostTable nobias = computeCosts(net, CostConvention::parse("course-nobias"));
    const CostTable all = computeCosts(net, CostConvention::parse("course+all"));
    EXPECT_EQ(macs.totals.flops, course.totals.multiplications);
    EXPECT_EQ(course.totals.flops, 2 * course.totals.multiplications);
    // Without bias: one addition less per output of conv1 (16·32·32), conv2, fc1 (1024), fc2 (10).
    EXPECT_EQ(course.totals.additions - nobias.totals.additions, 2 * 16384 + 1024 + 10);
    EXPECT_EQ(all.totals.flops, course.totals.flops + course.totals.poolOps +
                                    course.totals.normOps + course.totals.activations);
    EXPECT_EQ(course.totals.normOps, 2 * (16384 * 2 + 1024));
    EXPECT_EQ(course.totals.params(), net.numParams());
    EXPECT_EQ(CostConvention::parse("macs+pool+bn").name(), "macs+pool+bn");
    EXPECT_EQ(CostConvention::parse("course+pool+bn+act").name(), "course+all");
    EXPECT_THROW(CostConvention::parse("flops"), UsageError);
    EXPECT_THROW(CostConvention::parse("course+relu"), UsageError);
    EXPECT_NE(course.convention.explain().find("multiplications + additions"), std::string::npos);
}

TEST(Cost, AlexNetMatchesPublishedCounters) {
    const CostTable t = computeCosts(loadModel("alexnet"), CostConvention::parse("macs"));
    EXPECT_EQ(t.totals.params(), 61100840);  // torchvision
    EXPECT_EQ(t.totals.macs, 714188480);     // fvcore / ptflops: 0.71 GMac (conv + linear)
    EXPECT_EQ(row(t, "conv1").outputShape, Shape({64, 55, 55}));
}

TEST(ReceptiveField, RfDemoByHand) {
    const CostTable t = computeCosts(loadModel("rf-demo"));
    struct Golden {
        const char* layer;
        int size, jump, start;
    };
    for (const Golden& g : {Golden{"conv1", 5, 1, -2}, Golden{"pool1", 6, 2, -2},
                            Golden{"conv2", 14, 2, -6}, Golden{"pool2", 16, 4, -6}}) {
        const ReceptiveField& rf = row(t, g.layer).rf;
        ASSERT_TRUE(rf.valid) << g.layer;
        EXPECT_EQ(rf.size, (std::array<int, 2>{g.size, g.size})) << g.layer;
        EXPECT_EQ(rf.jump, (std::array<int, 2>{g.jump, g.jump})) << g.layer;
        EXPECT_EQ(rf.start, (std::array<int, 2>{g.start, g.start})) << g.layer;
    }
    const ReceptiveField& last = row(t, "pool2").rf;
    UnitRegion u = unitRegion(last, 0, 0, 224, 224);
    EXPECT_EQ(u.rows[0], -6);
    EXPECT_EQ(u.rows[1], 10);
    EXPECT_EQ(u.clippedRows[0], 0);
    EXPECT_EQ(u.clippedRows[1], 10);
    u = unitRegion(last, 10, 55, 224, 224);
    EXPECT_EQ(u.rows[0], 34);
    EXPECT_EQ(u.rows[1], 50);
    EXPECT_EQ(u.cols[0], 214);
    EXPECT_EQ(u.cols[1], 230);
    EXPECT_EQ(u.clippedCols[1], 224);
}

TEST(ReceptiveField, AlexNetPublishedValues) {
    // AlexNet's pool5 units see 195×195 pixels, 32 apart (Araujo et al. 2019, Table 1 lists
    // 195 for AlexNet); conv1 sees 11×11 with stride 4.
    const CostTable t = computeCosts(loadModel("alexnet"));
    EXPECT_EQ(row(t, "conv1").rf.size[0], 11);
    EXPECT_EQ(row(t, "conv5").rf.size[0], 163);
    EXPECT_EQ(row(t, "pool3").rf.size[0], 195);
    EXPECT_EQ(row(t, "pool3").rf.jump[0], 32);
    EXPECT_EQ(row(t, "pool3").rf.start[0], -2 - 2 * 8 - 16 - 16 - 16);
}

TEST(ReceptiveField, AlignedBranchesCombineMisalignedAreSaid) {
    const CostTable t = computeCosts(loadModel("inception-naive"));
    const ReceptiveField& m = row(t, "inception").rf;
    ASSERT_TRUE(m.valid) << m.note;
    EXPECT_EQ(m.size[0], 5);  // the largest branch, all centred on the same pixel
    EXPECT_EQ(m.start[0], -2);
    Net bad = buildNet(R"({"input": [1, 8, 8], "layers": [
      {"type": "Concat", "name": "m", "branches": [
        {"name": "pool", "layers": [{"type": "MaxPool2d", "kernel": 2}]},
        {"name": "strided", "layers": [{"type": "Conv2d", "out": 1, "kernel": 1, "stride": 2}]}]}]})");
    const CostTable badTable = computeCosts(bad);  // kept: rf refers into it
    const ReceptiveField& rf = badTable.rows[0].rf;
    EXPECT_FALSE(rf.valid);
    EXPECT_NE(rf.note.find("'pool' and 'strided' of 'm' are not aligned"), std::string::npos)
        << rf.note;
    const CostTable flat = computeCosts(loadModel("mlp-cifar"));
    EXPECT_TRUE(flat.rows.back().rf.valid);  // Flatten of the image: the whole input
    EXPECT_EQ(flat.rows.back().rf.size[0], 32);
}

TEST(ReceptiveField, EffectiveFieldLiesInsideTheAnalyticRectangle) {
    Net net = loadModel("rf-demo");
    net.resetParameters(4);
    Tensor x({3, 224, 224});
    fillInput(x, 1);
    const ReceptiveField rf = computeCosts(net).rows[3].rf;
    for (auto [i, j] : {std::pair{0, 0}, std::pair{20, 31}, std::pair{55, 55}}) {
        const Tensor erf = effectiveReceptiveField(net, x, 3, 5, i, j);
        const UnitRegion u = unitRegion(rf, i, j, 224, 224);
        int inside = 0;
        for (int h = 0; h < 224; ++h)
            for (int w = 0; w < 224; ++w) {
                const bool in = h >= u.clippedRows[0] && h < u.clippedRows[1] &&
                                w >= u.clippedCols[0] && w < u.clippedCols[1];
                if (!in) {
                    ASSERT_EQ(erf[h * 224 + w], 0.0f) << h << "," << w;
                }
                inside += in && erf[h * 224 + w] > 0;
            }
        EXPECT_GT(inside, 0);
    }
}

TEST(ReceptiveField, EffectiveFieldFillsTheRectangleWithPositiveWeights) {
    // Max-pooling routes the gradient through one pixel per window, so the filled-rectangle
    // property holds for convolutions and average pooling.
    Net net = buildNet(R"({"input": [2, 20, 20], "layers": [
      {"type": "Conv2d", "out": 3, "kernel": 3, "padding": 1}, {"type": "AvgPool2d", "kernel": 2},
      {"type": "Conv2d", "out": 2, "kernel": 5, "stride": 2}]})");
    for (Param* p : net.params())
        for (std::int64_t k = 0; k < p->value.numel(); ++k)
            p->value[k] = 0.1f + 0.01f * static_cast<float>(k % 7);
    Tensor x({2, 20, 20});
    fillInput(x, 2);
    const ReceptiveField rf = computeCosts(net).rows[2].rf;
    EXPECT_EQ(rf.size[0], 3 + 1 + 4 * 2);  // 12
    for (auto [i, j] : {std::pair{0, 0}, std::pair{2, 1}}) {
        const Tensor erf = effectiveReceptiveField(net, x, 2, 1, i, j);
        const UnitRegion u = unitRegion(rf, i, j, 20, 20);
        for (int h = 0; h < 20; ++h)
            for (int w = 0; w < 20; ++w) {
                const bool in = h >= u.clippedRows[0] && h < u.clippedRows[1] &&
                                w >= u.clippedCols[0] && w < u.clippedCols[1];
                EXPECT_EQ(erf[h * 20 + w] > 0, in) << h << "," << w;
            }
    }
    EXPECT_THROW(effectiveReceptiveField(net, x, 2, 2, 0, 0), UsageError);  // channel 2 of 2
}

namespace {

// Random batch-norm statistics, as after training: variances in [0.5, 1.5), means in
// [-meanSpread/2, meanSpread/2).
void randomStatistics(Net& net, Rng& rng, float meanSpread) {
    for (const NamedBuffer& b : net.namedBuffers()) {
        const bool var = b.name.find("var") != std::string::npos;
        for (std::int64_t k = 0; k < b.tensor->numel(); ++k)
            (*b.tensor)[k] = var ? 0.5f + rng.uniform() : meanSpread * (rng.uniform() - 0.5f);
    }
}

}  // namespace

TEST(Transforms, BatchNormFoldingKeepsOutputs) {
    Net net = loadModel("smallnet-bn");
    net.resetParameters(2);
    // Random statistics and affine parameters, as after training.
    Rng rng(9);
    randomStatistics(net, rng, 1.0f);
    for (const NamedParam& p : net.namedParams())
        if (p.name.rfind("bn", 0) == 0)
            for (std::int64_t k = 0; k < p.param->value.numel(); ++k)
                p.param->value[k] += 0.5f * (rng.uniform() - 0.5f);
    std::vector<std::string> folded;
    Net f = foldBatchNorm(net, &folded);
    EXPECT_EQ(folded, (std::vector<std::string>{"conv1+bn1", "conv2+bn2", "fc1+bn3"}));
    EXPECT_EQ(f.size(), net.size() - 3);
    EXPECT_EQ(f.numParams(), net.numParams() - 2 * (16 + 16 + 1024));
    Tensor x({8, 3, 32, 32});
    fillInput(x, 3);
    const Tensor a = net.forward(x, Mode::Eval);
    const Tensor b = f.forward(x, Mode::Eval);
    double maxSq = 0;
    for (std::int64_t k = 0; k < a.numel(); ++k)
        maxSq = std::max(maxSq, std::pow(static_cast<double>(a[k]) - b[k], 2.0));
    EXPECT_LT(maxSq, 1e-8) << "max squared difference";
    EXPECT_GT(a.sumSquares(), 1.0);  // the outputs are not trivially zero
}

// The check the window and `layerlens experiment batchnorm` show: same outputs, fewer layers.
TEST(Transforms, BatchNormFoldCheckOnImages) {
    Net net = loadModel("smallnet-bn");
    net.resetParameters(4);
    Rng rng(11);
    randomStatistics(net, rng, 0.2f);
    const Dataset shapes = makeSyntheticShapes(50, 3, "test");
    // More samples asked than there are: all 50, in 4 batches, the last one short.
    const FoldCheck c = checkBatchNormFold(net, shapes, {}, 80, 16);
    EXPECT_EQ(c.folded, (std::vector<std::string>{"conv1+bn1", "conv2+bn2", "fc1+bn3"}));
    EXPECT_EQ(c.layersBefore, 11);
    EXPECT_EQ(c.layersAfter, 8);
    EXPECT_EQ(c.paramsBefore - c.paramsAfter, 2 * (16 + 16 + 1024));
    EXPECT_EQ(c.samples, 50);
    EXPECT_EQ(c.samePredictions, 50);
    EXPECT_GT(c.maxAbsOutput, 0.01);
    EXPECT_LT(c.maxAbsDifference, 1e-4 * std::max(1.0, c.maxAbsOutput));
    // The accuracy is the original net's on those images; the same predictions, the same accuracy.
    EXPECT_DOUBLE_EQ(c.accuracyBefore, confusionMatrix(net, shapes, {}).accuracy());
    EXPECT_DOUBLE_EQ(c.accuracyAfter, c.accuracyBefore);
    EXPECT_GT(c.secondsBefore, 0.0);
    const std::vector<std::string> text = describe(c);
    ASSERT_EQ(text.size(), 3u);
    EXPECT_NE(text[0].find("11 → 8 top-level layers (conv1+bn1, conv2+bn2, fc1+bn3 folded)"),
              std::string::npos)
        << text[0];
    EXPECT_NE(text[1].find("the same prediction for 50 of 50"), std::string::npos) << text[1];
    // Nothing to fold, no data: clear errors.
    Net lenet = loadModel("lenet5");
    EXPECT_THROW(checkBatchNormFold(lenet, shapes, {}), UsageError);
    EXPECT_THROW(checkBatchNormFold(net, Dataset{}, {}), UsageError);
}

// LeNet-5 with max-pooling: the activation named `act` (ReLU, Tanh, GELU, ...) before each pool.
std::string lenetMaxPool(const std::string& act) {
    return R"({"name": "lenet5-max", "input": [1, 28, 28], "layers": [
        {"type": "Conv2d", "name": "c1", "out": 6, "kernel": 5, "padding": 2},
        {"type": ")" +
           act + R"(", "name": "a1"},
        {"type": "MaxPool2d", "name": "s2", "kernel": 2},
        {"type": "Conv2d", "name": "c3", "out": 16, "kernel": 5},
        {"type": ")" +
           act + R"(", "name": "a3"},
        {"type": "MaxPool2d", "name": "s4", "kernel": 2},
        {"type": "Flatten"},
        {"type": "Linear", "name": "f5", "out": 120},
        {"type": ")" +
           act + R"(", "name": "a5"},
        {"type": "Linear", "name": "output", "out": 10}]})";
}

// Max-pooling commutes with a non-decreasing activation: the same outputs, bit for bit, with the
// activation evaluated on 4× fewer values after each 2×2 pool.
TEST(Transforms, ActivationsAfterMaxPoolKeepOutputs) {
    for (const char* act : {"ReLU", "Tanh", "Sigmoid"}) {
        Net net = buildNet(lenetMaxPool(act));
        net.resetParameters(6);
        std::vector<std::string> swapped, refused;
        Net s = activationsAfterMaxPool(net, &swapped, &refused);
        EXPECT_EQ(swapped, (std::vector<std::string>{"a1 after s2", "a3 after s4"})) << act;
        EXPECT_TRUE(refused.empty());
        // The order is now pool, activation; the names and weights stay.
        EXPECT_EQ(s.layer(1).name(), "s2");
        EXPECT_EQ(s.layer(2).name(), "a1");
        EXPECT_EQ(s.layer(4).name(), "s4");
        EXPECT_EQ(s.layer(5).name(), "a3");
        EXPECT_EQ(s.numParams(), net.numParams());
        Tensor x({6, 1, 28, 28});
        fillInput(x, 5);
        const Tensor a = net.forward(x, Mode::Eval);
        const Tensor& b = s.forward(x, Mode::Eval);
        ASSERT_EQ(a.shape(), b.shape());
        double worst = 0;
        for (std::int64_t k = 0; k < a.numel(); ++k)
            worst = std::max(worst, std::fabs(static_cast<double>(a[k]) - b[k]));
        EXPECT_EQ(worst, 0.0) << act;
        EXPECT_GT(a.sumSquares(), 1e-3);
        // Activation evaluations per image, by hand: 6·28² + 16·10² + 120 before;
        // 6·14² + 16·5² + 120 after (a 4× drop on each pooled map).
        const std::int64_t before = computeCosts(net).totals.activations;
        const std::int64_t after = computeCosts(s).totals.activations;
        EXPECT_EQ(before, 6 * 784 + 16 * 100 + 120);
        EXPECT_EQ(after, 6 * 196 + 16 * 25 + 120);
        EXPECT_EQ(computeCosts(net).rows[1].cost.activations,
                  4 * computeCosts(s).rows[2].cost.activations);
    }
}

TEST(Transforms, ActivationsAfterMaxPoolRefuseNonMonotonic) {
    for (const char* act : {"GELU", "SiLU"}) {
        Net net = buildNet(lenetMaxPool(act));
        std::vector<std::string> swapped, refused;
        Net s = activationsAfterMaxPool(net, &swapped, &refused);
        EXPECT_TRUE(swapped.empty());
        ASSERT_EQ(refused.size(), 2u);
        EXPECT_NE(refused[0].find(std::string("a1 (") + act + ") before s2: not monotonic"),
                  std::string::npos)
            << refused[0];
        EXPECT_EQ(s.layer(1).name(), "a1");  // left in place
        const Dataset digits = makeSyntheticDigits(20, 1, "test");
        try {
            checkActivationSwap(net, digits, {});
            ADD_FAILURE() << "nothing to swap, yet no refusal";
        } catch (const UsageError& e) {
            EXPECT_NE(std::string(e.what()).find("a1 (" + std::string(act) + ")"),
                      std::string::npos)
                << e.what();
        }
    }
    // LeNet-5 as taught pools by averaging: nothing to swap, nothing refused.
    Net lenet = loadModel("lenet5");
    std::vector<std::string> swapped, refused;
    activationsAfterMaxPool(lenet, &swapped, &refused);
    EXPECT_TRUE(swapped.empty());
    EXPECT_TRUE(refused.empty());
}

// The check the window shows, on vgg-cifar (five ReLU → 2×2 max-pool pairs): the cost table's
// activation evaluations, by hand, and the same predictions on images.
TEST(Transforms, ActivationSwapCheckOnVgg) {
    Net net = loadModel("vgg-cifar");
    net.resetParameters(7);
    Rng rng(3);
    randomStatistics(net, rng, 0.2f);
    const Dataset shapes = makeSyntheticShapes(24, 2, "test");
    const SwapCheck c = checkActivationSwap(net, shapes, {}, 24, 12);
    EXPECT_EQ(c.swapped.size(), 5u);
    EXPECT_EQ(c.swapped[0], "relu1 after pool1");
    // ReLU outputs 64·32² + 128·16² + 2·256·8² + 2·512·4² + 2·512·2² = 151552; after the swap
    // the five ReLUs before a pool see a quarter: 16384 + 8192 + 16384 + 4096 + 8192 + 2048 +
    // 2048 + 512 = 57856.
    EXPECT_EQ(c.activationsBefore, 151552);
    EXPECT_EQ(c.activationsAfter, 57856);
    EXPECT_EQ(c.same.samples, 24);
    EXPECT_EQ(c.same.samePredictions, 24);
    EXPECT_EQ(c.same.maxAbsDifference, 0.0);
    EXPECT_GT(c.same.maxAbsOutput, 0.0);
    const std::vector<std::string> text = describe(c);
    EXPECT_NE(text[0].find("151552 → 57856 per image"), std::string::npos) << text[0];
}

TEST(Transforms, FullyConvolutionalEqualsSlidingTheNet) {
    Net net = buildNet(R"({"name": "small", "input": [1, 12, 12], "layers": [
      {"type": "Conv2d", "out": 4, "kernel": 3}, {"type": "ReLU"}, {"type": "MaxPool2d", "kernel": 2},
      {"type": "Flatten"}, {"type": "Linear", "out": 8}, {"type": "ReLU"}, {"type": "Dropout"},
      {"type": "Linear", "out": 3}]})");
    net.resetParameters(5);
    // 4 pixels larger each way: the feature extractor's stride is 2, so 3×3 window positions.
    Net conv = fullyConvolutional(net, Shape({1, 16, 16}));
    Tensor big({1, 1, 16, 16});
    fillInput(big, 4);
    const Tensor scores = conv.forward(big, Mode::Eval);
    ASSERT_EQ(scores.shape(), Shape({1, 3, 3, 3}));
    for (int oi = 0; oi < 3; ++oi)
        for (int oj = 0; oj < 3; ++oj) {
            Tensor window({1, 1, 12, 12});
            for (int h = 0; h < 12; ++h)
                for (int w = 0; w < 12; ++w)
                    window[h * 12 + w] = big[(2 * oi + h) * 16 + 2 * oj + w];
            const Tensor y = net.forward(window, Mode::Eval);
            for (int k = 0; k < 3; ++k)
                EXPECT_NEAR(scores[(k * 3 + oi) * 3 + oj], y[k], 1e-5) << oi << oj << k;
        }
    Net noClassifier = loadModel("rf-demo");
    EXPECT_THROW(fullyConvolutional(noClassifier, Shape({3, 224, 224})), ModelError);
}

TEST(Transforms, CloneCopiesWeightsOfFilesAndOfNetsBuiltInCode) {
    Net net = loadModel("lenet5");
    net.resetParameters(8);
    Net copy = cloneNet(net);
    Tensor x({2, 1, 28, 28});
    fillInput(x, 5);
    const Tensor a = net.forward(x, Mode::Eval);
    EXPECT_EQ(a.values(), copy.forward(x, Mode::Eval).values());
    // A net built in code writes its own model document.
    Net code("code", Shape({4}));
    code.emplace<Linear>(4, 3);
    code.emplace<ReLU>();
    code.emplace<Linear>(3, 2);
    code.resetParameters(2);
    Net codeCopy = cloneNet(code);
    const Tensor v({1, 4}, {1, -2, 3, 0.5f});
    EXPECT_EQ(code.forward(v, Mode::Eval).values(), codeCopy.forward(v, Mode::Eval).values());
    EXPECT_EQ(codeCopy.layer(1).name(), "relu1");
}

// In a graph, every Conv→BN pair folds — residual blocks included — and the outputs stay the
// same; a BN whose convolution also feeds another node is left, with the reason.
TEST(Transforms, BatchNormFoldsInsideResidualBlocks) {
    for (const char* preset : {"resnet20-cifar", "resnet20-cifar-b"}) {
        Net net = loadModel(preset);
        net.resetParameters(3);
        Rng rng(4);
        for (const NamedBuffer& b : net.namedBuffers())
            for (float& v : b.tensor->vector())
                v = rng.uniform(0.5f, 1.5f);  // statistics as if trained
        std::vector<std::string> folded, refused;
        Net f = foldBatchNorm(net, &folded, &refused);
        EXPECT_EQ(folded.size(), std::string(preset) == "resnet20-cifar" ? 19u : 21u) << preset;
        EXPECT_TRUE(refused.empty());
        EXPECT_EQ(f.size(), net.size() - static_cast<int>(folded.size()));
        Tensor x({2, 3, 32, 32});
        fillInput(x, 6);
        const Tensor a = net.forward(x, Mode::Eval);
        const Tensor& b = f.forward(x, Mode::Eval);
        for (std::int64_t i = 0; i < a.numel(); ++i)
            EXPECT_NEAR(a[i], b[i], 1e-3f * (1 + std::fabs(a[i]))) << preset << " " << i;
    }
    Net shared = buildNet(R"({"input": [2, 4, 4], "layers": [
        {"type": "Conv2d", "name": "c", "out": 2, "kernel": 3, "padding": 1},
        {"type": "BatchNorm2d", "name": "bn"},
        {"type": "Add", "inputs": ["bn", "c"]}, {"type": "Flatten"}, {"type": "Linear", "out": 2}]})");
    std::vector<std::string> folded, refused;
    Net same = foldBatchNorm(shared, &folded, &refused);
    EXPECT_TRUE(folded.empty());
    ASSERT_EQ(refused.size(), 1u);
    EXPECT_NE(refused[0].find("bn: its input 'c' also feeds another node"), std::string::npos)
        << refused[0];
    EXPECT_EQ(same.size(), shared.size());
}

}  // namespace ll
