// The graph engine: named inputs, the summed gradients of tensors read twice, the model-file
// round trip, the layer registry, and ResNet-20's numbers from the literature.
#include "support/check.h"
#include "support/graph_check.h"

#include <algorithm>
#include <cmath>

#include "core/analysis/cost.h"
#include "core/analysis/insight.h"
#include "core/analysis/receptive_field.h"
#include "core/layer_io.h"
#include "core/layers/registry.h"
#include "core/model_file.h"
#include "core/optimizer.h"

namespace ll {

namespace {

// A ResNet basic block whose shortcut changes shape (option A: stride 2, zero channels), then
// an identity block, on a small input; batch norm in training mode.
const char* kResNetBlocks = R"({"input": [2, 6, 6], "layers": [
    {"type": "Conv2d", "name": "stem", "out": 2, "kernel": 3, "padding": 1, "bias": false},
    {"type": "Conv2d", "name": "b1.conv1", "group": "b1", "out": 4, "kernel": 3, "stride": 2, "padding": 1, "bias": false},
    {"type": "BatchNorm2d", "name": "b1.bn1", "group": "b1"},
    {"type": "Tanh", "name": "b1.act1", "group": "b1"},
    {"type": "Conv2d", "name": "b1.conv2", "group": "b1", "out": 4, "kernel": 3, "padding": 1, "bias": false},
    {"type": "ChannelPad", "name": "b1.short", "group": "b1", "inputs": ["stem"], "out": 4, "stride": 2},
    {"type": "Add", "name": "b1.add", "group": "b1", "inputs": ["b1.conv2", "b1.short"]},
    {"type": "Tanh", "name": "b1.act", "group": "b1"},
    {"type": "Conv2d", "name": "b2.conv1", "group": "b2", "out": 4, "kernel": 3, "padding": 1},
    {"type": "Tanh", "name": "b2.act1", "group": "b2"},
    {"type": "Add", "name": "b2.add", "group": "b2", "inputs": ["b2.act1", "b1.act"]},
    {"type": "GlobalAvgPool2d"}, {"type": "Flatten"}, {"type": "Linear", "out": 3}]})";

// Copies every parameter and buffer of `from` into `to` (same names).
void copyWeights(Net& from, Net& to) {
    auto src = from.namedParams();
    auto dst = to.namedParams();
    ASSERT_EQ(src.size(), dst.size());
    for (std::size_t i = 0; i < src.size(); ++i) {
        ASSERT_EQ(src[i].name, dst[i].name);
        dst[i].param->value = src[i].param->value;
    }
    auto sb = from.namedBuffers();
    auto db = to.namedBuffers();
    ASSERT_EQ(sb.size(), db.size());
    for (std::size_t i = 0; i < sb.size(); ++i)
        *db[i].tensor = *sb[i].tensor;
}

}  // namespace

TEST(Graph, ResNetBlocksGradientsMatchFiniteDifferences) {
    test::expectGraphGradientsMatch(kResNetBlocks);
}

TEST(Graph, NodesKnowTheirInputsAndReaders) {
    Net net = buildNet(kResNetBlocks);
    const int stem = net.indexOf("stem"), add = net.indexOf("b1.add");
    EXPECT_EQ(net.inputsOf(stem), std::vector<int>{-1});
    EXPECT_EQ(net.inputsOf(add),
              (std::vector<int>{net.indexOf("b1.conv2"), net.indexOf("b1.short")}));
    EXPECT_EQ(net.consumersOf(stem),
              (std::vector<int>{net.indexOf("b1.conv1"), net.indexOf("b1.short")}));
    EXPECT_FALSE(net.isChain());
    EXPECT_TRUE(loadModel("lenet5").isChain());
    EXPECT_EQ(net.layer(add).group(), "b1");
    // The summary lists every node's inputs.
    EXPECT_NE(net.summary().find("← b1.conv2, b1.short"), std::string::npos) << net.summary();
}

