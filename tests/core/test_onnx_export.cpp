// ONNX export: every preset and a graph holding every exportable layer type are written, checked
// by ONNX's checker, imported back with LayerLens' importer and run against the original on a
// random batch; what the importer cannot read back (GELU's erf, ChannelPad's channel padding) is
// evaluated from the file's nodes and initializers here; the refusals; and external data (the
// weights in a side file: read back here, by ONNX's Python library and by OpenCV).
#include "support/check.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <map>
#include <utility>

#include <sys/wait.h>
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
// External data: the weights in one side file beside the .onnx (forced here by a small
// threshold, so no test writes 2 GB).

std::string readAll(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

onnx::ModelProto parseFile(const std::string& path) {
    return parse(readAll(path));
}

std::map<std::string, std::string> externalKeys(const onnx::TensorProto& t) {
    std::map<std::string, std::string> kv;
    for (const auto& e : t.external_data())
        kv[e.key()] = e.value();
    return kv;
}

// Files left in `dir` by an interrupted writer ("<name>.tmp.<pid>").
int tempFilesIn(const fs::path& dir) {
    int n = 0;
    for (const auto& e : fs::directory_iterator(dir))
        if (e.path().filename().string().find(".tmp.") != std::string::npos) ++n;
    return n;
}

template <class E, class F>
std::string errorOf(F f) {
    try {
        f();
    } catch (const E& e) {
        return e.what();
    } catch (const std::exception& e) {
        ADD_FAILURE() << "another error than expected: " << e.what();
        return e.what();
    }
    ADD_FAILURE() << "no error";
    return {};
}

// Checks the pair written to `path` against the same net exported inline (`inl`): every
// initializer of 1024 bytes or more is external, at a 4096-aligned offset of the side file
// `side`, with the inline tensor's bytes there; the rest are inline. Returns the number of
// external tensors.
int expectExternalPair(const std::string& path, const std::string& side,
                       const onnx::ModelProto& inl) {
    const onnx::ModelProto m = parseFile(path);
    const std::string data = readAll((fs::path(path).parent_path() / side).string());
    std::map<std::string, const onnx::TensorProto*> want;
    for (const auto& t : inl.graph().initializer())
        want[t.name()] = &t;
    EXPECT_EQ(m.graph().initializer_size(), inl.graph().initializer_size());
    int external = 0;
    std::uint64_t end = 0;  // of the tensor before, in file order
    for (const auto& t : m.graph().initializer()) {
        SCOPED_TRACE(t.name());
        const onnx::TensorProto* w = want.at(t.name());
        if (w->raw_data().size() < 1024) {
            EXPECT_FALSE(t.data_location() == onnx::TensorProto::EXTERNAL);
            EXPECT_EQ(t.raw_data(), w->raw_data());
            continue;
        }
        EXPECT_EQ(t.data_location(), onnx::TensorProto::EXTERNAL);
        EXPECT_TRUE(t.raw_data().empty());
        auto kv = externalKeys(t);
        EXPECT_EQ(kv["location"], side);
        const std::uint64_t offset = std::stoull(kv["offset"]), length = std::stoull(kv["length"]);
        EXPECT_EQ(offset % 4096, 0u);
        EXPECT_GE(offset, end);         // in order, no overlap
        EXPECT_LT(offset, end + 4096);  // no gap beyond the alignment
        EXPECT_EQ(length, w->raw_data().size());
        EXPECT_LE(offset + length, data.size());
        if (offset + length <= data.size()) {
            EXPECT_TRUE(data.compare(offset, length, w->raw_data()) == 0) << "bytes at " << offset;
        }
        end = offset + length;
        ++external;
    }
    EXPECT_EQ(data.size(), end);  // nothing after the last tensor
    EXPECT_GT(external, 0);
    return external;
}

TEST(OnnxExport, ExternalDataRoundTripsBitForBit) {
    const fs::path dir = tempDir();
    // A plain stack, a residual graph, and a graph with Concat branches and a SparseConv2d.
    for (const char* name : {"lenet5", "resnet20-cifar-b", "inception-bottleneck"}) {
        SCOPED_TRACE(name);
        Net net = loadModel(name);
        net.resetParameters(1);
        perturbNorms(net, 7);
        const OnnxExportResult inl = exportOnnxModel(net);
        EXPECT_TRUE(inl.externalName.empty());
        const std::string path = (dir / (std::string(name) + ".onnx")).string();
        // Over the threshold (one byte less than the model with its weights inline): external data
        // without being asked, to "<file>.data", and a warning names it.
        OnnxExportOptions o;
        o.externalDataAbove = inl.bytes.size() - 1;
        const std::vector<std::string> warnings = exportOnnx(net, path, o);
        const std::string side = std::string(name) + ".onnx.data";
        EXPECT_TRUE(mentions(warnings, "are written to '" + side + "' beside it")) << name;
        const int external = expectExternalPair(path, side, parse(inl.bytes));
        // ONNX's checker given the path (it resolves the locations beside the model).
        EXPECT_NO_THROW(onnx::checker::check_model(path));
        const std::uint64_t modelSize = fs::file_size(path), sideSize = fs::file_size(dir / side);
        // The .onnx keeps the graph and the small tensors: a few percent of the inline file.
        EXPECT_LT(modelSize * 10, inl.bytes.size());
        EXPECT_GT(modelSize + sideSize, inl.bytes.size() * 9 / 10);
        std::printf(
            "[ export ] %-20s inline %zu bytes; external: .onnx %llu bytes + .data %llu bytes "
            "(%d tensors)\n",
            name, inl.bytes.size(), static_cast<unsigned long long>(modelSize),
            static_cast<unsigned long long>(sideSize), external);

        // LayerLens' importer reads the pair: the same outputs, bit for bit, and the same costs.
        Net back = loadModel(path);
        const Tensor x = randomBatch(net.inputSample(), 3, 11);
        const Tensor want = net.forward(x, Mode::Eval);
        const Diff d = compare(want, back.forward(x, Mode::Eval));
        EXPECT_TRUE(d.bitwise) << "max |dy| " << d.maxAbs;
        EXPECT_EQ(back.numParams(), net.numParams());
        EXPECT_TRUE(sameCosts(computeCosts(net).totals, computeCosts(back).totals));
        // The same model as the inline file imports as: its cost table row for row.
        const std::string inlinePath = (dir / (std::string(name) + "-inline.onnx")).string();
        writeOnnxExport(inlinePath, inl);
        const CostTable a = computeCosts(loadModel(inlinePath)), b = computeCosts(back);
        ASSERT_EQ(a.rows.size(), b.rows.size());
        for (std::size_t i = 0; i < a.rows.size(); ++i) {
            EXPECT_EQ(a.rows[i].name, b.rows[i].name);
            EXPECT_EQ(a.rows[i].type, b.rows[i].type);
            EXPECT_EQ(a.rows[i].outputShape, b.rows[i].outputShape);
            EXPECT_TRUE(sameCosts(a.rows[i].cost, b.rows[i].cost)) << a.rows[i].name;
        }

        // At the threshold exactly, everything stays inline (and no side file is written).
        const std::string path2 = (dir / (std::string(name) + "-at.onnx")).string();
        o.externalDataAbove = inl.bytes.size();
        EXPECT_TRUE(exportOnnx(net, path2, o).size() == warnings.size() - 1);
        EXPECT_EQ(readAll(path2), inl.bytes);
        EXPECT_FALSE(fs::exists(path2 + ".data"));
    }
    fs::remove_all(dir);
}

// Runs `command` through the shell; returns its exit status and what it printed (stdout and
// stderr).
std::pair<int, std::string> shell(const std::string& command) {
    std::string out;
    FILE* p = ::popen((command + " 2>&1").c_str(), "r");
    if (!p) return {-1, "popen failed"};
    char buf[4096];
    for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
        out.append(buf, n);
    const int status = ::pclose(p);
    return {WIFEXITED(status) ? WEXITSTATUS(status) : -1, out};
}

// ONNX's own Python library (Debian's python3-onnx, run with /usr/bin/python3) reads the pair:
// onnx.load with its external data, the checker on the path (it opens the side file) with shape
// inference; the weights it loads are the inline export's, byte for byte.
TEST(OnnxExport, ExternalDataReadsInOnnxPython) {
    const auto probe = shell("/usr/bin/python3 -c 'import onnx; print(onnx.__version__)'");
    if (probe.first != 0)
        GTEST_SKIP() << "needs /usr/bin/python3 with ONNX (python3-onnx): " << probe.second;
    const fs::path dir = tempDir();
    Net net = loadModel("resnet20-cifar-b");
    net.resetParameters(2);
    perturbNorms(net, 3);
    const OnnxExportResult inl = exportOnnxModel(net);
    const std::string path = (dir / "resnet.onnx").string();
    OnnxExportOptions o;
    o.externalData = true;
    o.externalDataName = "resnet.weights";
    EXPECT_TRUE(exportOnnx(net, path, o).empty());  // asked for: no warning
    const int external = expectExternalPair(path, "resnet.weights", parse(inl.bytes));
    const std::string script = (dir / "check.py").string(), loaded = (dir / "loaded.onnx").string();
    {
        std::ofstream py(script);
        py << R"(import sys, onnx
from onnx import external_data_helper as ext
path, out = sys.argv[1], sys.argv[2]
bare = onnx.load(path, load_external_data=False)
print("external", sum(ext.uses_external_data(t) for t in bare.graph.initializer))
onnx.checker.check_model(path, full_check=True)
m = onnx.load(path)
assert not any(ext.uses_external_data(t) for t in m.graph.initializer)
onnx.save(m, out)
print("ok", onnx.__version__)
)";
    }
    const auto r = shell("/usr/bin/python3 " + script + " " + path + " " + loaded);
    ASSERT_EQ(r.first, 0) << r.second;
    EXPECT_NE(r.second.find(strCat("external ", external, "\n")), std::string::npos) << r.second;
    EXPECT_NE(r.second.find("ok "), std::string::npos) << r.second;
    // What Python loaded, saved inline, holds the inline export's weights.
    const onnx::ModelProto back = parseFile(loaded), want = parse(inl.bytes);
    ASSERT_EQ(back.graph().initializer_size(), want.graph().initializer_size());
    for (int i = 0; i < want.graph().initializer_size(); ++i) {
        EXPECT_EQ(back.graph().initializer(i).name(), want.graph().initializer(i).name());
        EXPECT_TRUE(back.graph().initializer(i).raw_data() ==
                    want.graph().initializer(i).raw_data())
            << want.graph().initializer(i).name();
    }
    std::printf("[ export ] ONNX Python %s read %d external tensors of resnet20-cifar-b\n",
                r.second.substr(r.second.find("ok ") + 3, 6).c_str(), external);
    fs::remove_all(dir);
}

