#include "core/analysis/cost.h"

#include "core/data/size_check.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/layers/avg_pool2d.h"
#include "core/layers/batch_norm.h"
#include "core/layers/conv2d.h"
#include "core/layers/linear.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/sparse_conv2d.h"

namespace ll {

CostCounts& CostCounts::operator+=(const CostCounts& o) {
    weights += o.weights;
    biases += o.biases;
    multiplications += o.multiplications;
    additions += o.additions;
    macs += o.macs;
    poolOps += o.poolOps;
    normOps += o.normOps;
    activations += o.activations;
    flops += o.flops;
    activationBytes += o.activationBytes;
    backwardFlops += o.backwardFlops;
    return *this;
}

CostConvention CostConvention::parse(const std::string& name) {
    CostConvention c;
    std::size_t pos = name.find_first_of("+-");
    const std::string base = name.substr(0, pos);
    if (base == "macs") {
        c.macs = true;
    } else if (base != "course") {
        throw UsageError(strCat("unknown convention '", name,
                                "': expected course or macs, optionally followed by -nobias, "
                                "+pool, +bn, +act or +all (e.g. course+all)"));
    }
    while (pos != std::string::npos) {
        const std::size_t next = name.find_first_of("+-", pos + 1);
        const std::string mod = name.substr(pos, next == std::string::npos ? next : next - pos);
        if (mod == "-nobias") {
            c.bias = false;
        } else if (mod == "+pool") {
            c.foldPooling = true;
        } else if (mod == "+bn") {
            c.foldBatchNorm = true;
        } else if (mod == "+act") {
            c.foldActivations = true;
        } else if (mod == "+all") {
            c.foldPooling = c.foldBatchNorm = c.foldActivations = true;
        } else {
            throw UsageError(strCat("unknown convention modifier '", mod, "' in '", name,
                                    "' (known: -nobias, +pool, +bn, +act, +all)"));
        }
        pos = next;
    }
    return c;
}

std::string CostConvention::name() const {
    std::string s = macs ? "macs" : "course";
    if (!bias) s += "-nobias";
    if (foldPooling && foldBatchNorm && foldActivations) return s + "+all";
    if (foldPooling) s += "+pool";
    if (foldBatchNorm) s += "+bn";
    if (foldActivations) s += "+act";
    return s;
}

std::string CostConvention::explain() const {
    std::string s = macs ? "FLOPs = multiply-accumulates (MACs) of Conv2d and Linear"
                         : "FLOPs = multiplications + additions of Conv2d and Linear";
    s += bias ? ", the bias supplying one addition per output" : ", bias additions not counted";
    std::string folded;
    if (foldPooling) folded += ", pooling operations";
    if (foldBatchNorm) folded += ", batch-norm operations";
    if (foldActivations) folded += ", activation evaluations";
    if (folded.empty())
        return s + "; pooling, batch-norm and activation operations in their own columns";
    return s + "; plus" + folded.substr(1);
}

namespace {

CostCounts leafCost(const Layer& l, const Shape& out, const CostConvention& c) {
    CostCounts k;
    const std::int64_t outElems = out.sample().numel();
    k.activationBytes = 4 * outElems;
    std::int64_t linearOutputs = 0;  // outputs of a conv/linear (one bias addition each)
    bool hasBias = false;
    if (auto* sc = dynamic_cast<const SparseConv2d*>(&l)) {
        const Window2d& w = sc->window();
        const std::int64_t hw = static_cast<std::int64_t>(out[2]) * out[3];
        for (const auto& ins : sc->connections())
            k.weights += static_cast<std::int64_t>(ins.size()) * w.kh * w.kw;
        k.multiplications = k.weights * hw;
        hasBias = sc->hasBias();
        linearOutputs = outElems;
    } else if (auto* cv = dynamic_cast<const Conv2d*>(&l)) {
        const Window2d& w = cv->window();
        k.multiplications = static_cast<std::int64_t>(cv->inChannels()) * w.kh * w.kw * outElems;
        k.weights = static_cast<std::int64_t>(cv->outChannels()) * cv->inChannels() * w.kh * w.kw;
        hasBias = cv->hasBias();
        linearOutputs = outElems;
    } else if (auto* li = dynamic_cast<const Linear*>(&l)) {
        k.multiplications = static_cast<std::int64_t>(li->inFeatures()) * outElems;
        k.weights = static_cast<std::int64_t>(li->inFeatures()) * li->outFeatures();
        hasBias = li->hasBias();
        linearOutputs = outElems;
    } else if (auto* mp = dynamic_cast<const MaxPool2d*>(&l)) {
        k.poolOps = (static_cast<std::int64_t>(mp->window().kh) * mp->window().kw - 1) * outElems;
    } else if (auto* ap = dynamic_cast<const AvgPool2d*>(&l)) {
        // kh·kw − 1 additions and one division per output.
        k.poolOps = static_cast<std::int64_t>(ap->window().kh) * ap->window().kw * outElems;
    } else if (auto* bn = dynamic_cast<const BatchNorm*>(&l)) {
        k.weights = k.biases = bn->channels();
        k.normOps = 2 * outElems;
    } else if (l.isActivation()) {
        k.activations = outElems;
    }
    if (hasBias) k.biases = out[1];  // one per output channel or feature
    k.macs = k.multiplications;
    k.additions = k.multiplications;
    if (linearOutputs > 0 && !(c.bias && hasBias)) k.additions -= linearOutputs;
    k.flops = c.macs ? k.macs : k.multiplications + k.additions;
    k.backwardFlops = 2 * k.flops;
    if (c.foldPooling) k.flops += k.poolOps;
    if (c.foldBatchNorm) k.flops += k.normOps;
    if (c.foldActivations) k.flops += k.activations;
    return k;
}

struct Walker {
    const CostConvention& conv;
    CostTable& table;
    int leafCount = 0;