// Node i's gradient is the sum over its readers: checked against two separate backward passes.
TEST(Graph, ATensorReadTwiceGetsTheSumOfBothGradients) {
    Net net = buildNet(R"({"input": [3], "layers": [
        {"type": "Linear", "name": "h", "out": 2},
        {"type": "Linear", "name": "p", "out": 2},
        {"type": "Linear", "name": "q", "inputs": ["h"], "out": 2},
        {"type": "Add", "inputs": ["p", "q"]}]})");
    net.resetParameters(4);
    Tensor x({1, 3}, {0.3f, -1, 2});
    net.retainGradients(true);
    net.forward(x, Mode::Train);
    Tensor g({1, 2}, {1, -2});
    net.backward(g, true);
    const Tensor dh = net.activationGrad(net.indexOf("h"));
    // By hand: dh = Wpᵀ g + Wqᵀ g.
    Net& n = net;
    const Tensor& wp = n.layer(n.indexOf("p")).params()[0]->value;
    const Tensor& wq = n.layer(n.indexOf("q")).params()[0]->value;
    for (int j = 0; j < 2; ++j) {
        const float expect = wp[0 * 2 + j] * g[0] + wp[1 * 2 + j] * g[1] + wq[0 * 2 + j] * g[0] +
                             wq[1 * 2 + j] * g[1];
        EXPECT_NEAR(dh[j], expect, 1e-6f) << j;
    }
}

TEST(Graph, BadGraphsAreModelErrorsNamingTheNode) {
    auto fails = [](const char* doc, const char* what) {
        try {
            buildNet(doc);
            ADD_FAILURE() << "accepted: " << doc;
        } catch (const ModelError& e) {
            EXPECT_NE(std::string(e.what()).find(what), std::string::npos) << e.what();
        }
    };
    // A name that is not an earlier node (cycles cannot be written: inputs name earlier nodes).
    fails(R"({"input": [3], "layers": [{"type": "Linear", "name": "a", "out": 2, "inputs": ["b"]},
        {"type": "Linear", "name": "b", "out": 2}]})",
          "reads 'b', which is not a node before it");
    fails(R"({"input": [3], "layers": [{"type": "Linear", "name": "a", "out": 2},
        {"type": "Linear", "name": "b", "out": 2, "inputs": ["input"]},
        {"type": "Add", "inputs": ["a", "b"]}, {"type": "Linear", "name": "dead", "out": 2, "inputs": ["a"]}]})",
          "feeds no other node");
    fails(R"({"input": [3], "layers": [{"type": "Linear", "name": "a", "out": 2},
        {"type": "Linear", "name": "b", "out": 4, "inputs": ["input"]},
        {"type": "Add", "name": "join", "inputs": ["a", "b"]}]})",
          "same shape");
    fails(R"({"input": [3], "layers": [{"type": "Add"}]})", "takes 2");
    fails(R"({"input": [3], "layers": [{"type": "Linear", "name": "input", "out": 2}]})",
          "reserved");
    fails(R"({"input": [3], "layers": [{"type": "Linear", "out": 2, "inputs": "x"}]})",
          "\"inputs\" must be");
    fails(R"({"input": [3], "layers": [{"type": "Linear", "out": 2, "group": 3}]})",
          "\"group\" must be a string");
    fails(R"({"input": [3], "layers": [{"type": "Bogus"}]})", "unknown layer type (known: Conv2d");
}

// load → write → load gives the same graph (same document again) and the same outputs.
TEST(Graph, EveryPresetRoundTripsThroughItsModelFile) {
    for (const std::string& p : presetNames()) {
        if (p == "alexnet") continue;  // 61 M parameters: alexnet-mnist has the same layer types
        Net a = loadModel(p);
        a.resetParameters(2);
        const json doc = {
            {"name", a.name()}, {"input", a.inputSample().dims()}, {"layers", layersToJson(a)}};
        Net b = buildNet(doc.dump(), nullptr, "round trip");
        EXPECT_EQ(layersToJson(b), layersToJson(a)) << p;
        EXPECT_EQ(b.summary(), a.summary()) << p;
        copyWeights(a, b);
        Rng rng(1);
        Tensor x(a.inputSample().batched(2));
        for (float& v : x.vector())
            v = rng.uniform();
        EXPECT_EQ(a.forward(x, Mode::Eval).values(), b.forward(x, Mode::Eval).values()) << p;
    }
    Net r = buildNet(kResNetBlocks);
    const json doc = {{"input", r.inputSample().dims()}, {"layers", layersToJson(r)}};
    EXPECT_EQ(layersToJson(buildNet(doc.dump())), layersToJson(r));
    // Defaults are left out: the stem writes no stride and an input only where it is not the
    // previous node.
    const json stem = layersToJson(r)[0];
    EXPECT_FALSE(stem.contains("stride"));
    EXPECT_FALSE(stem.contains("inputs"));
    EXPECT_EQ(layersToJson(r)[5]["inputs"], json::array({"stem"}));
}

