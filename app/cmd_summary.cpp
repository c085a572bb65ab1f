// layerlens summary: the per-layer cost table; layerlens rf: one unit's input rectangle.
#include <cstdio>
#include <ostream>
#include <sstream>

#include <nlohmann/json.hpp>

#include "app/args.h"
#include "app/cli.h"
#include "core/analysis/cost.h"
#include "core/analysis/transforms.h"
#include "core/model_file.h"

namespace ll::cli {

namespace {

// "C,H,W" (or "F" for a flat input) → a sample shape.
Shape parseInput(const std::string& text) {
    std::vector<int> dims;
    std::stringstream ss(text);
    std::string part;
    while (std::getline(ss, part, ',')) {
        try {
            std::size_t used = 0;
            const int v = std::stoi(part, &used);
            if (used != part.size() || v <= 0) throw std::invalid_argument(part);
            dims.push_back(v);
        } catch (const std::exception&) {
            throw UsageError(strCat("--input '", text, "': expected positive integers C,H,W"));
        }
    }
    if (dims.empty() || dims.size() > 3)
        throw UsageError(strCat("--input '", text, "': expected C,H,W"));
    return Shape(dims);
}

Shape inputOf(const Args& args) {
    return args.has("input") ? parseInput(args.str("input")) : Shape{};
}

}  // namespace

Command summaryCommand() {
    Command c;
    c.name = "summary";
    c.synopsis = "--model NAME|FILE [OPTIONS]";
    c.summary =
        "per-layer cost table: parameters, FLOPs/MACs, activations, memory, receptive fields";
    c.description =
        "Per-layer parameters, multiplications, additions, FLOPs, MACs, pooling, batch-norm\n"
        "and activation operations, activation memory and receptive fields (one sample).\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW", "height and width of an ONNX model whose input size is dynamic"},
        {"input", "C,H,W", "the input shape of one sample (default: the model's)"},
        {"convention", "CONV",
         "how operations are counted: course (default), or\nmacs[-nobias][+pool][+bn][+act][+all]"},
        {"format", "FORMAT", "table (default), csv, json or markdown"},
        {"compare", "NAME|FILE[,...]",
         "the designs side by side instead (totals, and\nmultiples of the first)"},
        {"act-after-maxpool", "",
         "the model with every monotonic activation moved after\nthe max-pool it feeds (the same "
         "outputs; see 'layerlens lab')"},
    };
    return c;
}

int summary(const Args& args, std::ostream& out) {
    if (!args.has("model")) throw UsageError("--model is required (a preset name or a model file)");
    const CostConvention convention = CostConvention::parse(args.str("convention", "course"));
    const std::string format = args.str("format", "table");
    if (args.has("compare")) {
        std::vector<std::string> names{args.str("model")};
        std::string rest = args.str("compare");
        for (std::size_t start = 0; start <= rest.size();) {
            const std::size_t comma = rest.find(',', start);
            const std::string name =
                rest.substr(start, comma == std::string::npos ? std::string::npos : comma - start);
            if (name.empty()) throw UsageError("--compare: an empty model name");
            names.push_back(name);
            if (comma == std::string::npos) break;
            start = comma + 1;
        }
        std::vector<CostTable> tables;
        for (const std::string& n : names)  // each at its own input unless --input says otherwise
            tables.push_back(
                computeCosts(loadModel(n, nullptr, Build::ShapesOnly), convention, inputOf(args)));
        out << costComparison(tables, format == "table" ? "table" : format);
        return 0;
    }
    Net net = loadModel(args.str("model"), nullptr, Build::ShapesOnly);
    std::string moved;
    if (args.has("act-after-maxpool")) {
        // Shapes only, as the model above: a model of any size transforms in constant memory.
        ShapesOnlyScope shapesOnly;
        std::vector<std::string> swapped, refused;
        Net s = activationsAfterMaxPool(net, &swapped, &refused);
        const std::int64_t before = computeCosts(net, convention, inputOf(args)).totals.activations;
        std::string list;
        for (const std::string& w : swapped)
            list += (list.empty() ? "" : ", ") + w;
        moved =
            strCat("Activations after max-pooling: ", swapped.empty() ? "none moved" : list,
                   "; activation evaluations ", before, " → ",
                   computeCosts(s, convention, inputOf(args)).totals.activations, " per sample\n");
        for (const std::string& r : refused)
            moved += "Not moved: " + r + "\n";
        net = std::move(s);
    }
    const CostTable t = computeCosts(net, convention, inputOf(args));
    if (format == "table") {
        out << moved << costTableText(t);
    } else if (format == "csv") {
        out << costTableCsv(t);
    } else if (format == "json") {
        out << costTableJson(t);
    } else if (format == "markdown") {
        out << moved << (moved.empty() ? "" : "\n") << costTableMarkdown(t);
    } else {
        throw UsageError(strCat("--format '", format, "': expected table, csv, json or markdown"));
    }
    return 0;
}

