#include "core/analysis/receptive_field.h"

#include <algorithm>
#include <cmath>

#include "core/layers/avg_pool2d.h"
#include "core/layers/conv2d.h"
#include "core/layers/max_pool2d.h"

namespace ll {

namespace {

ReceptiveField invalid(std::string why) {
    ReceptiveField rf;
    rf.valid = false;
    rf.note = std::move(why);
    return rf;
}

ReceptiveField windowStep(const ReceptiveField& in, const Window2d& w) {
    ReceptiveField out = in;
    const int k[2] = {w.kh, w.kw}, s[2] = {w.sh, w.sw}, p[2] = {w.ph, w.pw};
    for (int a = 0; a < 2; ++a) {
        out.size[a] = in.size[a] + (k[a] - 1) * in.jump[a];
        out.jump[a] = in.jump[a] * s[a];
        out.start[a] = in.start[a] - p[a] * in.jump[a];
    }
    return out;
}

const Window2d* windowOf(const Layer& l) {
    if (auto* c = dynamic_cast<const Conv2d*>(&l)) return &c->window();  // also SparseConv2d
    if (auto* m = dynamic_cast<const MaxPool2d*>(&l)) return &m->window();
    if (auto* a = dynamic_cast<const AvgPool2d*>(&l)) return &a->window();
    return nullptr;
}

}  // namespace

ReceptiveField inputReceptiveField(const Shape& inputSample) {
    if (inputSample.rank() != 3)
        return invalid(strCat("the input ", inputSample, " is not an image (C, H, W)"));
    return {};
}

ReceptiveField receptiveFieldThrough(const Layer& leaf, const ReceptiveField& in,
                                     const Shape& inShape) {
    if (!in.valid) return in;
    if (leaf.isModule()) {
        ReceptiveField combined;
        std::string firstName;
        long long centre2[2] = {0, 0};  // 2·centre = 2·start + size − 1, kept in integers
        for (int b = 0; b < leaf.numBranches(); ++b) {
            const Net& branch = leaf.branch(b);
            const ReceptiveField r = receptiveFieldThrough(branch, in, inShape);
            if (!r.valid) return r;
            const long long c2[2] = {2LL * r.start[0] + r.size[0] - 1,
                                     2LL * r.start[1] + r.size[1] - 1};
            if (b == 0) {
                combined = r;
                firstName = branch.name();
                centre2[0] = c2[0];
                centre2[1] = c2[1];
                continue;
            }
            if (r.jump != combined.jump || c2[0] != centre2[0] || c2[1] != centre2[1]) {
                return invalid(
                    strCat("receptive fields of branches '", firstName, "' and '", branch.name(),
                           "' of '", leaf.name(), "' are not aligned (jump ", combined.jump[0], "×",
                           combined.jump[1], " vs ", r.jump[0], "×", r.jump[1],
                           ", centre of unit 0 at ", centre2[0] / 2.0, ",", centre2[1] / 2.0,
                           " vs ", c2[0] / 2.0, ",", c2[1] / 2.0, ")"));
            }
            for (int a = 0; a < 2; ++a) {
                if (r.size[a] > combined.size[a]) {
                    combined.size[a] = r.size[a];
                    combined.start[a] = r.start[a];
                }
            }
        }
        return combined;
    }
    if (const Window2d* w = windowOf(leaf)) return windowStep(in, *w);
    const std::string t = leaf.type();
    if (t == "Flatten") {
        if (inShape.rank() != 4) return in;  // already flat: nothing changes
        Window2d whole;
        whole.kh = inShape[2];
        whole.kw = inShape[3];
        ReceptiveField out = windowStep(in, whole);
        out.note = "whole input: after Flatten every unit sees every position";
        return out;
    }
    // Element-wise layers, batch norm, dropout, and Linear after a Flatten keep the field.
    if (t == "Linear" && inShape.rank() != 2) return invalid("Linear on an input that is not flat");
    return in;
}

ReceptiveField receptiveFieldThrough(const Net& net, const ReceptiveField& in,
                                     const Shape& inShape) {
    ReceptiveField rf = in;
    Shape s = inShape;
    for (int i = 0; i < net.size(); ++i) {
        rf = receptiveFieldThrough(net.layer(i), rf, s);
        s = net.layer(i).outputShape(s);
    }
    return rf;
}

UnitRegion unitRegion(const ReceptiveField& rf, int i, int j, int H, int W) {
    LL_CHECK(rf.valid, "unit region of an invalid receptive field: ", rf.note);
    UnitRegion u;
    const int idx[2] = {i, j}, lim[2] = {H, W};
    int* un[2] = {u.rows, u.cols};
    int* cl[2] = {u.clippedRows, u.clippedCols};
    for (int a = 0; a < 2; ++a) {
        un[a][0] = rf.start[a] + idx[a] * rf.jump[a];
        un[a][1] = un[a][0] + rf.size[a];
        cl[a][0] = std::clamp(un[a][0], 0, lim[a]);
        cl[a][1] = std::clamp(un[a][1], 0, lim[a]);
    }
    return u;
}

Tensor effectiveReceptiveField(Net& net, const Tensor& x, int layer, int channel, int i, int j) {
    LL_CHECK(layer >= 0 && layer < net.size(), "layer ", layer, " out of range [0, ", net.size(),
             ")");
    Tensor input = x;
    if (input.rank() == 3) input.reshape(input.shape().batched(1));
    if (input.rank() != 4 || input.dim(0) != 1)
        throw ShapeError(
            strCat("effective receptive field needs one image (C, H, W), got ", x.shape()));
    net.forward(input, Mode::Eval);
    const Tensor& act = net.activation(layer);
    Tensor seed(act.shape(), 0.0f);
    if (act.rank() == 4) {
        if (channel < 0 || channel >= act.dim(1) || i < 0 || i >= act.dim(2) || j < 0 ||
            j >= act.dim(3)) {
            throw UsageError(strCat("unit (", channel, ", ", i, ", ", j, ") is outside ",
                                    net.layer(layer).label(), " whose output is ",
                                    act.shape().sample()));
        }
        seed[(static_cast<std::int64_t>(channel) * act.dim(2) + i) * act.dim(3) + j] = 1.0f;
    } else {
        if (channel < 0 || channel >= static_cast<int>(act.numel()))
            throw UsageError(strCat("unit ", channel, " is outside ", net.layer(layer).label(),
                                    " whose output is ", act.shape().sample()));
        seed[channel] = 1.0f;
    }
    net.backwardFrom(layer, seed, true);
    net.zeroGrad();
    const Tensor& g = net.inputGrad();
    const int C = g.dim(1), H = g.dim(2), W = g.dim(3);
    Tensor map({H, W}, 0.0f);
    for (int c = 0; c < C; ++c)
        for (int p = 0; p < H * W; ++p)
            map[p] += std::fabs(g[static_cast<std::int64_t>(c) * H * W + p]);
    return map;
}

}  // namespace ll