// Every registered type reads, writes and states its cost and field (a missing rule is a
// compile error: they are pure virtual; a missing registration fails here).
TEST(Graph, RegistryHasOneEntryPerTypeAndNamesDefaults) {
    const auto& kinds = layerKinds();
    EXPECT_GE(kinds.size(), 17u);
    EXPECT_EQ(namePrefix("Conv2d"), "conv");
    EXPECT_EQ(namePrefix("Add"), "add");
    EXPECT_EQ(findLayerKind("Bogus"), nullptr);
    EXPECT_THROW(namePrefix("Bogus"), CheckError);
    // Every layer type used in a preset or test graph is registered.
    for (const std::string& p : presetNames()) {
        Net n = loadModel(p, nullptr, Build::ShapesOnly);
        for (int i = 0; i < n.size(); ++i)
            EXPECT_NE(findLayerKind(n.layer(i).type()), nullptr) << n.layer(i).type();
    }
}

// He et al. 2016, table 6: ResNet-20 has 0.27 M parameters. Counted by hand: conv1 432 + bn 32;
// stage 1: 6 × (2,304 + 32); stage 2: 4,608 + 64 + 5 × (9,216 + 64); stage 3: 18,432 + 128 +
// 5 × (36,864 + 128); fc 650 — 269,722. Option B adds two 1×1 projections with batch norm:
// 512 + 64 and 2,048 + 128 — 272,474.
TEST(Graph, ResNet20ParameterAndOperationCounts) {
    Net a = loadModel("resnet20-cifar", nullptr, Build::ShapesOnly);
    Net b = loadModel("resnet20-cifar-b", nullptr, Build::ShapesOnly);
    Net plain = loadModel("plain20-cifar", nullptr, Build::ShapesOnly);
    EXPECT_EQ(a.numParams(), 269722);
    EXPECT_EQ(b.numParams(), 272474);
    EXPECT_EQ(plain.numParams(), 269722);
    // The MobileNetV2-style preset, counted by PyTorch from the same file (scripts/llgraph.py).
    EXPECT_EQ(loadModel("mobilenet-cifar", nullptr, Build::ShapesOnly).numParams(), 140490);
    const CostTable t = computeCosts(a);
    // MACs: conv1 3·9·16·1024 = 442,368; stage 1: 6 × 16·9·16·1024; stages 2 and 3: 1,179,648 +
    // 5 × 2,359,296 each; fc 640 — 40,551,040.
    EXPECT_EQ(t.totals.macs, 40551040);
    // Residual additions: 3 × 16·32·32 + 3 × 32·16·16 + 3 × 64·8·8.
    EXPECT_EQ(t.totals.elementwise, 86016);
    EXPECT_EQ(computeCosts(plain).totals.elementwise, 0);
    // Each block is a subtotal row holding its nodes.
    int blocks = 0;
    for (const CostRow& r : t.rows) {
        if (r.type != "Block") continue;
        ++blocks;
        EXPECT_EQ(r.depth, 0);
        EXPECT_FALSE(r.leaf);
    }
    EXPECT_EQ(blocks, 9);
    const CostRow& s2b1 = *std::find_if(t.rows.begin(), t.rows.end(),
                                        [](const CostRow& r) { return r.name == "s2b1"; });
    // 16→32 stride 2 then 32→32: 4,608 + 64 + 9,216 + 64 parameters; the shortcut has none.
    EXPECT_EQ(s2b1.cost.params(), 13952);
    EXPECT_EQ(s2b1.outputShape, Shape({32, 16, 16}));
}