// A pair our exporter wrote, then damaged: the importer refuses it with one line naming the
// tensor and the side file.
TEST(OnnxExport, DamagedExternalDataIsRefused) {
    const fs::path dir = tempDir();
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    const std::string path = (dir / "lenet5.onnx").string(), side = path + ".data";
    OnnxExportOptions o;
    o.externalData = true;
    exportOnnx(net, path, o);
    const std::string good = readAll(path), goodSide = readAll(side);
    const onnx::ModelProto m = parse(good);
    // The tensors in the side file (the last one ends it).
    std::vector<const onnx::TensorProto*> external;
    for (const auto& t : m.graph().initializer())
        if (t.data_location() == onnx::TensorProto::EXTERNAL) external.push_back(&t);
    ASSERT_GE(external.size(), 3u);
    const onnx::TensorProto* last = external.back();
    const auto expectOneLine = [&](const std::string& what, const std::string& tensor,
                                   const std::string& fragment) {
        SCOPED_TRACE(what);
        const std::string e = errorOf<DataError>([&] { loadModel(path); });
        EXPECT_EQ(e.find('\n'), std::string::npos) << e;
        for (const std::string& part : {"'" + tensor + "'", side, fragment})
            EXPECT_NE(e.find(part), std::string::npos) << "'" << part << "' missing from: " << e;
    };
    const auto restore = [&] {
        std::ofstream(path, std::ios::binary) << good;
        std::ofstream(side, std::ios::binary) << goodSide;
    };

    fs::remove(side);
    expectOneLine("side file missing", external.front()->name(), "cannot open");

    restore();
    fs::resize_file(side, goodSide.size() - 1);  // the last tensor's last byte cut off
    expectOneLine("side file truncated", last->name(), "runs past the end");

    // An offset past the end of the side file, written into the model.
    restore();
    onnx::ModelProto bad = m;
    const std::string mid = external[1]->name();
    for (auto& t : *bad.mutable_graph()->mutable_initializer())
        if (t.name() == mid)
            for (auto& e : *t.mutable_external_data())
                if (e.key() == "offset") e.set_value(std::to_string(goodSide.size() + 4096));
    std::ofstream(path, std::ios::binary) << bad.SerializeAsString();
    expectOneLine("offset past the end", mid, "runs past the end");
    fs::remove_all(dir);
}

