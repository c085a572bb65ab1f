#include "core/onnx/onnx_export.h"

#include <cmath>
#include <cstdint>
#include <filesystem>
#include <limits>
#include <set>
#include <unordered_map>

#include <onnx/checker.h>
#include <onnx/onnx_pb.h>
#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/data/file_io.h"
#include "core/data/size_check.h"
#include "core/error.h"
#include "core/layers/adaptive_avg_pool2d.h"
#include "core/layers/add.h"
#include "core/layers/avg_pool2d.h"
#include "core/layers/batch_norm.h"
#include "core/layers/channel_pad.h"
#include "core/layers/concat.h"
#include "core/layers/concat_inputs.h"
#include "core/layers/conv2d.h"
#include "core/layers/dropout.h"
#include "core/layers/flatten.h"
#include "core/layers/gelu.h"
#include "core/layers/global_avg_pool2d.h"
#include "core/layers/hard_sigmoid.h"
#include "core/layers/hard_swish.h"
#include "core/layers/identity.h"
#include "core/layers/leaky_relu.h"
#include "core/layers/linear.h"
#include "core/layers/lrn.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/mul.h"
#include "core/layers/pool_common.h"
#include "core/layers/relu.h"
#include "core/layers/relu6.h"
#include "core/layers/sigmoid.h"
#include "core/layers/silu.h"
#include "core/layers/softmax.h"
#include "core/layers/sparse_conv2d.h"
#include "core/layers/tanh.h"
#include "core/layers/zero_pad2d.h"

namespace ll {

namespace {

using onnx::AttributeProto;
using onnx::NodeProto;
using onnx::TensorProto;

class Exporter {
public:
    explicit Exporter(onnx::GraphProto& g) : m_g(g) {}

    /// Writes the nodes of `net` reading tensor `input`; node names get `prefix`. Returns the
    /// name of the tensor the net's last node writes (`input` for a net without nodes). At the
    /// top level (`output` not empty) the last node writes that tensor.
    std::string emitNet(Net& net, const std::string& input, const std::string& prefix,
                        const std::string& output);

    std::vector<std::string> warnings;

private:
    [[noreturn]] void refuse(const std::string& node, const Layer& l, const std::string& what) {
        throw ModelError(strCat("ONNX export: node '", node, "' (", l.type(), "): ", what));
    }

    // A tensor name not used yet (node outputs and initializers share one namespace).
    std::string unique(const std::string& base) {
        std::string name = base;
        for (int k = 2; !m_tensors.insert(name).second; ++k)
            name = strCat(base, "_", k);
        return name;
    }
    NodeProto& node(const std::string& op, const std::string& name,
                    const std::vector<std::string>& inputs, const std::string& output) {
        NodeProto& n = *m_g.add_node();
        n.set_op_type(op);
        n.set_name(name);
        for (const std::string& i : inputs)
            n.add_input(i);
        n.add_output(output);
        return n;
    }
    static void attr(NodeProto& n, const char* name, std::int64_t v) {
        AttributeProto& a = *n.add_attribute();
        a.set_name(name);
        a.set_type(AttributeProto::INT);
        a.set_i(v);
    }
    static void attr(NodeProto& n, const char* name, float v) {
        AttributeProto& a = *n.add_attribute();
        a.set_name(name);
        a.set_type(AttributeProto::FLOAT);
        a.set_f(v);
    }
    static void attr(NodeProto& n, const char* name, const std::vector<std::int64_t>& v) {
        AttributeProto& a = *n.add_attribute();
        a.set_name(name);
        a.set_type(AttributeProto::INTS);
        for (std::int64_t x : v)
            a.add_ints(x);
    }
    // A float32 initializer (raw_data, little-endian as ONNX requires; x86 and ARM are).
    std::string floats(const std::string& base, const std::vector<std::int64_t>& dims,
                       const float* data, std::int64_t n) {
        const std::string name = unique(base);
        TensorProto& t = *m_g.add_initializer();
        t.set_name(name);
        t.set_data_type(TensorProto::FLOAT);
        for (std::int64_t d : dims)
            t.add_dims(d);
        t.set_raw_data(std::string(reinterpret_cast<const char*>(data),
                                   static_cast<std::size_t>(n) * sizeof(float)));
        return name;
    }
    std::string tensor(const std::string& base, const Tensor& v) {
        std::vector<std::int64_t> dims;
        for (int d : v.shape().dims())
            dims.push_back(d);
        return floats(base, dims, v.data(), v.numel());
    }
    std::string scalar(const std::string& base, float v) { return floats(base, {}, &v, 1); }
    std::string ints(const std::string& base, const std::vector<std::int64_t>& v) {
        const std::string name = unique(base);
        TensorProto& t = *m_g.add_initializer();
        t.set_name(name);
        t.set_data_type(TensorProto::INT64);
        t.add_dims(static_cast<std::int64_t>(v.size()));
        t.set_raw_data(
            std::string(reinterpret_cast<const char*>(v.data()), v.size() * sizeof(std::int64_t)));
        return name;
    }