    // Appends rows for the layers of `net` fed with `in` (batched) and field `rf`;
    // returns the subtotal.
    CostCounts walk(const Net& net, Shape in, ReceptiveField rf, const std::string& prefix,
                    int depth) {
        CostCounts sum;
        for (int i = 0; i < net.size(); ++i) {
            const Layer& l = net.layer(i);
            const Shape out = l.outputShape(in);
            const ReceptiveField outRf = receptiveFieldThrough(l, rf, in);
            CostRow row;
            row.name = prefix + l.name();
            row.type = l.type();
            row.depth = depth;
            row.outputShape = out.sample();
            row.detail = l.describe();
            row.rf = outRf;
            if (l.isModule()) {
                row.leaf = false;
                const std::size_t at = table.rows.size();
                table.rows.push_back(row);
                CostCounts moduleSum;
                for (int b = 0; b < l.numBranches(); ++b) {
                    const Net& branch = l.branch(b);
                    CostRow br;
                    br.name = row.name + "/" + branch.name();
                    br.type = "Branch";
                    br.leaf = false;
                    br.depth = depth + 1;
                    br.outputShape = branch.outputShape(in).sample();
                    br.rf = receptiveFieldThrough(branch, rf, in);
                    br.detail = strCat(branch.size(), branch.size() == 1 ? " layer" : " layers");
                    const std::size_t bAt = table.rows.size();
                    table.rows.push_back(br);
                    CostCounts bs = walk(branch, in, rf, br.name + "/", depth + 2);
                    if (branch.size() == 0) bs.activationBytes = 4 * br.outputShape.numel();
                    table.rows[bAt].cost = bs;
                    moduleSum += bs;
                }
                // The module's own output (the concatenation) is one more tensor in memory.
                moduleSum.activationBytes += 4 * out.sample().numel();
                table.rows[at].cost = moduleSum;
                sum += moduleSum;
            } else {
                row.leafIndex = leafCount++;
                row.cost = leafCost(l, out, conv);
                table.rows.push_back(row);
                sum += row.cost;
            }
            in = out;
            rf = outRf;
        }
        return sum;
    }
};

std::string withCommas(std::int64_t v) {
    std::string s = std::to_string(v < 0 ? -v : v);
    for (int i = static_cast<int>(s.size()) - 3; i > 0; i -= 3)
        s.insert(static_cast<std::size_t>(i), ",");
    return v < 0 ? "-" + s : s;
}

std::string rfText(const ReceptiveField& rf) {
    if (!rf.valid) return "-";
    auto pair = [](const std::array<int, 2>& a) {
        return a[0] == a[1] ? std::to_string(a[0]) : strCat(a[0], "×", a[1]);
    };
    return strCat(pair(rf.size), " / ", pair(rf.jump), " / ", pair(rf.start));
}

std::string shapeText(const Shape& s) {
    std::string t;
    for (int d = 0; d < s.rank(); ++d)
        t += strCat(d ? "×" : "", s[d]);
    return t;
}

std::string csvShape(const Shape& s) {
    std::string t;
    for (int d = 0; d < s.rank(); ++d)
        t += strCat(d ? "x" : "", s[d]);
    return t;
}

// Display width of UTF-8 text (× counts as one column).
int displayWidth(const std::string& s) {
    int w = 0;
    for (unsigned char ch : s)
        w += (ch & 0xC0) != 0x80;
    return w;
}

std::string pad(const std::string& s, int width, bool right) {
    const int fill = std::max(0, width - displayWidth(s));
    return right ? std::string(static_cast<std::size_t>(fill), ' ') + s
                 : s + std::string(static_cast<std::size_t>(fill), ' ');
}

std::vector<std::string> rowCells(const CostRow& r, bool commas) {
    auto num = [&](std::int64_t v) { return commas ? withCommas(v) : std::to_string(v); };
    const std::string indent(static_cast<std::size_t>(2 * r.depth), ' ');
    const CostCounts& c = r.cost;
    return {commas ? indent + r.name : r.name,
            r.type,
            shapeText(r.outputShape),
            num(c.params()),
            num(c.multiplications),
            num(c.additions),
            num(c.flops),
            num(c.macs),
            num(c.poolOps),
            num(c.normOps),
            num(c.activations),
            num(c.activationBytes),
            rfText(r.rf)};
}

CostRow totalsRow(const CostTable& t) {
    CostRow r;
    r.name = "total";
    r.type = "";
    r.outputShape = t.input;
    for (const CostRow& row : t.rows)
        if (row.depth == 0) r.outputShape = row.outputShape;
    r.cost = t.totals;
    r.rf.valid = false;
    return r;
}

}  // namespace

const std::vector<std::string>& costColumnTitles() {
    static const std::vector<std::string> titles = {"layer",
                                                    "type",
                                                    "output",
                                                    "params",
                                                    "mult",
                                                    "add",
                                                    "FLOPs",
                                                    "MACs",
                                                    "pool ops",
                                                    "bn ops",
                                                    "act evals",
                                                    "act bytes",
                                                    "RF size / jump / start"};
    return titles;
}

std::vector<const CostRow*> CostTable::leaves() const {
    std::vector<const CostRow*> out;
    for (const CostRow& r : rows)
        if (r.leaf) out.push_back(&r);
    return out;
}

const CostRow& CostTable::findLeaf(const std::string& key) const {
    const auto ls = leaves();
    bool numeric = !key.empty() && key.find_first_not_of("0123456789") == std::string::npos;
    if (numeric) {
        const long idx = std::stol(key);
        if (idx >= 0 && idx < static_cast<long>(ls.size()))
            return *ls[static_cast<std::size_t>(idx)];
    }
    for (const CostRow* r : ls)
        if (r->name == key) return *r;
    // A top-level module may be named too (its output is one map).
    for (const CostRow& r : rows)
        if (!r.leaf && r.name == key) return r;
    std::string names;
    for (const CostRow* r : ls)
        names += strCat(names.empty() ? "" : ", ", r->leafIndex, ":", r->name);
    throw UsageError(strCat("no layer '", key, "' in model '", model, "' (layers: ", names, ")"));
}

CostTable computeCosts(const Net& net, const CostConvention& convention, const Shape& inputSample) {
    CostTable t;
    t.model = net.name();
    t.input = inputSample.rank() > 0 ? inputSample : net.inputSample();
    t.convention = convention;
    Walker w{convention, t};
    w.walk(net, t.input.batched(1), inputReceptiveField(t.input), "", 0);
    // Top-level rows: a module's subtotal already holds its branches and its own output.
    for (const CostRow& r : t.rows)
        if (r.depth == 0) t.totals += r.cost;
    return t;
}

std::string costTableText(const CostTable& t) {
    std::vector<std::vector<std::string>> cells{costColumnTitles()};
    for (const CostRow& r : t.rows)
        cells.push_back(rowCells(r, true));
    cells.push_back(rowCells(totalsRow(t), true));
    cells.back()[12] = "";
    std::vector<int> width(cells[0].size(), 0);
    for (const auto& row : cells)
        for (std::size_t c = 0; c < row.size(); ++c)
            width[c] = std::max(width[c], displayWidth(row[c]));
    std::ostringstream os;
    os << "model " << t.model << ", input " << t.input << " (one sample), convention "
       << t.convention.name() << ": " << t.convention.explain() << "\n";
    for (std::size_t r = 0; r < cells.size(); ++r) {
        if (r + 1 == cells.size()) {
            int total = 0;
            for (int w : width)
                total += w + 2;
            os << std::string(static_cast<std::size_t>(total - 2), '-') << "\n";
        }
        for (std::size_t c = 0; c < cells[r].size(); ++c) {
            const bool right = c >= 3 && c <= 11;
            const bool last = c + 1 == cells[r].size();
            os << (last ? cells[r][c] : pad(cells[r][c], width[c], right) + "  ");
        }
        os << "\n";
    }
    for (const CostRow& r : t.rows)
        if (!r.rf.valid && !r.rf.note.empty()) {
            os << "receptive field: " << r.rf.note << "\n";
            break;
        }
    return os.str();
}

std::vector<std::vector<std::string>> costComparisonCells(const std::vector<CostTable>& tables,
                                                          bool csv) {
    if (tables.empty()) throw UsageError("nothing to compare");
    auto num = [&](std::int64_t v) { return csv ? std::to_string(v) : withCommas(v); };
    auto ratio = [csv](std::int64_t v, std::int64_t base) {
        if (base == 0) return std::string("-");
        const double r = static_cast<double>(v) / static_cast<double>(base);
        char s[32];
        std::snprintf(s, sizeof s, csv ? "%.6g" : (r >= 100 ? "%.0f×" : "%.3g×"), r);
        return std::string(s);
    };
    std::vector<std::vector<std::string>> cells{
        {"model", "input", "layers with parameters", "parameters", "× params", "FLOPs", "× FLOPs",
         "MACs", "training FLOPs", "activation memory (bytes)"}};
    const CostCounts& base = tables.front().totals;
    for (const CostTable& t : tables) {
        int layers = 0;
        for (const CostRow* r : t.leaves())
            layers += r->cost.params() > 0;
        const CostCounts& c = t.totals;
        cells.push_back({t.model, csv ? csvShape(t.input) : shapeText(t.input),
                         std::to_string(layers), num(c.params()), ratio(c.params(), base.params()),
                         num(c.flops), ratio(c.flops, base.flops), num(c.macs),
                         num(c.flops + c.backwardFlops), num(c.activationBytes)});
    }
    return cells;
}

std::string costComparison(const std::vector<CostTable>& tables, const std::string& format) {
    if (format != "table" && format != "csv" && format != "markdown")
        throw UsageError(strCat("--format '", format, "': expected table, csv or markdown"));
    const bool csv = format == "csv";
    const auto cells = costComparisonCells(tables, csv);
    std::ostringstream os;
    if (!csv)
        os << "convention " << tables.front().convention.name() << ": "
           << tables.front().convention.explain() << "; one sample each.\n";
    if (format == "markdown") os << "\n";
    std::vector<int> width(cells[0].size(), 0);
    for (const auto& row : cells)
        for (std::size_t c = 0; c < row.size(); ++c)
            width[c] = std::max(width[c], displayWidth(row[c]));
    for (std::size_t r = 0; r < cells.size(); ++r) {
        for (std::size_t c = 0; c < cells[r].size(); ++c) {
            const std::string& cell = cells[r][c];
            if (csv) {
                os << (c ? "," : "") << cell;
            } else if (format == "markdown") {
                os << (c ? " " : "| ") << cell << " |";
            } else {
                os << pad(cell, width[c], c >= 2) << (c + 1 < cells[r].size() ? "  " : "");
            }
        }
        os << "\n";
        if (r == 0 && format == "markdown") {
            os << "|---|---|";
            for (std::size_t c = 2; c < cells[r].size(); ++c)
                os << "---:|";
            os << "\n";
        }
    }
    return os.str();
}

std::string costTableCsv(const CostTable& t) {
    std::ostringstream os;
    os << "# convention " << t.convention.name() << ": " << t.convention.explain() << "\n";
    os << "name,type,leaf,depth,output_shape,weights,biases,params,multiplications,additions,"
          "flops,macs,pool_ops,norm_ops,activations,activation_bytes,backward_flops,rf_size_h,"
          "rf_size_w,rf_jump_h,rf_jump_w,rf_start_h,rf_start_w\n";
    auto line = [&](const CostRow& r, bool leaf) {
        const CostCounts& c = r.cost;
        os << r.name << "," << r.type << "," << (leaf ? "true" : "false") << "," << r.depth << ","
           << csvShape(r.outputShape) << "," << c.weights << "," << c.biases << "," << c.params()
           << "," << c.multiplications << "," << c.additions << "," << c.flops << "," << c.macs
           << "," << c.poolOps << "," << c.normOps << "," << c.activations << ","
           << c.activationBytes << "," << c.backwardFlops;
        if (r.rf.valid) {
            os << "," << r.rf.size[0] << "," << r.rf.size[1] << "," << r.rf.jump[0] << ","
               << r.rf.jump[1] << "," << r.rf.start[0] << "," << r.rf.start[1];
        } else {
            os << ",,,,,,";
        }
        os << "\n";
    };
    for (const CostRow& r : t.rows)
        line(r, r.leaf);
    line(totalsRow(t), false);
    return os.str();
}

std::string costTableMarkdown(const CostTable& t) {
    std::ostringstream os;
    os << "Model `" << t.model << "`, input " << shapeText(t.input) << ", convention `"
       << t.convention.name() << "`: " << t.convention.explain() << ".\n\n";
    const auto titles = costColumnTitles();
    os << "|";
    for (const auto& h : titles)
        os << " " << h << " |";
    os << "\n|";
    for (std::size_t c = 0; c < titles.size(); ++c)
        os << (c >= 3 && c <= 11 ? "---:|" : "---|");
    os << "\n";
    auto line = [&](const CostRow& r, bool bold) {
        auto cells = rowCells(r, true);
        cells[0] = std::string(static_cast<std::size_t>(r.depth) * 2, ' ') + r.name;
        if (r.depth > 0) {
            std::string nb;
            for (int i = 0; i < r.depth; ++i)
                nb += "&nbsp;&nbsp;";
            cells[0] = nb + r.name;
        }
        if (bold) cells[0] = "**" + cells[0] + "**";
        os << "|";
        for (const auto& c : cells)
            os << " " << c << " |";
        os << "\n";
    };
    for (const CostRow& r : t.rows)
        line(r, false);
    CostRow tot = totalsRow(t);
    line(tot, true);
    return os.str();
}

std::string costTableJson(const CostTable& t) {
    using json = nlohmann::ordered_json;
    auto counters = [](const CostCounts& c, json& j) {
        j["weights"] = c.weights;
        j["biases"] = c.biases;
        j["params"] = c.params();
        j["multiplications"] = c.multiplications;
        j["additions"] = c.additions;
        j["flops"] = c.flops;
        j["macs"] = c.macs;
        j["pool_ops"] = c.poolOps;
        j["norm_ops"] = c.normOps;
        j["activations"] = c.activations;
        j["activation_bytes"] = c.activationBytes;
        j["backward_flops"] = c.backwardFlops;
    };
    json doc;
    doc["model"] = t.model;
    doc["input"] = t.input.dims();
    doc["convention"] = t.convention.name();
    doc["convention_explained"] = t.convention.explain();
    doc["layers"] = json::array();
    for (const CostRow& r : t.rows) {
        json j;
        j["name"] = r.name;
        j["type"] = r.type;
        j["leaf"] = r.leaf;
        j["depth"] = r.depth;
        j["output_shape"] = r.outputShape.dims();
        counters(r.cost, j);
        if (r.rf.valid) {
            j["rf"] = {{"size", r.rf.size}, {"jump", r.rf.jump}, {"start", r.rf.start}};
        } else {
            j["rf"] = nullptr;
            j["rf_note"] = r.rf.note;
        }
        doc["layers"].push_back(j);
    }
    json tot;
    counters(t.totals, tot);
    doc["totals"] = tot;
    return doc.dump(2) + "\n";
}

TrainingMemory estimateTrainingMemory(const CostTable& t, int batch, const std::string& optimizer) {
    TrainingMemory m;
    m.weights = 4 * t.totals.params();
    m.gradients = m.weights;
    const int copies = optimizer == "sgd" ? 0 : optimizer == "adam" ? 2 : 1;
    m.optimizerState = copies * m.weights;
    std::int64_t perSample = 0;
    for (const CostRow* r : t.leaves())
        perSample += r->cost.activationBytes;
    perSample += 4 * t.input.numel();
    m.activations = 3 * perSample * std::max(batch, 1);
    return m;
}

void requireTrainingMemory(const Net& net, int batch, const std::string& optimizer) {
    const TrainingMemory m = estimateTrainingMemory(computeCosts(net), batch, optimizer);
    const std::uint64_t budget = memoryBudget();
    if (static_cast<std::uint64_t>(m.total()) > budget) {
        throw ModelError(strCat(
            "training model '", net.name(), "' with batch ", batch, " and ", optimizer,
            " needs about ", formatBytes(static_cast<std::uint64_t>(m.total())), " (weights ",
            formatBytes(static_cast<std::uint64_t>(m.weights)), ", gradients and optimizer state ",
            formatBytes(static_cast<std::uint64_t>(m.gradients + m.optimizerState)),
            ", activations ", formatBytes(static_cast<std::uint64_t>(m.activations)),
            "), more than the ", formatBytes(budget),
            " of memory available; try a smaller batch or a smaller model"));
    }
}

}  // namespace ll