// The receptive field of ResNet-20's last block by hand (Araujo et al. 2019): nineteen 3×3
// convolutions on the longest path, two of stride 2: size 1 + 2·(1 + 6) + 2·2·(1 + 5) +
// 4·2·(... ) — step by step: after the stem 3; stage 1: 15; stage 2: 17 (stride 2), then
// 5 × 4 → 37; stage 3: 41, then 5 × 8 → 81. Jump 4; start −40 (centred on pixel 0). The
// shortcuts meet the 3×3 paths aligned, so the field is the 3×3 paths'.
TEST(Graph, ResNet20ReceptiveFieldOfTheLastBlock) {
    Net net = loadModel("resnet20-cifar", nullptr, Build::ShapesOnly);
    const auto fields =
        receptiveFields(net, inputReceptiveField(net.inputSample()), net.inputSample().batched(1));
    const ReceptiveField& rf = fields[static_cast<std::size_t>(net.indexOf("s3b3.relu"))];
    ASSERT_TRUE(rf.valid) << rf.note;
    EXPECT_EQ(rf.size, (std::array<int, 2>{81, 81}));
    EXPECT_EQ(rf.jump, (std::array<int, 2>{4, 4}));
    EXPECT_EQ(rf.start, (std::array<int, 2>{-40, -40}));
    // The option-A shortcut of stage 3 alone: the stage-2 field subsampled (37, jump 4).
    const ReceptiveField& sc = fields[static_cast<std::size_t>(net.indexOf("s3b1.short"))];
    EXPECT_EQ(sc.size[0], 37);
    EXPECT_EQ(sc.jump[0], 4);
    // After global pooling every unit sees the whole input.
    const ReceptiveField& pool = fields[static_cast<std::size_t>(net.indexOf("pool"))];
    EXPECT_NE(pool.note.find("whole input"), std::string::npos);
}

// The shortcuts experiment compares plain-20 and ResNet-20 from the same start: nodes without
// parameters or randomness take no random stream, so both draw the same weights.
TEST(Graph, PlainAndResidualTwinsStartFromTheSameWeights) {
    Net plain = loadModel("plain20-cifar");
    Net res = loadModel("resnet20-cifar");
    plain.resetParameters(1);
    res.resetParameters(1);
    auto a = plain.namedParams();
    auto b = res.namedParams();
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i) {
        EXPECT_EQ(a[i].name, b[i].name);
        EXPECT_EQ(a[i].param->value.values(), b[i].param->value.values()) << a[i].name;
    }
}

// The views' analyses on a node inside a residual block: the effective receptive field of a unit
// of s1b1.add stays inside its theoretical field (7×7 from row and column 10 − 3), reaching its
// centre; Grad-CAM and saliency run on any node.
TEST(Graph, EffectiveReceptiveFieldAndGradCamOnAResidualJoin) {
    Net net = loadModel("resnet20-cifar");
    net.resetParameters(5);
    Tensor x({1, 3, 32, 32});
    Rng rng(2);
    for (float& v : x.vector())
        v = rng.normal();
    const int add = net.indexOf("s1b1.add");
    const Tensor erf = effectiveReceptiveField(net, x, add, 3, 10, 10);
    int inside = 0;
    for (int r = 0; r < 32; ++r)
        for (int c = 0; c < 32; ++c) {
            const bool in = r >= 7 && r < 14 && c >= 7 && c < 14;
            if (!in) {
                EXPECT_EQ(erf[r * 32 + c], 0.0f) << r << "," << c;
            }
            inside += in && erf[r * 32 + c] > 0;
        }
    EXPECT_GT(inside, 20);
    EXPECT_GT(erf[10 * 32 + 10], 0.0f);
    const Tensor cam = gradCam(net, x, net.indexOf("s3b3.relu"), 4);
    EXPECT_EQ(cam.shape(), Shape({8, 8}));
    const Tensor sal = saliency(net, x, 4);
    EXPECT_EQ(sal.shape(), Shape({3, 32, 32}));
    EXPECT_GT(sal.vector().cwiseAbs().sum(), 0.0f);
}

// Paths that do not line up are refused with the node and the reason.
TEST(Graph, MisalignedPathsMakeTheFieldInvalidWithAReason) {
    // Both paths give 4×4 maps, but one steps 2 input pixels per unit and the other 1.
    Net net = buildNet(R"({"input": [1, 8, 8], "layers": [
        {"type": "Conv2d", "name": "a", "out": 1, "kernel": 1, "stride": 2},
        {"type": "Conv2d", "name": "e", "inputs": ["input"], "out": 1, "kernel": 5},
        {"type": "Add", "name": "join", "inputs": ["a", "e"]}]})");
    const auto fields =
        receptiveFields(net, inputReceptiveField(net.inputSample()), net.inputSample().batched(1));
    const ReceptiveField& rf = fields.back();
    EXPECT_FALSE(rf.valid);
    EXPECT_NE(rf.note.find("'a' and 'e' of 'join' are not aligned"), std::string::npos) << rf.note;
}