Command rfCommand() {
    Command c;
    c.name = "rf";
    c.synopsis = "--model NAME|FILE --layer NAME|INDEX --unit I,J [OPTIONS]";
    c.summary = "the input rectangle one unit of a layer depends on";
    c.description =
        "The input pixels unit (I, J) of a layer depends on: half-open row and column\n"
        "ranges, unclipped (reaching into the padding) and clipped to the image.\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW", "height and width of an ONNX model whose input size is dynamic"},
        {"layer", "NAME|INDEX", "a layer name or its 0-based index in the leaf list (see summary)"},
        {"unit", "I,J", "the unit's row and column in the layer's output"},
        {"input", "C,H,W", "the input shape of one sample (default: the model's)"},
        {"format", "text|json", "output format (default text)"},
    };
    return c;
}

int rf(const Args& args, std::ostream& out) {
    for (const char* required : {"model", "layer", "unit"})
        if (!args.has(required)) throw UsageError(strCat("--", required, " is required"));
    const Net net = loadModel(args.str("model"), nullptr, Build::ShapesOnly);
    const CostTable t = computeCosts(net, {}, inputOf(args));
    const CostRow& row = t.findLeaf(args.str("layer"));
    if (!row.rf.valid)
        throw UsageError(strCat("layer '", row.name, "' has no receptive field: ", row.rf.note));
    const std::string unitText = args.str("unit");
    int ui = 0, uj = 0;
    char tail = 0;
    if (std::sscanf(unitText.c_str(), "%d,%d%c", &ui, &uj, &tail) != 2)
        throw UsageError(strCat("--unit '", unitText, "': expected I,J (row and column)"));
    const Shape& os = row.outputShape;
    if (os.rank() == 3 && (ui < 0 || ui >= os[1] || uj < 0 || uj >= os[2])) {
        throw UsageError(strCat("unit (", ui, ", ", uj, ") is outside '", row.name,
                                "' whose output is ", os[1], "×", os[2]));
    }
    if (os.rank() != 3 && (ui != 0 || uj != 0))
        throw UsageError(
            strCat("'", row.name, "' has a flat output: the only unit position is 0,0"));
    const int H = t.input.rank() == 3 ? t.input[1] : 1, W = t.input.rank() == 3 ? t.input[2] : 1;
    const UnitRegion u = unitRegion(row.rf, ui, uj, H, W);
    const std::string format = args.str("format", "text");
    if (format == "json") {
        nlohmann::ordered_json j;
        j["layer"] = row.name;
        j["unit"] = {ui, uj};
        j["size"] = row.rf.size;
        j["jump"] = row.rf.jump;
        j["start"] = row.rf.start;
        j["unclipped"] = {{"rows", {u.rows[0], u.rows[1]}}, {"cols", {u.cols[0], u.cols[1]}}};
        j["clipped"] = {{"rows", {u.clippedRows[0], u.clippedRows[1]}},
                        {"cols", {u.clippedCols[0], u.clippedCols[1]}}};
        out << j.dump(2) << "\n";
    } else if (format == "text") {
        out << "layer " << row.name << " (" << row.type << "), unit (" << ui << ", " << uj
            << "), input " << t.input << "\n"
            << "receptive field " << row.rf.size[0] << "×" << row.rf.size[1] << ", jump "
            << row.rf.jump[0] << "×" << row.rf.jump[1] << ", start " << row.rf.start[0] << ","
            << row.rf.start[1] << "\n"
            << "unclipped: rows [" << u.rows[0] << ", " << u.rows[1] << "), cols [" << u.cols[0]
            << ", " << u.cols[1] << ")\n"
            << "clipped:   rows [" << u.clippedRows[0] << ", " << u.clippedRows[1] << "), cols ["
            << u.clippedCols[0] << ", " << u.clippedCols[1] << ")\n";
    } else {
        throw UsageError(strCat("--format '", format, "': expected text or json"));
    }
    return 0;
}

}  // namespace ll::cli
