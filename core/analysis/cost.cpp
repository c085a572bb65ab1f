#include "core/analysis/cost.h"

#include "core/data/size_check.h"

#include <cstdio>
#include <iomanip>
#include <sstream>

#include <nlohmann/json.hpp>

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
    elementwise += o.elementwise;
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

// The layer's own counts (Layer::cost) under the table's convention.
CostCounts leafCost(const Layer& l, const std::vector<Shape>& in, const Shape& out,
                    const CostConvention& c) {
    const LayerCost lc = l.cost(in, out);
    CostCounts k;
    k.activationBytes = 4 * out.sample().numel();
    k.weights = lc.weights;
    k.biases = lc.biases;
    k.multiplications = lc.multiplications;
    k.poolOps = lc.poolOps;
    k.normOps = lc.normOps;
    k.activations = lc.activations;
    k.elementwise = lc.elementwise;
    k.macs = k.multiplications;
    k.additions = k.multiplications;
    // Without a bias (or with the convention leaving it out) a sum of n products has n − 1
    // additions.
    if (lc.sumOutputs > 0 && !(c.bias && lc.hasBias)) k.additions -= lc.sumOutputs;
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

    // Appends rows for the nodes of `net` fed with `in` (batched) and field `rf`; returns the
    // subtotal. Consecutive nodes of one group (a residual block) get a subtotal row above them.
    CostCounts walk(const Net& net, const Shape& in, const ReceptiveField& rf,
                    const std::string& prefix, int depth) {
        CostCounts sum;
        const std::vector<ReceptiveField> fields = receptiveFields(net, rf, in);
        std::vector<Shape> shapes;
        std::string group;
        std::size_t groupAt = 0;
        int groupSize = 0;
        auto closeGroup = [&] {
            if (!group.empty()) sum += table.rows[groupAt].cost;
            group.clear();
        };
        for (int i = 0; i < net.size(); ++i) {
            const Layer& l = net.layer(i);
            std::vector<Shape> ins;
            for (int j : net.inputsOf(i))
                ins.push_back(j < 0 ? in : shapes[static_cast<std::size_t>(j)]);
            const Shape out = l.outputShapeMulti(ins);
            shapes.push_back(out);
            const ReceptiveField& outRf = fields[static_cast<std::size_t>(i)];
            if (l.group() != group) {
                closeGroup();
                if (!l.group().empty()) {
                    group = l.group();
                    groupAt = table.rows.size();
                    groupSize = 0;
                    CostRow g;
                    g.name = prefix + group;
                    g.type = "Block";
                    g.leaf = false;
                    g.depth = depth;
                    table.rows.push_back(g);
                }
            }
            const int rowDepth = group.empty() ? depth : depth + 1;
            CostRow row;
            row.name = prefix + l.name();
            row.type = l.type();
            row.depth = rowDepth;
            row.outputShape = out.sample();
            row.detail = l.describe();
            row.rf = outRf;
            if (prefix.empty()) row.node = i;
            CostCounts cost;
            if (l.isModule()) {
                row.leaf = false;
                const std::size_t at = table.rows.size();
                table.rows.push_back(row);
                const Shape& min = ins[0];
                const ReceptiveField& mrf =
                    net.inputsOf(i)[0] < 0 ? rf
                                           : fields[static_cast<std::size_t>(net.inputsOf(i)[0])];
                CostCounts moduleSum;
                for (int b = 0; b < l.numBranches(); ++b) {
                    const Net& branch = l.branch(b);
                    CostRow br;
                    br.name = row.name + "/" + branch.name();
                    br.type = "Branch";
                    br.leaf = false;
                    br.depth = rowDepth + 1;
                    br.outputShape = branch.outputShape(min).sample();
                    br.rf = receptiveFieldThrough(branch, mrf, min);
                    br.detail = strCat(branch.size(), branch.size() == 1 ? " layer" : " layers");
                    const std::size_t bAt = table.rows.size();
                    table.rows.push_back(br);
                    CostCounts bs = walk(branch, min, mrf, br.name + "/", rowDepth + 2);
                    if (branch.size() == 0) bs.activationBytes = 4 * br.outputShape.numel();
                    table.rows[bAt].cost = bs;
                    moduleSum += bs;
                }
                // The module's own output (the concatenation) is one more tensor in memory.
                moduleSum.activationBytes += 4 * out.sample().numel();
                table.rows[at].cost = moduleSum;
                cost = moduleSum;
            } else {
                row.leafIndex = leafCount++;
                row.cost = leafCost(l, ins, out, conv);
                table.rows.push_back(row);
                cost = row.cost;
            }
            if (group.empty()) {
                sum += cost;
            } else {
                CostRow& g = table.rows[groupAt];
                g.cost += cost;
                g.outputShape = out.sample();
                g.rf = outRf;
                ++groupSize;
                g.detail = strCat(groupSize, groupSize == 1 ? " layer" : " layers");
            }
        }
        closeGroup();
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
            num(c.elementwise),
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
    static const std::vector<std::string> titles = {"layer",     "type",
                                                    "output",    "params",
                                                    "mult",      "add",
                                                    "FLOPs",     "MACs",
                                                    "pool ops",  "bn ops",
                                                    "act evals", "add/mul ops",
                                                    "act bytes", "RF size / jump / start"};
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
    cells.back()[13] = "";
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
          "flops,macs,pool_ops,norm_ops,activations,elementwise,activation_bytes,backward_flops,rf_"
          "size_h,"
          "rf_size_w,rf_jump_h,rf_jump_w,rf_start_h,rf_start_w\n";
    auto line = [&](const CostRow& r, bool leaf) {
        const CostCounts& c = r.cost;
        os << r.name << "," << r.type << "," << (leaf ? "true" : "false") << "," << r.depth << ","
           << csvShape(r.outputShape) << "," << c.weights << "," << c.biases << "," << c.params()
           << "," << c.multiplications << "," << c.additions << "," << c.flops << "," << c.macs
           << "," << c.poolOps << "," << c.normOps << "," << c.activations << "," << c.elementwise
           << "," << c.activationBytes << "," << c.backwardFlops;
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
        j["elementwise"] = c.elementwise;
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