    void window(NodeProto& n, const Window2d& w, bool pool) {
        attr(n, "kernel_shape", std::vector<std::int64_t>{w.kh, w.kw});
        attr(n, "strides", std::vector<std::int64_t>{w.sh, w.sw});
        // ONNX pads: the beginnings of the axes, then their ends = top, left, bottom, right.
        attr(n, "pads", std::vector<std::int64_t>{w.ph, w.pw, w.padBottom(), w.padRight()});
        if (!pool) attr(n, "dilations", std::vector<std::int64_t>{w.dh, w.dw});
    }

    // One layer; returns its output tensor.
    void emitLayer(Layer& l, const std::string& name, const std::vector<std::string>& ins,
                   const std::vector<Shape>& inShapes, const std::string& out);
    void emitConv(Conv2d& c, const std::string& name, const std::string& in,
                  const std::string& out);
    void emitSparseConv(SparseConv2d& c, const std::string& name, const std::string& in,
                        const std::string& out);

    onnx::GraphProto& m_g;
    std::set<std::string> m_tensors{Net::kInputName, "output"};  // the graph's own
};

std::string Exporter::emitNet(Net& net, const std::string& input, const std::string& prefix,
                              const std::string& output) {
    const std::vector<Shape> shapes = net.outputShapes();
    const Shape inputShape = net.inputSample().batched(1);
    std::vector<std::string> outs;
    for (int i = 0; i < net.size(); ++i) {
        Layer& l = net.layer(i);
        const std::string name = prefix + l.name();
        std::vector<std::string> ins;
        std::vector<Shape> inShapes;
        for (int j : net.inputsOf(i)) {
            ins.push_back(j < 0 ? input : outs[static_cast<std::size_t>(j)]);
            inShapes.push_back(j < 0 ? inputShape : shapes[static_cast<std::size_t>(j)]);
        }
        const bool last = i + 1 == net.size();
        const std::string out = last && !output.empty() ? output : unique(name);
        emitLayer(l, name, ins, inShapes, out);
        outs.push_back(out);
    }
    return outs.empty() ? input : outs.back();
}

void Exporter::emitConv(Conv2d& c, const std::string& name, const std::string& in,
                        const std::string& out) {
    std::vector<std::string> ins{in, tensor(name + ".weight", c.weight().value)};
    if (c.hasBias()) ins.push_back(tensor(name + ".bias", c.bias().value));
    NodeProto& n = node("Conv", name, ins, out);
    window(n, c.window(), false);
    attr(n, "group", std::int64_t{c.groups()});
}

// LeNet-5's C3: a dense convolution whose unconnected kernels are zeros (exact: each output sums
// the same products, plus zeros).
void Exporter::emitSparseConv(SparseConv2d& c, const std::string& name, const std::string& in,
                              const std::string& out) {
    const Window2d& w = c.window();
    const int cin = c.inChannels(), cout = c.outChannels();
    const std::int64_t k = std::int64_t{w.kh} * w.kw;
    std::vector<float> dense(static_cast<std::size_t>(cout * cin * k), 0.0f);
    const float* sparse = c.sparseWeight().value.data();
    std::int64_t kept = 0;
    for (int o = 0; o < cout; ++o)
        for (int i : c.connections()[static_cast<std::size_t>(o)]) {
            std::copy(sparse + kept * k, sparse + (kept + 1) * k,
                      dense.begin() + (std::int64_t{o} * cin + i) * k);
            ++kept;
        }
    std::vector<std::string> ins{in, floats(name + ".weight", {cout, cin, w.kh, w.kw}, dense.data(),
                                            static_cast<std::int64_t>(dense.size()))};
    if (c.hasBias()) ins.push_back(tensor(name + ".bias", c.bias().value));
    NodeProto& n = node("Conv", name, ins, out);
    window(n, w, false);
    attr(n, "group", std::int64_t{1});
    warnings.push_back(strCat("node '", name, "' (SparseConv2d) is written as a dense Conv whose ",
                              std::int64_t{cout} * cin - kept,
                              " unconnected kernels are zeros: the outputs are the same, but a "
                              "model imported from the file has a Conv2d with ",
                              (std::int64_t{cout} * cin - kept) * k,
                              " more weights (trainable, no longer zero after training)"));
}

void Exporter::emitLayer(Layer& l, const std::string& name, const std::vector<std::string>& ins,
                         const std::vector<Shape>& inShapes, const std::string& out) {
    const std::string& x = ins.at(0);
    const auto one = [&](const char* op) -> NodeProto& { return node(op, name, {x}, out); };
    if (auto* sc = dynamic_cast<SparseConv2d*>(&l)) {
        emitSparseConv(*sc, name, x, out);
    } else if (auto* c = dynamic_cast<Conv2d*>(&l)) {
        emitConv(*c, name, x, out);
    } else if (auto* fc = dynamic_cast<Linear*>(&l)) {
        std::vector<std::string> gi{x, tensor(name + ".weight", fc->weight().value)};
        if (fc->hasBias()) gi.push_back(tensor(name + ".bias", fc->bias().value));
        attr(node("Gemm", name, gi, out), "transB", std::int64_t{1});  // y = x Wᵀ + b
    } else if (auto* bn = dynamic_cast<BatchNorm*>(&l)) {
        const std::string scale = tensor(name + ".weight", bn->gamma().value);
        const std::string shift = tensor(name + ".bias", bn->beta().value);
        const std::string mean = tensor(name + ".running_mean", bn->runningMean());
        const std::string var = tensor(name + ".running_var", bn->runningVar());
        NodeProto& n = node("BatchNormalization", name, {x, scale, shift, mean, var}, out);
        attr(n, "epsilon", bn->eps());
        // ONNX's momentum weighs the running value; ours (PyTorch's) the new batch's statistic.
        attr(n, "momentum", 1.0f - bn->momentum());
    } else if (dynamic_cast<ReLU*>(&l)) {
        one("Relu");
    } else if (dynamic_cast<Sigmoid*>(&l)) {
        one("Sigmoid");
    } else if (dynamic_cast<Tanh*>(&l)) {
        one("Tanh");
    } else if (dynamic_cast<ReLU6*>(&l)) {
        node("Clip", name, {x, scalar(name + ".min", 0.0f), scalar(name + ".max", 6.0f)}, out);
    } else if (auto* lr = dynamic_cast<LeakyReLU*>(&l)) {
        attr(one("LeakyRelu"), "alpha", lr->slope());
    } else if (dynamic_cast<HardSigmoid*>(&l)) {
        NodeProto& n = one("HardSigmoid");  // max(0, min(1, x/6 + 1/2)) = relu6(x + 3)/6
        attr(n, "alpha", 1.0f / 6.0f);
        attr(n, "beta", 0.5f);
    } else if (dynamic_cast<HardSwish*>(&l)) {
        // ONNX's HardSwish operator is opset 14: x · HardSigmoid(x), as PyTorch writes it for 13.
        const std::string gate = unique(name + "/hardsigmoid");
        NodeProto& h = node("HardSigmoid", gate, {x}, gate);
        attr(h, "alpha", 1.0f / 6.0f);
        attr(h, "beta", 0.5f);
        node("Mul", name, {x, gate}, out);
        warnings.push_back(strCat("node '", name,
                                  "' (HardSwish) is written as HardSigmoid + Mul (ONNX has "
                                  "HardSwish from opset 14 only); imported back it is two nodes"));
    } else if (dynamic_cast<SiLU*>(&l)) {
        const std::string gate = unique(name + "/sigmoid");
        node("Sigmoid", gate, {x}, gate);
        node("Mul", name, {x, gate}, out);
        warnings.push_back(strCat("node '", name,
                                  "' (SiLU) is written as Sigmoid + Mul (ONNX has no SiLU "
                                  "operator); imported back it is two nodes"));
    } else if (dynamic_cast<GELU*>(&l)) {
        // The exact GELU, x · ½(1 + erf(x/√2)), as PyTorch writes it (approximate="none").
        const std::string div = unique(name + "/div"), erf = unique(name + "/erf"),
                          add = unique(name + "/add"), mul = unique(name + "/mul");
        node("Div", div, {x, scalar(name + ".sqrt2", std::sqrt(2.0f))}, div);
        node("Erf", erf, {div}, erf);
        node("Add", add, {erf, scalar(name + ".one", 1.0f)}, add);
        node("Mul", mul, {x, add}, mul);
        node("Mul", name, {mul, scalar(name + ".half", 0.5f)}, out);
        warnings.push_back(strCat("node '", name,
                                  "' (GELU) is written as x·0.5·(1 + erf(x/√2)) with Div, Erf, "
                                  "Add and Mul (ONNX has Gelu from opset 20 only); LayerLens "
                                  "reads the chain back as one GELU"));
    } else if (dynamic_cast<Identity*>(&l)) {
        one("Identity");
    } else if (auto* d = dynamic_cast<Dropout*>(&l)) {
        // Inference graph: ONNX's Dropout without training_mode is the identity. It is kept (not
        // dropped) so the file shows the model as it was designed and imports back whole.
        node("Dropout", name, {x, scalar(name + ".ratio", d->p())}, out);
    } else if (dynamic_cast<Flatten*>(&l)) {
        attr(one("Flatten"), "axis", std::int64_t{1});
    } else if (dynamic_cast<Softmax*>(&l)) {
        attr(one("Softmax"), "axis", std::int64_t{1});
    } else if (auto* mp = dynamic_cast<MaxPool2d*>(&l)) {
        NodeProto& n = one("MaxPool");
        window(n, mp->window(), true);
        attr(n, "ceil_mode", std::int64_t{mp->ceilMode()});
    } else if (auto* ap = dynamic_cast<AvgPool2d*>(&l)) {
        const Window2d& w = ap->window();
        NodeProto& n = one("AveragePool");
        window(n, w, true);
        attr(n, "ceil_mode", std::int64_t{ap->ceilMode()});
        attr(n, "count_include_pad", std::int64_t{ap->countIncludePad()});
        // PyTorch (and LayerLens) divide a ceil-mode window hanging over the padded end by the
        // positions it covers there; runtimes have differed on that window.
        const Shape& s = inShapes.at(0);
        const Shape y = ap->outputShape(s);
        const PoolSpan rows = poolSpan(y[2] - 1, w.kh, w.sh, w.ph, w.padBottom(), s[2]);
        const PoolSpan cols = poolSpan(y[3] - 1, w.kw, w.sw, w.pw, w.padRight(), s[3]);
        if (ap->ceilMode() && (rows.padded < w.kh || cols.padded < w.kw))
            warnings.push_back(strCat(
                "node '", name,
                "' (AvgPool2d, ceil_mode): its last window hangs over the padded input; "
                "LayerLens divides it by the positions it covers (PyTorch's rule), which other "
                "runtimes may not do"));
    } else if (dynamic_cast<GlobalAvgPool2d*>(&l)) {
        one("GlobalAveragePool");
    } else if (auto* aap = dynamic_cast<AdaptiveAvgPool2d*>(&l)) {
        const Shape& s = inShapes.at(0);
        if (s[2] % aap->outH() != 0 || s[3] % aap->outW() != 0)
            refuse(name, l,
                   strCat("adaptive pooling of ", s[2], "×", s[3], " onto ", aap->outH(), "×",
                          aap->outW(),
                          " has overlapping bins, which no ONNX pooling expresses; use an "
                          "output size dividing the input"));
        // Bins of equal size: an average pooling with kernel = stride = input / output.
        Window2d w;
        w.kh = w.sh = s[2] / aap->outH();
        w.kw = w.sw = s[3] / aap->outW();
        NodeProto& n = one("AveragePool");
        window(n, w, true);
    } else if (dynamic_cast<Add*>(&l)) {
        node(ins.size() == 2 ? "Add" : "Sum", name, ins, out);
    } else if (dynamic_cast<Mul*>(&l)) {
        node("Mul", name, ins, out);  // a (N, C, 1, 1) gate broadcasts in ONNX as here
    } else if (dynamic_cast<ConcatInputs*>(&l)) {
        attr(node("Concat", name, ins, out), "axis", std::int64_t{1});
    } else if (auto* m = dynamic_cast<Concat*>(&l)) {
        std::vector<std::string> branchOuts;
        for (int b = 0; b < m->numBranches(); ++b) {
            Net& br = m->branch(b);
            branchOuts.push_back(emitNet(br, x, name + "." + br.name() + ".", {}));
        }
        attr(node("Concat", name, branchOuts, out), "axis", std::int64_t{1});
    } else if (auto* cp = dynamic_cast<ChannelPad*>(&l)) {
        // y = x[:, :, ::s, ::s] with zero channels around: a strided Slice, then a Pad.
        std::string from = x;
        if (cp->stride() > 1) {
            const std::int64_t end = std::numeric_limits<std::int64_t>::max();
            from = unique(name + "/slice");
            node(
                "Slice", from,
                {x, ints(name + ".starts", {0, 0}), ints(name + ".ends", {end, end}),
                 ints(name + ".axes", {2, 3}), ints(name + ".steps", {cp->stride(), cp->stride()})},
                from);
        }
        const std::int64_t before = cp->before(),
                           after = cp->outChannels() - cp->inChannels() - cp->before();
        node("Pad", name, {from, ints(name + ".pads", {0, before, 0, 0, 0, after, 0, 0})}, out);
    } else if (auto* zp = dynamic_cast<ZeroPad2d*>(&l)) {
        node("Pad", name,
             {x,
              ints(name + ".pads", {0, 0, zp->top(), zp->left(), 0, 0, zp->bottom(), zp->right()})},
             out);
    } else if (auto* lrn = dynamic_cast<LRN*>(&l)) {
        // ONNX's window: ⌊(n − 1)/2⌋ channels before, ⌈(n − 1)/2⌉ after.
        if (lrn->before() != (lrn->size() - 1) / 2)
            refuse(name, l,
                   strCat("size ", lrn->size(), " with PyTorch's window (", lrn->before(),
                          " channels before, ", lrn->after(),
                          " after) has no ONNX equivalent: ONNX's LRN window of an even size is "
                          "its mirror image; use an odd size or \"window\": \"onnx\""));
        NodeProto& n = one("LRN");
        attr(n, "size", std::int64_t{lrn->size()});
        attr(n, "alpha", lrn->alpha());
        attr(n, "beta", lrn->beta());
        attr(n, "bias", lrn->k());
    } else {
        refuse(name, l, "this layer type has no ONNX export");
    }
}

// Moves the raw data of the initializers of options.externalDataMinBytes or more into `side` (the
// side file's contents, empty on entry), each at the next multiple of options.externalDataAlign,
// and makes them refer to it (ONNX's external data: location, offset, length). Returns how many
// were moved. Each tensor's copy in the model is freed as it is moved, so the weights are held
// twice at most (the net's and one copy).
int moveToExternal(onnx::GraphProto& g, const std::string& location,
                   const OnnxExportOptions& options, std::string& side) {
    const std::filesystem::path rel(location);
    if (location.empty() || rel.has_parent_path() || location == "." || location == "..")
        throw UsageError(strCat("ONNX export: the external data file '", location,
                                "' must be a file name without a directory (it is written "
                                "beside the model file)"));
    const std::uint64_t align = options.externalDataAlign;
    LL_CHECK(align > 0 && (align & (align - 1)) == 0, "external data alignment ", align,
             " is not a power of two");
    const auto moves = [&](const TensorProto& t) {
        return t.raw_data().size() >= options.externalDataMinBytes;
    };
    const auto aligned = [&](std::uint64_t at) { return (at + align - 1) & ~(align - 1); };
    // The side file's size first, so its buffer is allocated once.
    std::uint64_t size = 0;
    for (const TensorProto& t : g.initializer())
        if (moves(t)) size = aligned(size) + t.raw_data().size();
    side.reserve(size);
    int moved = 0;
    for (TensorProto& t : *g.mutable_initializer()) {
        if (!moves(t)) continue;
        const std::uint64_t offset = aligned(side.size());
        side.resize(offset, '\0');
        side += t.raw_data();
        const auto kv = [&](const char* key, const std::string& value) {
            auto* e = t.add_external_data();
            e->set_key(key);
            e->set_value(value);
        };
        kv("location", location);
        kv("offset", std::to_string(offset));
        kv("length", std::to_string(t.raw_data().size()));
        std::string().swap(*t.mutable_raw_data());
        t.clear_raw_data();
        t.set_data_location(TensorProto::EXTERNAL);
        ++moved;
    }
    LL_CHECK(side.size() == size, "external data: ", side.size(), " bytes written of ", size);
    return moved;
}

}  // namespace

OnnxExportResult exportOnnxModel(Net& net, const OnnxExportOptions& options) {
    if (net.shapesOnly())
        throw ModelError(strCat("ONNX export: the net '", net.name(),
                                "' was built for shapes only; it has no weights to export"));
    if (net.inputSample().rank() == 0 || net.size() == 0)
        throw ModelError(strCat("ONNX export: the net '", net.name(),
                                "' has no input shape or no nodes; there is nothing to export"));
    onnx::ModelProto model;
    model.set_ir_version(kOnnxExportIrVersion);
    model.set_producer_name("LayerLens");
    model.set_producer_version(buildVersion());
    model.set_model_version(1);
    auto* opset = model.add_opset_import();
    opset->set_domain("");
    opset->set_version(kOnnxExportOpset);
    if (!options.classNames.empty()) {
        auto* kv = model.add_metadata_props();
        kv->set_key("class_names");
        kv->set_value(nlohmann::json(options.classNames).dump());
    }
    onnx::GraphProto& g = *model.mutable_graph();
    g.set_name(net.name());
    const auto declare = [](onnx::ValueInfoProto& v, const std::string& name, const Shape& s) {
        v.set_name(name);
        auto* t = v.mutable_type()->mutable_tensor_type();
        t->set_elem_type(TensorProto::FLOAT);
        t->mutable_shape()->add_dim()->set_dim_param("N");
        for (int d : s.dims())
            t->mutable_shape()->add_dim()->set_dim_value(d);
    };
    declare(*g.add_input(), Net::kInputName, net.inputSample());
    declare(*g.add_output(), "output", net.outputSample().sample());

    Exporter e(g);
    e.emitNet(net, Net::kInputName, {}, "output");

    try {
        onnx::checker::CheckerContext ctx;
        ctx.set_ir_version(kOnnxExportIrVersion);
        ctx.set_opset_imports({{"", kOnnxExportOpset}});
        onnx::checker::LexicalScopeContext lex;
        onnx::checker::check_graph(g, ctx, lex);
    } catch (const std::exception& ex) {
        LL_CHECK(false, "ONNX export of '", net.name(), "' fails ONNX's checker: ", ex.what());
    }
    OnnxExportResult r;
    r.warnings = std::move(e.warnings);
    const std::uint64_t inlineSize = model.ByteSizeLong();
    if (options.externalData || inlineSize > options.externalDataAbove) {
        const std::string name =
            options.externalDataName.empty() ? "model.onnx.data" : options.externalDataName;
        r.externalTensors = moveToExternal(g, name, options, r.externalBytes);
        r.externalName = name;
        if (!options.externalData)
            r.warnings.push_back(
                strCat("the model is ", formatBytes(inlineSize),
                       " with its weights inline, too large for "
                       "one ONNX file (protobuf's limit is 2 GB): the weights of ",
                       r.externalTensors, " tensors (", formatBytes(r.externalBytes.size()),
                       ") are written to '", name,
                       "' beside it (ONNX external data); keep the two files together"));
    }
    if (model.ByteSizeLong() >= kOnnxProtobufLimit)
        throw ModelError(strCat("ONNX export: the model '", net.name(), "' is ",
                                formatBytes(model.ByteSizeLong()),
                                r.externalName.empty() ? "" : " without its larger weights",
                                ", over protobuf's 2 GB limit"));
    LL_CHECK(model.SerializeToString(&r.bytes), "ONNX export: the model does not serialize");
    return r;
}

std::string onnxExternalDataName(const std::string& path) {
    return std::filesystem::path(path).filename().string() + ".data";
}

void writeOnnxExport(const std::string& path, const OnnxExportResult& r) {
    if (r.externalName.empty()) {
        writeFileAtomic(path, r.bytes);
        return;
    }
    const std::filesystem::path model(path);
    if (model.filename() == r.externalName)
        throw UsageError(strCat("ONNX export: the external data file '", r.externalName,
                                "' would replace the model file '", path, "'; name another"));
    const std::string side = (model.parent_path() / r.externalName).string();
    try {
        // The side file first: a model file never names data that is not there yet.
        writeFilesAtomic({{side, r.externalBytes}, {path, r.bytes}});
    } catch (const DataError& ex) {
        throw DataError(strCat("ONNX export: cannot write '", path, "' and its external data '",
                               side, "'; neither was written (", ex.what(), ")"));
    }
}

std::vector<std::string> exportOnnx(Net& net, const std::string& path,
                                    const OnnxExportOptions& options) {
    OnnxExportOptions o = options;
    if (o.externalDataName.empty()) o.externalDataName = onnxExternalDataName(path);
    const OnnxExportResult r = exportOnnxModel(net, o);
    writeOnnxExport(path, r);
    return r.warnings;
}

}  // namespace ll