// Training a graph changes every parameter of both paths (no node is skipped).
TEST(Graph, ResNetBlocksOverfitOneBatch) {
    Net net = buildNet(kResNetBlocks);
    net.resetParameters(9);
    Rng rng(3);
    Tensor x({4, 2, 6, 6});
    for (float& v : x.vector())
        v = rng.normal();
    Tensor t({4}, {0, 1, 2, 1});
    SoftmaxCrossEntropy ce;
    OptimizerOptions o;
    o.lr = 0.05f;
    auto opt = makeOptimizer("momentum", net.params(), o);
    double first = 0, last = 0;
    Tensor dz;
    for (int s = 0; s < 60; ++s) {
        net.zeroGrad();
        const Tensor& z = net.forward(x, Mode::Train);
        last = ce.forward(z, t);
        if (s == 0) first = last;
        ce.backward(z, t, dz);
        net.backward(dz);
        opt->step();
    }
    EXPECT_LT(last, 0.1 * first) << first << " → " << last;
}

}  // namespace ll

namespace ll {

// Inference-only passes release each activation after its last reader and reuse its buffer:
// the same output as forward, bit for bit, on every preset, in a fraction of the memory.
TEST(GraphInfer, SameOutputAsForwardInLessMemory) {
    for (const std::string& name : presetNames()) {
        SCOPED_TRACE(name);
        Net net = loadModel(name);
        net.resetParameters(4);
        Tensor x(net.inputSample().batched(2));
        Rng rng(9);
        for (float& v : x.vector())
            v = rng.uniform(-1.0f, 1.0f);
        const std::vector<float> want = net.forward(x, Mode::Eval).values();
        std::int64_t all = 0;
        for (int i = 0; i < net.size(); ++i)
            all += net.activation(i).numel() * 4;
        const Tensor& y = net.infer(x, {0});
        EXPECT_EQ(y.values(), want);
        EXPECT_FALSE(net.activation(0).empty());  // kept
        EXPECT_LE(net.inferPeakBytes(), all);
        if (net.size() > 4) {
            EXPECT_TRUE(net.activation(1).empty());  // released
        }
        // Buffers are reused at their own size only. LeNet-5's nodes of one size are live at
        // once (a convolution and the ReLU reading it): it has none to reuse.
        if (net.size() > 4 && name.rfind("lenet5", 0) != 0) {
            EXPECT_LT(net.inferPeakBytes(), all) << "no buffer was reused";
        }
        EXPECT_THROW(net.backward(Tensor(y.shape(), 1.0f)), CheckError);
        // forward afterwards is whole again.
        EXPECT_EQ(net.forward(x, Mode::Eval).values(), want);
        EXPECT_FALSE(net.activation(net.size() / 2).empty());
    }
    // ResNet-20: the residual joins hold their shortcut until the add reads it.
    Net r = loadModel("resnet20-cifar");
    r.resetParameters(1);
    Tensor x(r.inputSample().batched(8), 0.5f);
    r.forward(x, Mode::Eval);
    std::int64_t all = 0;
    for (int i = 0; i < r.size(); ++i)
        all += r.activation(i).numel() * 4;
    r.infer(x);
    EXPECT_LT(r.inferPeakBytes() * 7, all) << r.inferPeakBytes() << " of " << all;
}

// Backward hands a node's gradient buffer on once the node has read it: the same parameter and
// input gradients, bit for bit, as a net retaining every gradient, in the memory of a few
// activations instead of all of them; later passes reuse the buffers (whatever they held).
TEST(GraphBackward, ReleasesGradientsAfterUseWithTheSameBits) {
    for (const char* name :
         {"resnet20-cifar", "mobilenet-cifar", "inception-bottleneck", "lenet5"}) {
        SCOPED_TRACE(name);
        Net lean = loadModel(name), kept = loadModel(name);
        lean.resetParameters(6);
        kept.resetParameters(6);
        kept.retainGradients(true);
        EXPECT_FALSE(lean.retainsGradients());  // the default
        Rng rng(8);
        Tensor x(lean.inputSample().batched(3));
        for (float& v : x.vector())
            v = rng.uniform(-1.0f, 1.0f);
        // Passes 2 and 3 run on reused buffers, which hold other nodes' gradients.
        for (int pass = 0; pass < 3; ++pass) {
            SCOPED_TRACE(pass);
            Tensor dOut;
            for (Net* n : {&lean, &kept}) {
                n->zeroGrad();
                const Tensor& y = n->forward(x, Mode::Train);
                if (dOut.empty()) {
                    dOut.resize(y.shape());
                    for (float& v : dOut.vector())
                        v = rng.uniform(-1.0f, 1.0f);
                }
                n->backward(dOut, true);
            }
            EXPECT_EQ(lean.inputGrad().values(), kept.inputGrad().values());
            const std::vector<Param*> a = lean.params(), b = kept.params();
            ASSERT_EQ(a.size(), b.size());
            for (std::size_t k = 0; k < a.size(); ++k)
                ASSERT_EQ(a[k]->grad.values(), b[k]->grad.values()) << a[k]->name;
            std::int64_t all = 0;
            std::vector<std::int64_t> sizes;  // of the activations, each once
            for (int i = 0; i < lean.size(); ++i) {
                EXPECT_TRUE(lean.activationGrad(i).empty()) << lean.layer(i).label();
                EXPECT_EQ(kept.activationGrad(i).shape(), kept.activation(i).shape());
                const std::int64_t bytes = kept.activation(i).numel() * 4;
                all += bytes;
                if (std::find(sizes.begin(), sizes.end(), bytes) == sizes.end())
                    sizes.push_back(bytes);
            }
            EXPECT_GE(kept.gradientBytes(), all);
            // Buffers are reused at their own size, and at most three gradients of one size are
            // live at once: a node's, its input's, and a shortcut's waiting to be summed.
            std::int64_t bound = lean.inputGrad().numel() * 4;
            for (std::int64_t one : sizes)
                bound += 3 * one;
            EXPECT_LE(lean.gradientBytes(), bound) << lean.gradientBytes() << " of " << all;
            if (std::string(name) == "resnet20-cifar") {
                EXPECT_LT(lean.gradientBytes() * 7, all) << lean.gradientBytes() << " of " << all;
            }
        }
        // Another batch size: the spare buffers of the old one are freed.
        auto nodeGradBytes = [&lean] {  // the input's gradient is not a node's
            return lean.gradientBytes() -
                   static_cast<std::int64_t>(lean.inputGrad().capacity() * sizeof(float));
        };
        const std::int64_t three = nodeGradBytes();
        Tensor x1(lean.inputSample().batched(1), 0.25f);
        lean.forward(x1, Mode::Train);
        lean.backward(Tensor(lean.output().shape(), 1.0f));
        EXPECT_LE(nodeGradBytes() * 2, three);
    }
}

// A second inference pass starts from the first one's buffers (no allocation, no page faults):
// the same output and the same peak; a training forward in between drops them.
TEST(GraphInfer, RepeatedPassesReuseTheirBuffers) {
    Net r = loadModel("resnet20-cifar");
    r.resetParameters(3);
    Tensor x(r.inputSample().batched(4));
    Rng rng(5);
    for (float& v : x.vector())
        v = rng.uniform(-1.0f, 1.0f);
    Tensor x1(r.inputSample().batched(1));
    std::copy(x.data(), x.data() + x1.numel(), x1.data());
    const std::vector<float> wantOne = r.forward(x1, Mode::Eval).values();
    const std::vector<float> want = r.infer(x).values();
    const std::int64_t peak = r.inferPeakBytes();
    for (int pass = 0; pass < 3; ++pass) {
        EXPECT_EQ(r.infer(x).values(), want);
        EXPECT_LE(r.inferPeakBytes(), peak) << "pass " << pass;
    }
    r.forward(x, Mode::Eval);
    EXPECT_EQ(r.infer(x).values(), want);
    EXPECT_LE(r.inferPeakBytes(), peak);
    // A smaller batch reuses what fits and stays correct.
    EXPECT_EQ(r.infer(x1).values(), wantOne);
    EXPECT_LE(r.inferPeakBytes(), peak);
}

// Inference runs conv → batch norm → ReLU chains as one step (the BN and ReLU inside the
// convolution's output loop), with forward's bits; a node asked for is never fused away.
TEST(GraphInfer, FusesConvBatchNormReluWithTheSameBits) {
    Net r = loadModel("resnet20-cifar");
    r.resetParameters(3);
    // Non-trivial running statistics and affine parameters, so the fused BN has work to do.
    Rng rng(8);
    for (NamedBuffer& b : r.namedBuffers())
        for (float& v : b.tensor->vector())
            v = b.name.find("var") != std::string::npos ? rng.uniform(0.5f, 2.0f)
                                                        : rng.uniform(-0.5f, 0.5f);
    for (NamedParam& p : r.namedParams())
        if (p.name.find("bn") != std::string::npos)
            for (float& v : p.param->value.vector())
                v += rng.uniform(-0.3f, 0.3f);
    Tensor x(r.inputSample().batched(3));
    for (float& v : x.vector())
        v = rng.uniform(-1.0f, 1.0f);
    const std::vector<float> want = r.forward(x, Mode::Eval).values();
    const int conv1 = r.indexOf("conv1"), bn1 = r.indexOf("bn1"), relu1 = r.indexOf("relu1");
    ASSERT_GE(conv1, 0);
    ASSERT_EQ(bn1, conv1 + 1);
    ASSERT_EQ(relu1, conv1 + 2);
    const std::vector<float> wantBn1 = r.activation(bn1).values();
    NodeTimes t;
    r.setProfile(&t);
    EXPECT_EQ(r.infer(x).values(), want);
    EXPECT_GT(t.forward[static_cast<std::size_t>(conv1)], 0.0);
    EXPECT_EQ(t.forward[static_cast<std::size_t>(bn1)], 0.0) << "bn1 ran on its own";
    EXPECT_EQ(t.forward[static_cast<std::size_t>(relu1)], 0.0) << "relu1 ran on its own";
    // Keeping bn1: conv1 + bn1 still fuse, but stop there: bn1 is materialized, and relu1 runs.
    t = NodeTimes();
    r.setProfile(&t);
    EXPECT_EQ(r.infer(x, {bn1}).values(), want);
    EXPECT_EQ(r.activation(bn1).values(), wantBn1);
    EXPECT_GT(t.forward[static_cast<std::size_t>(relu1)], 0.0);
    // Keeping conv1: nothing fuses into it; bn1 runs on its own.
    r.forward(x, Mode::Eval);
    const std::vector<float> wantConv1 = r.activation(conv1).values();
    t = NodeTimes();
    r.setProfile(&t);
    EXPECT_EQ(r.infer(x, {conv1}).values(), want);
    r.setProfile(nullptr);
    EXPECT_EQ(r.activation(conv1).values(), wantConv1);
    EXPECT_GT(t.forward[static_cast<std::size_t>(bn1)], 0.0);
}

// With a profile set, every node's passes are timed; without one, nothing is recorded.
TEST(NetProfile, TimesEveryNodeOfForwardAndBackward) {
    Net r = loadModel("resnet20-cifar");
    r.resetParameters(3);
    Tensor x(r.inputSample().batched(2), 0.25f);
    NodeTimes t;
    r.setProfile(&t);
    ASSERT_EQ(t.forward.size(), static_cast<std::size_t>(r.size()));
    const Tensor& z = r.forward(x, Mode::Train);
    r.backward(Tensor(z.shape(), 1.0f));
    r.setProfile(nullptr);
    double sum = 0;
    for (int i = 0; i < r.size(); ++i) {
        EXPECT_GT(t.forward[static_cast<std::size_t>(i)], 0.0) << r.layer(i).name();
        EXPECT_GT(t.backward[static_cast<std::size_t>(i)], 0.0) << r.layer(i).name();
        sum += t.forward[static_cast<std::size_t>(i)];
    }
    const NodeTimes before = t;
    r.forward(x, Mode::Train);
    r.infer(x);
    EXPECT_EQ(t.forward, before.forward);
    EXPECT_GT(sum, 0.0);
}

}  // namespace ll
