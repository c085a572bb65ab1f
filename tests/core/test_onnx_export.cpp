// ONNX export: every preset and a graph holding every exportable layer type are written, checked
// by ONNX's checker, imported back with LayerLens' importer and run against the original on a
// random batch; what the importer cannot read back (GELU's erf, ChannelPad's channel padding) is
// evaluated from the file's nodes and initializers here; and the refusals.
#include "support/check.h"

#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>

#include <unistd.h>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <onnx/shape_inference/implementation.h>

#include "core/analysis/cost.h"
#include "core/layers/batch_norm.h"
#include "core/model_file.h"
#include "core/onnx/onnx_export.h"
#include "core/onnx/onnx_import.h"

#ifdef LAYERLENS_HAVE_OPENCV_DNN
#include <opencv2/dnn.hpp>
#endif

namespace ll {
namespace {

namespace fs = std::filesystem;

fs::path tempDir() {
    const fs::path d = fs::temp_directory_path() / strCat("ll_onnx_export_", ::getpid());
    fs::create_directories(d);
    return d;
}

Tensor randomBatch(const Shape& sample, int n, std::uint64_t seed) {
    Rng rng(seed);
    Tensor x(sample.batched(n));
    float* p = x.data();
    for (std::int64_t i = 0; i < x.numel(); ++i)
        p[i] = rng.normal();
    return x;
}

// Gives batch norms statistics and affine parameters other than the initial ones (γ = 1, β = 0,
// μ = 0, σ² = 1), so a swapped or ignored tensor shows.
void perturbNorms(Net& net, std::uint64_t seed) {
    Rng rng(seed);
    const auto fill = [&](Tensor& t, float lo, float hi) {
        for (std::int64_t i = 0; i < t.numel(); ++i)
            t.data()[i] = rng.uniform(lo, hi);
    };
    for (int i = 0; i < net.size(); ++i) {
        Layer& l = net.layer(i);
        for (int b = 0; b < l.numBranches(); ++b)
            perturbNorms(l.branch(b), seed + 100 + static_cast<std::uint64_t>(b));
        auto* bn = dynamic_cast<BatchNorm*>(&l);
        if (!bn) continue;
        fill(bn->gamma().value, 0.5f, 1.5f);
        fill(bn->beta().value, -0.3f, 0.3f);
        fill(bn->runningMean(), -0.5f, 0.5f);
        fill(bn->runningVar(), 0.5f, 2.0f);
    }
}

struct Diff {
    float maxAbs = 0, maxRel = 0;
    bool bitwise = true;
};

Diff compare(const Tensor& a, const Tensor& b) {
    Diff d;
    EXPECT_EQ(a.shape(), b.shape());
    if (a.shape() != b.shape()) return d;
    for (std::int64_t i = 0; i < a.numel(); ++i) {
        const float x = a.data()[i], y = b.data()[i];
        const float e = std::fabs(x - y);
        d.maxAbs = std::max(d.maxAbs, e);
        d.maxRel = std::max(d.maxRel, e / std::max({std::fabs(x), std::fabs(y), 1.0f}));
        if (std::memcmp(&x, &y, sizeof x) != 0) d.bitwise = false;
    }
    return d;
}

onnx::ModelProto parse(const std::string& bytes) {
    onnx::ModelProto m;
    EXPECT_TRUE(m.ParseFromString(bytes));
    return m;
}

// The full checker (model level) and ONNX's shape inference: the declared output shape must be
// the one inferred through every node.
void expectValid(const onnx::ModelProto& exported, const Net& net) {
    onnx::ModelProto m = exported;
    EXPECT_NO_THROW(onnx::checker::check_model(m));
    EXPECT_EQ(m.ir_version(), kOnnxExportIrVersion);
    ASSERT_EQ(m.opset_import_size(), 1);
    EXPECT_EQ(m.opset_import(0).version(), kOnnxExportOpset);
    EXPECT_EQ(m.producer_name(), "LayerLens");
    // Strict: a node whose shapes or types do not infer, or an inferred output shape that
    // disagrees with the declared one, throws.
    ASSERT_NO_THROW(onnx::shape_inference::InferShapes(
        m, onnx::OpSchemaRegistry::Instance(),
        onnx::ShapeInferenceOptions(/*check_type=*/true, /*error_mode=*/1,
                                    /*enable_data_propagation=*/true)));
    const auto& g = m.graph();
    ASSERT_EQ(g.input_size(), 1);
    EXPECT_EQ(g.input(0).name(), "input");
    EXPECT_EQ(g.input(0).type().tensor_type().shape().dim(0).dim_param(), "N");
    ASSERT_EQ(g.output_size(), 1);
    EXPECT_EQ(g.output(0).name(), "output");
    const Shape out = net.outputSample();
    const auto& dims = g.output(0).type().tensor_type().shape().dim();
    ASSERT_EQ(dims.size(), out.rank());
    for (int i = 1; i < out.rank(); ++i)
        EXPECT_EQ(dims[i].dim_value(), out[i]) << "output dimension " << i;
    // The shapes ONNX infers for the top-level nodes' outputs (tensors named as the nodes) are
    // LayerLens' (batch aside).
    int compared = 0;
    const std::vector<Shape> shapes = net.outputShapes();
    for (const auto& v : g.value_info()) {
        const int i = net.indexOf(v.name());
        if (i < 0) continue;
        const Shape& want = shapes[static_cast<std::size_t>(i)];
        const auto& d = v.type().tensor_type().shape().dim();
        ASSERT_EQ(d.size(), want.rank()) << v.name();
        for (int k = 1; k < want.rank(); ++k)
            EXPECT_EQ(d[k].dim_value(), want[k]) << v.name() << " dimension " << k;
        ++compared;
    }
    // Every node but the last (the output) and those the exporter only aliases.
    if (net.size() > 1) {
        EXPECT_GT(compared, 0);
    }
}

bool sameCosts(const CostCounts& a, const CostCounts& b) {
    return a.weights == b.weights && a.biases == b.biases &&
           a.multiplications == b.multiplications && a.additions == b.additions &&
           a.macs == b.macs && a.poolOps == b.poolOps && a.normOps == b.normOps &&
           a.activations == b.activations && a.elementwise == b.elementwise && a.flops == b.flops &&
           a.activationBytes == b.activationBytes;
}

const onnx::AttributeProto& attribute(const onnx::ModelProto& m, const std::string& node,
                                      const std::string& name) {
    static const onnx::AttributeProto none;
    for (const auto& n : m.graph().node())
        if (n.name() == node)
            for (const auto& a : n.attribute())
                if (a.name() == name) return a;
    ADD_FAILURE() << "node " << node << " has no attribute " << name;
    return none;
}
std::vector<std::int64_t> ints(const onnx::AttributeProto& a) {
    return {a.ints().begin(), a.ints().end()};
}

bool mentions(const std::vector<std::string>& warnings, const std::string& what) {
    for (const std::string& w : warnings)
        if (w.find(what) != std::string::npos) return true;
    return false;
}

// ---------------------------------------------------------------------------------------------
// Presets: exported, imported back, run against the original.

TEST(OnnxExport, EveryPresetRoundTripsThroughTheImporter) {
    const fs::path dir = tempDir();
    int exported = 0, imported = 0;
    for (const std::string& name : presetNames()) {
        SCOPED_TRACE(name);
        Net net = loadModel(name);
        net.resetParameters(1);
        perturbNorms(net, 7);
        const std::string path = (dir / (name + ".onnx")).string();
        std::vector<std::string> warnings;
        ASSERT_NO_THROW(warnings = exportOnnx(net, path)) << name;
        ++exported;
        std::ifstream in(path, std::ios::binary);
        const std::string bytes((std::istreambuf_iterator<char>(in)), {});
        expectValid(parse(bytes), net);

        const Tensor x = randomBatch(net.inputSample(), 3, 11);
        const Tensor want = net.forward(x, Mode::Eval);
        if (mentions(warnings, "importer does not read")) {
            // ResNet-20's option-A shortcut (ChannelPad): checked below, from the file's nodes.
            EXPECT_THROW(loadModel(path), ModelError);
            std::printf("[ export ] %-22s exported; not importable back (%s)\n", name.c_str(),
                        warnings.front().c_str());
            continue;
        }
        ModelSpec spec;
        Net back = loadModel(path, &spec);
        ++imported;
        EXPECT_TRUE(back.pretrained());
        // Node names survive: every original node is found by its name.
        for (int i = 0; i < net.size(); ++i)
            EXPECT_GE(back.indexOf(net.layer(i).name()), 0) << net.layer(i).name();
        const Diff d = compare(want, back.forward(x, Mode::Eval));
        EXPECT_LE(d.maxRel, 1e-5f);
        std::printf("[ export ] %-22s max |dy| %.3g, relative %.3g%s\n", name.c_str(), d.maxAbs,
                    d.maxRel, d.bitwise ? " (bitwise equal)" : "");
        if (mentions(warnings, "SparseConv2d")) {
            // LeNet-5's C3 comes back dense: 60 of its 16·6 kernels were not connected.
            EXPECT_EQ(back.numParams(), net.numParams() + (16 * 6 - 60) * 25);
            continue;
        }
        EXPECT_TRUE(warnings.empty()) << warnings.front();
        EXPECT_EQ(back.numParams(), net.numParams());
        EXPECT_TRUE(sameCosts(computeCosts(net).totals, computeCosts(back).totals));
    }
    EXPECT_EQ(exported, static_cast<int>(presetNames().size()));
    EXPECT_EQ(imported, exported);  // every preset, ResNet-20's option-A shortcuts included
    fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// One graph with every layer type the importer reads back.

const char* kEveryType = R"({
  "name": "every-type", "input": [4, 12, 12], "dataset": "none",
  "layers": [
    {"type": "Conv2d", "name": "c1", "out": 8, "kernel": 3, "padding": 1},
    {"type": "BatchNorm2d", "name": "bn1", "eps": 0.001, "momentum": 0.2},
    {"type": "ReLU", "name": "relu1"},
    {"type": "Conv2d", "name": "c2", "out": 8, "kernel": 3, "padding": 2, "dilation": 2,
     "groups": 2},
    {"type": "LeakyReLU", "name": "lrelu", "slope": 0.2},
    {"type": "Conv2d", "name": "c3", "out": 8, "kernel": [3, 2], "padding": [1, 0, 1, 1],
     "bias": false},
    {"type": "Sigmoid", "name": "sig"},
    {"type": "Tanh", "name": "tanh"},
    {"type": "ReLU6", "name": "relu6"},
    {"type": "HardSigmoid", "name": "hsig"},
    {"type": "HardSwish", "name": "hswish"},
    {"type": "SiLU", "name": "silu"},
    {"type": "Identity", "name": "ident"},
    {"type": "Add", "name": "sum3", "inputs": ["relu1", "lrelu", "ident"]},
    {"type": "Add", "name": "add2", "inputs": ["sum3", "c2"]},
    {"type": "GlobalAvgPool2d", "name": "gap"},
    {"type": "Sigmoid", "name": "gate"},
    {"type": "Mul", "name": "se", "inputs": ["add2", "gate"]},
    {"type": "Concat", "name": "cat", "inputs": ["se", "relu1"]},
    {"type": "SparseConv2d", "name": "sparse", "out": 4, "kernel": 3, "padding": 1,
     "connections": [[0, 1], [2, 3, 4], [15], [0, 5, 10, 15]]},
    {"type": "ZeroPad2d", "name": "zpad", "padding": [0, 1, 2, 3]},
    {"type": "MaxPool2d", "name": "mpool", "kernel": 3, "stride": 2, "padding": 1,
     "ceil_mode": true},
    {"type": "LRN", "name": "lrn3", "size": 3, "alpha": 0.01, "beta": 0.6, "k": 2},
    {"type": "LRN", "name": "lrn4", "size": 4, "window": "onnx"},
    {"type": "Concat", "name": "incep", "branches": [
      {"name": "b1", "layers": [{"type": "Conv2d", "out": 2, "kernel": 1}, {"type": "ReLU"}]},
      {"name": "b2", "layers": [{"type": "AvgPool2d", "kernel": 3, "stride": 1, "padding": 1,
                                 "count_include_pad": false}]},
      {"name": "b3", "layers": []}
    ]},
    {"type": "Dropout", "name": "drop", "p": 0.3},
    {"type": "AvgPool2d", "name": "apool", "kernel": 2},
    {"type": "AdaptiveAvgPool2d", "name": "adapt", "output": [2, 2]},
    {"type": "Flatten", "name": "flat"},
    {"type": "Linear", "name": "fc1", "out": 16},
    {"type": "BatchNorm1d", "name": "bn2"},
    {"type": "Linear", "name": "fc2", "out": 5, "bias": false},
    {"type": "Softmax", "name": "softmax"}
  ]
})";

TEST(OnnxExport, EveryLayerTypeRoundTrips) {
    Net net = buildNet(kEveryType, nullptr, "every-type");
    net.resetParameters(3);
    perturbNorms(net, 5);
    const OnnxExportResult r = exportOnnxModel(net);
    const onnx::ModelProto m = parse(r.bytes);
    expectValid(m, net);
    std::map<std::string, std::string> ops;  // node name → op
    for (const auto& n : m.graph().node())
        ops[n.name()] = n.op_type();
    EXPECT_EQ(ops["c2"], "Conv");
    EXPECT_EQ(ops["sparse"], "Conv");
    EXPECT_EQ(ops["fc1"], "Gemm");
    EXPECT_EQ(ops["bn2"], "BatchNormalization");
    EXPECT_EQ(ops["relu6"], "Clip");
    EXPECT_EQ(ops["hswish"], "Mul");
    EXPECT_EQ(ops["hswish/hardsigmoid"], "HardSigmoid");
    EXPECT_EQ(ops["silu/sigmoid"], "Sigmoid");
    EXPECT_EQ(ops["sum3"], "Sum");
    EXPECT_EQ(ops["add2"], "Add");
    EXPECT_EQ(ops["incep.b1.conv1"], "Conv");
    EXPECT_EQ(ops["incep"], "Concat");
    EXPECT_EQ(ops["adapt"], "AveragePool");
    EXPECT_EQ(ops["zpad"], "Pad");
    EXPECT_FLOAT_EQ(attribute(m, "bn1", "momentum").f(), 0.8f);
    EXPECT_FLOAT_EQ(attribute(m, "bn1", "epsilon").f(), 0.001f);
    EXPECT_EQ(ints(attribute(m, "c3", "pads")), (std::vector<std::int64_t>{1, 0, 1, 1}));
    EXPECT_EQ(ints(attribute(m, "c3", "kernel_shape")), (std::vector<std::int64_t>{3, 2}));
    EXPECT_EQ(attribute(m, "c2", "group").i(), 2);
    EXPECT_EQ(ints(attribute(m, "c2", "dilations")), (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(attribute(m, "mpool", "ceil_mode").i(), 1);
    EXPECT_EQ(attribute(m, "incep.b2.pool1", "count_include_pad").i(), 0);
    EXPECT_EQ(ints(attribute(m, "adapt", "kernel_shape")), (std::vector<std::int64_t>{2, 2}));
    EXPECT_EQ(ints(attribute(m, "adapt", "strides")), (std::vector<std::int64_t>{2, 2}));
    EXPECT_FLOAT_EQ(attribute(m, "lrelu", "alpha").f(), 0.2f);
    EXPECT_EQ(attribute(m, "lrn4", "size").i(), 4);
    EXPECT_FLOAT_EQ(attribute(m, "lrn3", "bias").f(), 2.0f);
    EXPECT_TRUE(mentions(r.warnings, "'sparse' (SparseConv2d)"));
    EXPECT_TRUE(mentions(r.warnings, "'hswish' (HardSwish)"));
    EXPECT_TRUE(mentions(r.warnings, "'silu' (SiLU)"));

    const fs::path dir = tempDir();
    const std::string path = (dir / "every-type.onnx").string();
    exportOnnx(net, path);
    Net back = loadModel(path);
    const Tensor x = randomBatch(net.inputSample(), 4, 21);
    const Tensor want = net.forward(x, Mode::Eval);
    const Diff d = compare(want, back.forward(x, Mode::Eval));
    EXPECT_LE(d.maxRel, 1e-5f);
    std::printf("[ export ] every-type: max |dy| %.3g, relative %.3g%s\n", d.maxAbs, d.maxRel,
                d.bitwise ? " (bitwise equal)" : "");
    // Every intermediate node with an output of its own compares too (same names).
    for (int i = 0; i < net.size(); ++i) {
        const int j = back.indexOf(net.layer(i).name());
        if (j < 0 || net.layer(i).isModule()) continue;
        const Diff di = compare(net.activation(i), back.activation(j));
        EXPECT_LE(di.maxRel, 1e-5f) << net.layer(i).name();
    }
    // Parameters: the sparse kernels come back dense, everything else as it was.
    EXPECT_EQ(back.numParams(), net.numParams() + (4 * 16 - 10) * 9);
    fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// What LayerLens' importer does not read back, evaluated from the file itself.

const onnx::TensorProto& initializer(const onnx::ModelProto& m, const std::string& name) {
    for (const auto& t : m.graph().initializer())
        if (t.name() == name) return t;
    throw std::runtime_error("no initializer " + name);
}
float scalarOf(const onnx::ModelProto& m, const std::string& name) {
    const auto& t = initializer(m, name);
    EXPECT_EQ(t.raw_data().size(), 4u);
    float v;
    std::memcpy(&v, t.raw_data().data(), 4);
    return v;
}
std::vector<std::int64_t> intsOf(const onnx::ModelProto& m, const std::string& name) {
    const auto& t = initializer(m, name);
    std::vector<std::int64_t> v(t.raw_data().size() / 8);
    std::memcpy(v.data(), t.raw_data().data(), v.size() * 8);
    return v;
}

// A small interpreter of the element-wise nodes the exporter writes for GELU: tensors of one
// shape, and scalar initializers broadcast.
std::vector<float> runElementwise(const onnx::ModelProto& m, const std::vector<float>& x) {
    std::map<std::string, std::vector<float>> v{{"input", x}};
    for (const auto& t : m.graph().initializer())
        v[t.name()] = {scalarOf(m, t.name())};
    for (const auto& n : m.graph().node()) {
        const std::vector<float>& a = v.at(n.input(0));
        std::vector<float> y(a.size());
        for (std::size_t i = 0; i < a.size(); ++i) {
            if (n.op_type() == "Erf") {
                y[i] = std::erf(a[i]);
                continue;
            }
            const std::vector<float>& b = v.at(n.input(1));
            const float bi = b.size() == 1 ? b[0] : b[i];
            if (n.op_type() == "Div")
                y[i] = a[i] / bi;
            else if (n.op_type() == "Add")
                y[i] = a[i] + bi;
            else if (n.op_type() == "Mul")
                y[i] = a[i] * bi;
            else
                ADD_FAILURE() << "unexpected " << n.op_type();
        }
        v[n.output(0)] = y;
    }
    return v.at("output");
}

TEST(OnnxExport, GeluIsTheErfFormula) {
    Net net = buildNet(R"({"name": "g", "input": [7], "dataset": "none",
                           "layers": [{"type": "GELU", "name": "act"}]})");
    const OnnxExportResult r = exportOnnxModel(net);
    const onnx::ModelProto m = parse(r.bytes);
    expectValid(m, net);
    EXPECT_TRUE(mentions(r.warnings, "'act' (GELU)"));
    std::vector<std::string> ops;
    for (const auto& n : m.graph().node())
        ops.push_back(n.op_type());
    EXPECT_EQ(ops, (std::vector<std::string>{"Div", "Erf", "Add", "Mul", "Mul"}));
    EXPECT_EQ(m.graph().node(4).name(), "act");
    EXPECT_FLOAT_EQ(scalarOf(m, m.graph().node(0).input(1)), std::sqrt(2.0f));
    const Tensor x(Shape{2, 7}, {-6, -3, -1, -0.5f, 0, 0.25f, 1, 2, 3, 4, -2, 10, 0.1f, -0.1f});
    const Diff d =
        compare(net.forward(x, Mode::Eval), Tensor(x.shape(), runElementwise(m, x.values())));
    EXPECT_LE(d.maxRel, 1e-6f);
    // The importer reads the chain back as one GELU node, named as the original.
    const fs::path dir = tempDir();
    const std::string path = (dir / "gelu.onnx").string();
    exportOnnx(net, path);
    Net back = loadModel(path);
    ASSERT_EQ(back.size(), 1);
    EXPECT_STREQ(back.layer(0).type(), "GELU");
    EXPECT_EQ(back.layer(0).name(), "act");
    EXPECT_EQ(back.forward(x, Mode::Eval).values(), net.forward(x, Mode::Eval).values());
    fs::remove_all(dir);
}

// ChannelPad (ResNet's option A): a strided Slice then a Pad of the channels, checked by applying
// the file's steps and pads to the input here.
TEST(OnnxExport, ChannelPadIsSliceAndPad) {
    for (int stride : {1, 2}) {
        SCOPED_TRACE(stride);
        Net net = buildNet(strCat(R"({"name": "cp", "input": [3, 5, 5], "dataset": "none",
            "layers": [{"type": "ChannelPad", "name": "short", "out": 8, "stride": )",
                                  stride, "}]}"));
        const OnnxExportResult r = exportOnnxModel(net);
        const onnx::ModelProto m = parse(r.bytes);
        expectValid(m, net);
        EXPECT_TRUE(r.warnings.empty()) << r.warnings.front();
        const auto& nodes = m.graph().node();
        ASSERT_EQ(nodes.size(), stride > 1 ? 2 : 1);
        const auto& pad = nodes[nodes.size() - 1];
        EXPECT_EQ(pad.op_type(), "Pad");
        EXPECT_EQ(pad.name(), "short");
        const std::vector<std::int64_t> pads = intsOf(m, pad.input(1));
        ASSERT_EQ(pads.size(), 8u);
        std::int64_t step = 1;
        if (stride > 1) {
            EXPECT_EQ(nodes[0].op_type(), "Slice");
            EXPECT_EQ(intsOf(m, nodes[0].input(3)), (std::vector<std::int64_t>{2, 3}));
            const auto steps = intsOf(m, nodes[0].input(4));
            ASSERT_EQ(steps.size(), 2u);
            EXPECT_EQ(steps[0], steps[1]);
            step = steps[0];
        }
        const Tensor x = randomBatch(net.inputSample(), 2, 3);
        const Tensor& y = net.forward(x, Mode::Eval);
        const int Ho = static_cast<int>((5 + step - 1) / step);
        const int C = static_cast<int>(3 + pads[1] + pads[5]);
        ASSERT_EQ(y.shape(), (Shape{2, C, Ho, Ho}));
        for (int n = 0; n < 2; ++n)
            for (int c = 0; c < C; ++c)
                for (int h = 0; h < Ho; ++h)
                    for (int w = 0; w < Ho; ++w) {
                        const int ci = c - static_cast<int>(pads[1]);
                        const float want =
                            ci < 0 || ci >= 3
                                ? 0.0f
                                : x.data()[((n * 3 + ci) * 5 + h * step) * 5 + w * step];
                        EXPECT_EQ(y.data()[((n * C + c) * Ho + h) * Ho + w], want);
                    }
        // The importer reads Slice + Pad back as one ChannelPad.
        const fs::path dir = tempDir();
        const std::string path = (dir / "cp.onnx").string();
        exportOnnx(net, path);
        Net back = loadModel(path);
        ASSERT_EQ(back.size(), 1);
        EXPECT_STREQ(back.layer(0).type(), "ChannelPad");
        EXPECT_EQ(back.layer(0).name(), "short");
        EXPECT_EQ(back.forward(x, Mode::Eval).values(), y.values());
        fs::remove_all(dir);
    }
}

// ---------------------------------------------------------------------------------------------
// Refusals.

template <typename F>
void expectRefused(F f, std::initializer_list<const char*> fragments) {
    try {
        f();
        ADD_FAILURE() << "no error";
    } catch (const ModelError& e) {
        for (const char* frag : fragments)
            EXPECT_NE(std::string(e.what()).find(frag), std::string::npos)
                << "'" << frag << "' missing from: " << e.what();
    }
}

// A layer type the exporter does not know.
class Square : public Layer {
public:
    const char* type() const override { return "Square"; }
    Shape outputShape(const Shape& in) const override { return in; }
    LayerCost cost(const std::vector<Shape>&, const Shape&) const override { return {}; }
    FieldRule fieldRule(const Shape&) const override { return FieldRule::same(); }
    void write(nlohmann::json&) const override {}

protected:
    void forwardImpl(const Tensor& x, Tensor& y, Mode) override {
        y.vector() = x.vector().cwiseProduct(x.vector());
    }
    void backwardImpl(const Tensor&, const Tensor&, const Tensor&, Tensor*) override {}
};

TEST(OnnxExport, RefusesWhatOnnxCannotSayExactly) {
    Net lrn = buildNet(R"({"name": "l", "input": [6, 4, 4], "dataset": "none",
                           "layers": [{"type": "LRN", "name": "norm", "size": 4}]})");
    expectRefused([&] { exportOnnxModel(lrn); }, {"'norm' (LRN)", "PyTorch's window", "odd"});
    // An odd size has one window: it exports.
    Net lrn5 = buildNet(R"({"name": "l", "input": [6, 4, 4], "dataset": "none",
                            "layers": [{"type": "LRN", "name": "norm", "size": 5}]})");
    EXPECT_NO_THROW(exportOnnxModel(lrn5));

    Net adaptive = buildNet(R"({"name": "a", "input": [2, 7, 7], "dataset": "none",
        "layers": [{"type": "AdaptiveAvgPool2d", "name": "pool", "output": 3}]})");
    expectRefused([&] { exportOnnxModel(adaptive); },
                  {"'pool' (AdaptiveAvgPool2d)", "7×7 onto 3×3", "overlapping"});

    Net custom("custom", Shape{5});
    auto sq = std::make_unique<Square>();
    sq->setName("sq");
    custom.add(std::move(sq));
    expectRefused([&] { exportOnnxModel(custom); }, {"'sq' (Square)", "no ONNX export"});

    Net shapes = loadModel("lenet5", nullptr, Build::ShapesOnly);
    expectRefused([&] { exportOnnxModel(shapes); }, {"shapes only"});

    // Nothing is written when the export is refused.
    const fs::path dir = tempDir();
    const std::string path = (dir / "refused.onnx").string();
    expectRefused([&] { exportOnnx(lrn, path); }, {"norm"});
    EXPECT_FALSE(fs::exists(path));
    fs::remove_all(dir);
}

TEST(OnnxExport, ClassNamesGoToTheMetadata) {
    Net net = loadModel("logreg");
    net.resetParameters(1);
    OnnxExportOptions o;
    o.classNames = {"zero", "one", "two", "three", "four", "five", "six", "seven", "eight", "nine"};
    const fs::path dir = tempDir();
    const std::string path = (dir / "logreg.onnx").string();
    exportOnnx(net, path, o);
    ModelSpec spec;
    loadModel(path, &spec);
    EXPECT_EQ(spec.classNames, o.classNames);
    fs::remove_all(dir);
}

// ---------------------------------------------------------------------------------------------
// Another engine: OpenCV's DNN module runs the exported files (its own kernels, so float32
// rounding differs).

#ifdef LAYERLENS_HAVE_OPENCV_DNN
TEST(OnnxExport, OpenCvRunsTheExportedFiles) {
    const fs::path dir = tempDir();
    for (const char* name :
         {"lenet5", "lenet5-c3", "resnet20-cifar", "resnet20-cifar-b", "vgg-cifar",
          "inception-bottleneck", "smallnet-bn", "mobilenet-cifar"}) {
        SCOPED_TRACE(name);
        Net net = loadModel(name);
        net.resetParameters(1);
        perturbNorms(net, 7);
        const std::string path = (dir / (std::string(name) + ".onnx")).string();
        exportOnnx(net, path);
        const Tensor x = randomBatch(net.inputSample(), 2, 13);
        const Tensor& want = net.forward(x, Mode::Eval);
        cv::dnn::Net cvNet;
        try {
            cvNet = cv::dnn::readNetFromONNX(path);
        } catch (const cv::Exception& e) {
            // OpenCV 4.6 parses Clip only in its opset < 11 form (min and max attributes); opset
            // 13 has them as inputs, so ReLU6 (MobileNet) cannot be read there.
            if (std::string(e.what()).find("[Clip@") != std::string::npos) {
                std::printf(
                    "[ export ] OpenCV %s cannot read %s: its Clip parser takes one "
                    "input (ReLU6 is Clip(x, 0, 6) in opset 13)\n",
                    CV_VERSION, name);
                continue;
            }
            ADD_FAILURE() << "OpenCV cannot read " << name << ": " << e.what();
            continue;
        }
        std::vector<int> dims;
        for (int d : x.shape().dims())
            dims.push_back(d);
        cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F,
                     const_cast<float*>(x.data()));
        cvNet.setInput(blob, "input");
        const cv::Mat y = cvNet.forward();
        ASSERT_EQ(static_cast<std::int64_t>(y.total()), want.numel());
        float maxAbs = 0, scale = 0;
        for (std::int64_t i = 0; i < want.numel(); ++i) {
            maxAbs = std::max(maxAbs, std::fabs(y.ptr<float>()[i] - want.data()[i]));
            scale = std::max(scale, std::fabs(want.data()[i]));
        }
        EXPECT_LE(maxAbs, 1e-4f * std::max(scale, 1.0f));
        std::printf("[ export ] OpenCV %s on %-16s max |dy| %.3g (output up to %.3g)\n", CV_VERSION,
                    name, maxAbs, scale);
    }
    fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace ll
