#include "core/analysis/receptive_field.h"

#include <algorithm>
#include <cmath>

namespace ll {

namespace {

ReceptiveField invalid(std::string why) {
    ReceptiveField rf;
    rf.valid = false;
    rf.note = std::move(why);
    return rf;
}

ReceptiveField windowStep(const ReceptiveField& in, const FieldRule& w) {
    ReceptiveField out = in;
    const int k[2] = {w.kh, w.kw}, s[2] = {w.sh, w.sw}, p[2] = {w.ph, w.pw}, d[2] = {w.dh, w.dw};
    for (int a = 0; a < 2; ++a) {
        out.size[a] = in.size[a] + (k[a] - 1) * d[a] * in.jump[a];
        out.jump[a] = in.jump[a] * s[a];
        out.start[a] = in.start[a] - p[a] * in.jump[a];
    }
    return out;
}

// 2·centre of unit 0 along each axis (kept in integers).
std::array<long long, 2> centre2(const ReceptiveField& r) {
    return {2LL * r.start[0] + r.size[0] - 1, 2LL * r.start[1] + r.size[1] - 1};
}

// Fields of parallel paths meeting at `where`: aligned paths (same jump and centre) give the
// largest; others make the field invalid, saying which and why.
ReceptiveField combineAligned(const std::vector<ReceptiveField>& fields,
                              const std::vector<std::string>& names, const std::string& where,
                              const char* what) {
    ReceptiveField combined = fields[0];
    for (std::size_t b = 1; b < fields.size(); ++b) {
        const ReceptiveField& r = fields[b];
        const auto c0 = centre2(combined), c1 = centre2(r);
        if (r.jump != combined.jump || c0 != c1) {
            return invalid(strCat("receptive fields of ", what, " '", names[0], "' and '", names[b],
                                  "' of '", where, "' are not aligned (jump ", combined.jump[0],
                                  "×", combined.jump[1], " vs ", r.jump[0], "×", r.jump[1],
                                  ", centre of unit 0 at ", c0[0] / 2.0, ",", c0[1] / 2.0, " vs ",
                                  c1[0] / 2.0, ",", c1[1] / 2.0, ")"));
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
        std::vector<ReceptiveField> fields;
        std::vector<std::string> names;
        for (int b = 0; b < leaf.numBranches(); ++b) {
            const Net& branch = leaf.branch(b);
            fields.push_back(receptiveFieldThrough(branch, in, inShape));
            if (!fields.back().valid) return fields.back();
            names.push_back(branch.name());
        }
        return combineAligned(fields, names, leaf.name(), "branches");
    }
    const FieldRule rule = leaf.fieldRule(inShape);
    switch (rule.kind) {
        case FieldRule::Kind::Same:
            return in;
        case FieldRule::Kind::Window:
            return windowStep(in, rule);
        case FieldRule::Kind::Whole: {
            ReceptiveField out = windowStep(in, rule);
            out.note =
                strCat("whole input: after ", leaf.type(), " every unit sees every position");
            return out;
        }
        case FieldRule::Kind::NotFlat:
            return invalid(strCat(leaf.type(), " on an input that is not flat"));
    }
    return in;
}

std::vector<ReceptiveField> receptiveFields(const Net& net, const ReceptiveField& in,
                                            const Shape& inShape) {
    std::vector<ReceptiveField> fields;
    std::vector<Shape> shapes;
    for (int i = 0; i < net.size(); ++i) {
        const Layer& l = net.layer(i);
        const std::vector<int>& from = net.inputsOf(i);
        std::vector<ReceptiveField> ins;
        std::vector<Shape> inShapes;
        std::vector<std::string> names;
        for (int j : from) {
            ins.push_back(j < 0 ? in : fields[static_cast<std::size_t>(j)]);
            inShapes.push_back(j < 0 ? inShape : shapes[static_cast<std::size_t>(j)]);
            names.push_back(j < 0 ? std::string(Net::kInputName) : net.layer(j).name());
        }
        const Shape out = l.outputShapeMulti(inShapes);
        ReceptiveField rf;
        if (from.size() == 1) {
            rf = receptiveFieldThrough(l, ins[0], inShapes[0]);
        } else {
            // A (C, 1, 1) input broadcast over a larger map (a gate) adds its whole field to
            // every unit; the local field is the other paths'.
            std::vector<ReceptiveField> local;
            std::vector<std::string> localNames, gates;
            for (std::size_t k = 0; k < ins.size(); ++k) {
                const bool gate = inShapes[k].rank() == 4 && out.rank() == 4 &&
                                  inShapes[k][2] * inShapes[k][3] == 1 && out[2] * out[3] > 1;
                if (!ins[k].valid) {
                    rf = ins[k];
                    break;
                }
                if (gate) {
                    gates.push_back(names[k]);
                } else {
                    local.push_back(ins[k]);
                    localNames.push_back(names[k]);
                }
            }
            if (rf.valid) {
                rf = local.empty() ? ins[0] : combineAligned(local, localNames, l.name(), "inputs");
                if (rf.valid) rf = receptiveFieldThrough(l, rf, inShapes[0]);
                if (rf.valid && !gates.empty())
                    rf.note = strCat("every unit also sees the whole input through the gate '",
                                     gates[0], "'");
            }
        }
        fields.push_back(rf);
        shapes.push_back(out);
    }
    return fields;
}

ReceptiveField receptiveFieldThrough(const Net& net, const ReceptiveField& in,
                                     const Shape& inShape) {
    if (net.size() == 0) return in;
    return receptiveFields(net, in, inShape).back();
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