// Where the side file cannot be written, the export says so and leaves nothing behind: no
// temporary file, no model without its data, an earlier file as it was.
TEST(OnnxExport, UnwritableExternalDataLeavesNothing) {
    const fs::path dir = tempDir();
    fs::remove_all(dir);  // empty, whatever an earlier test left
    fs::create_directories(dir);
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    OnnxExportOptions o;
    o.externalData = true;
    const std::string path = (dir / "lenet5.onnx").string();

    // A directory where the side file goes: its temporary file is written, the rename fails.
    fs::create_directories(dir / "lenet5.onnx.data");
    std::ofstream(path) << "an earlier file";
    std::string e = errorOf<DataError>([&] { exportOnnx(net, path, o); });
    EXPECT_NE(e.find("cannot write '" + path + "' and its external data '" + path + ".data'"),
              std::string::npos)
        << e;
    EXPECT_NE(e.find("neither was written"), std::string::npos) << e;
    EXPECT_EQ(readAll(path), "an earlier file");
    EXPECT_TRUE(fs::is_empty(dir / "lenet5.onnx.data"));
    EXPECT_EQ(tempFilesIn(dir), 0);
    fs::remove_all(dir / "lenet5.onnx.data");
    fs::remove(path);

    // The side file is renamed, then the model's rename fails (a directory is in its way): the
    // side file is removed again.
    fs::create_directories(path);
    e = errorOf<DataError>([&] { exportOnnx(net, path, o); });
    EXPECT_NE(e.find("cannot rename"), std::string::npos) << e;
    EXPECT_FALSE(fs::exists(path + ".data"));
    EXPECT_TRUE(fs::is_empty(path));
    EXPECT_EQ(tempFilesIn(dir), 0);
    fs::remove_all(path);

    // A name the file system refuses (over 255 bytes): the side file's temporary cannot be opened.
    o.externalDataName = std::string(250, 'w') + ".data";
    e = errorOf<DataError>([&] { exportOnnx(net, path, o); });
    EXPECT_NE(e.find("File name too long"), std::string::npos) << e;
    EXPECT_TRUE(fs::is_empty(dir));

    // Names that are not a file beside the model: refused before anything is written.
    for (const std::string& name : {std::string("sub/w.data"), std::string("/tmp/w.data"),
                                    std::string(".."), std::string("lenet5.onnx")}) {
        o.externalDataName = name;
        e = errorOf<UsageError>([&] { exportOnnx(net, path, o); });
        EXPECT_NE(e.find("'" + name + "'"), std::string::npos) << e;
    }
    EXPECT_TRUE(fs::is_empty(dir));
    fs::remove_all(dir);
}

