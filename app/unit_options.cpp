#include "app/unit_options.h"

#include <cctype>
#include <cstdio>
#include <filesystem>

#include "app/cli.h"
#include "app/data_options.h"
#include "core/checkpoint.h"
#include "core/data/png.h"

namespace ll::cli {

namespace fs = std::filesystem;

std::vector<Option> unitOptions() {
    return {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"checkpoint", "FILE", "the weights (a .llck of 'layerlens train')"},
        {"layer", "NAME", "the node whose channels are looked at ('layerlens summary' lists them)"},
        {"reduce", "max|mean|unit",
         "a channel's number: its largest value over the positions,\ntheir mean, or the one "
         "--unit gives"},
        {"unit", "R,C", "the position (row, column) for --reduce unit (default the centre)"},
        {"dataset", "D",
         "mnist, cifar10, synthetic-digits, synthetic-shapes or images\n(default: the model's)"},
        {"data", "DIR", "the data folder (default: $LAYERLENS_DATA, else searched)"},
        {"no-normalize", "", "pixels x/255 instead of normalized per channel"},
        {"raw-pixels", "", "pixels as stored, 0..255"},
        {"seed", "S", "seed of the initial weights without --checkpoint (default 1)"},
        {"threads", "T", "threads (default 0: all cores)"},
    };
}

UnitSetup unitSetup(const Args& args, UnitReduce reduce) {
    if (!args.has("layer"))
        throw UsageError("--layer is required (a node name; 'layerlens summary' lists them)");
    UnitSetup s;
    s.net = modelOrCheckpointNet(args, s.spec);
    if (s.net.size() == 0) throw UsageError(strCat(s.net.name(), " has no layers"));
    s.node = nodeByName(s.net, args.str("layer"), "--layer");
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    if (!s.net.pretrained()) s.net.resetParameters(seed);
    if (args.has("checkpoint")) {
        const CheckpointInfo info = loadCheckpoint(args.str("checkpoint"), s.net);
        s.weights = strCat("weights: ", args.str("checkpoint"), " (epoch ", info.epoch, ", step ",
                           info.step, ")");
    } else if (s.net.pretrained()) {
        s.weights = strCat("weights: the model's own (", args.str("model"), ")");
    } else {
        s.weights = strCat("warning: no --checkpoint: ", s.net.name(),
                           " runs with its untrained initial weights (seed ", seed, ")");
    }
    const std::string r = args.str("reduce", reduce == UnitReduce::Max    ? "max"
                                             : reduce == UnitReduce::Mean ? "mean"
                                                                          : "unit");
    if (r == "max")
        s.unit.reduce = UnitReduce::Max;
    else if (r == "mean")
        s.unit.reduce = UnitReduce::Mean;
    else if (r == "unit")
        s.unit.reduce = UnitReduce::Unit;
    else
        throw UsageError(strCat("--reduce must be max, mean or unit, got '", r, "'"));
    const OutputLayout layout =
        outputLayout(s.net.outputShapes()[static_cast<std::size_t>(s.node)].sample());
    if (args.has("unit")) {
        if (s.unit.reduce != UnitReduce::Unit) throw UsageError("--unit needs --reduce unit");
        int row = 0, col = 0;
        char sep = 0, extra = 0;
        const std::string v = args.str("unit");
        if (std::sscanf(v.c_str(), "%d%c%d%c", &row, &sep, &col, &extra) != 3 || sep != ',')
            throw UsageError(strCat("--unit '", v, "': give the row and column, e.g. 4,4"));
        s.unit.row = row;
        s.unit.col = col;
    } else if (s.unit.reduce == UnitReduce::Unit) {
        s.unit.row = layout.height / 2;
        s.unit.col = layout.width / 2;
    }
    checkUnit(s.net, s.node, 0, s.unit);
    s.batch.normalize = !args.has("no-normalize");
    s.batch.rawPixels =
        args.has("raw-pixels") || (s.spec.defaults.rawPixels && !args.has("no-normalize"));
    return s;
}

DataPair unitData(const Args& args, const UnitSetup& s) {
    DataOptions o = dataOptionsFrom(args, s.spec.defaults, 1);
    o.trainSubset = 0;
    o.testSubset = 0;
    o.labelNoise = 0;
    const Shape& in = s.net.inputSample();
    if (in.rank() == 3) {
        o.channels = in[0];
        o.height = in[1];
        o.width = in[2];
    }
    DataPair d = loadData(o);
    if (d.test.size() == 0) throw DataError(strCat(o.dataset, " has no test images"));
    if (d.test.sampleShape().numel() != in.numel())
        throw UsageError(strCat(o.dataset, "'s images are ", d.test.sampleShape(), "; ",
                                s.net.name(), " takes ", in, ": give --dataset"));
    return d;
}

std::string fileSafe(const std::string& name) {
    std::string base;
    for (const char ch : name) {
        const auto c = static_cast<unsigned char>(ch);
        base += std::isalnum(c) || c == '.' || c == '_' || c == '-' ? ch : '_';
    }
    if (base.empty()) base = "_";
    if (base[0] == '.') base[0] = '_';
    return base.substr(0, 200);
}

std::string withSuffix(const std::string& path, const std::string& suffix) {
    const fs::path p(path);
    const std::string ext = p.extension().string();
    return (p.parent_path() / (p.stem().string() + "-" + suffix + (ext.empty() ? ".png" : ext)))
        .string();
}

void writeRgbPng(const std::string& path, const RgbImage& image) {
    const fs::path dir = fs::path(path).parent_path();
    if (!dir.empty()) {
        std::error_code ec;
        fs::create_directories(dir, ec);
        if (!fs::is_directory(dir))
            throw DataError(strCat("cannot create the folder '", dir.string(), "'"));
    }
    writePng(path, image.height, image.width, 3, image.pixels);
}

}  // namespace ll::cli