#ifdef LAYERLENS_HAVE_OPENCV_DNN
// OpenCV's output for batch `x` (NCHW floats, the graph input "input").
cv::Mat runOpenCv(cv::dnn::Net& cvNet, const Tensor& x) {
    std::vector<int> dims;
    for (int d : x.shape().dims())
        dims.push_back(d);
    cv::Mat blob(static_cast<int>(dims.size()), dims.data(), CV_32F, const_cast<float*>(x.data()));
    cvNet.setInput(blob, "input");
    return cvNet.forward();
}

// The largest |y − want| and the largest |want| (y holds want.numel() floats).
std::pair<float, float> differenceAndScale(const cv::Mat& y, const Tensor& want) {
    float maxAbs = 0, scale = 0;
    for (std::int64_t i = 0; i < want.numel(); ++i) {
        maxAbs = std::max(maxAbs, std::fabs(y.ptr<float>()[i] - want.data()[i]));
        scale = std::max(scale, std::fabs(want.data()[i]));
    }
    return {maxAbs, scale};
}
#endif

#ifdef LAYERLENS_HAVE_OPENCV_DNN
// OpenCV's DNN module and external data: OpenCV 4.6 ignores a tensor's external data (it reads
// the external weights as empty, and the first Conv with one fails its shape check), so there
// the test is skipped with the reason; a version that reads the file must run it right.
TEST(OnnxExport, OpenCvAndExternalData) {
    const fs::path dir = tempDir();
    Net net = loadModel("lenet5");
    net.resetParameters(1);
    const std::string path = (dir / "lenet5.onnx").string();
    OnnxExportOptions o;
    o.externalData = true;
    exportOnnx(net, path, o);
    cv::dnn::Net cvNet;
    try {
        cvNet = cv::dnn::readNetFromONNX(path);
    } catch (const cv::Exception& e) {
        std::string what = e.what();  // several lines: the failing node and OpenCV's check
        std::replace(what.begin(), what.end(), '\n', ' ');
        fs::remove_all(dir);
        GTEST_SKIP() << "OpenCV " << CV_VERSION
                     << " does not read ONNX external data (it takes the external weights as "
                        "empty): "
                     << what;
    }
    const Tensor x = randomBatch(net.inputSample(), 2, 13);
    const Tensor& want = net.forward(x, Mode::Eval);
    const cv::Mat y = runOpenCv(cvNet, x);
    ASSERT_EQ(static_cast<std::int64_t>(y.total()), want.numel());
    const auto [maxAbs, scale] = differenceAndScale(y, want);
    EXPECT_LE(maxAbs, 1e-4f * std::max(scale, 1.0f));
    fs::remove_all(dir);
}
#endif

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
        const cv::Mat y = runOpenCv(cvNet, x);
        ASSERT_EQ(static_cast<std::int64_t>(y.total()), want.numel());
        const auto [maxAbs, scale] = differenceAndScale(y, want);
        EXPECT_LE(maxAbs, 1e-4f * std::max(scale, 1.0f));
        std::printf("[ export ] OpenCV %s on %-16s max |dy| %.3g (output up to %.3g)\n", CV_VERSION,
                    name, maxAbs, scale);
    }
    fs::remove_all(dir);
}
#endif

}  // namespace
}  // namespace ll
