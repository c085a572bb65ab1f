// `layerlens topk`: for every channel of a layer, the test images that excite it most (Zeiler &
// Fergus 2014), as a PNG grid per channel (the patch under the receptive field of the strongest
// position lit, the rest dimmed) and a CSV of image indices and activations.
#include <cinttypes>
#include <cstdio>
#include <filesystem>
#include <fstream>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "app/unit_options.h"
#include "core/data/file_io.h"
#include "core/parallel.h"

namespace ll::cli {

namespace fs = std::filesystem;

Command topkCommand() {
    Command c;
    c.name = "topk";
    c.synopsis = "--model NAME|FILE [--checkpoint C] --layer L [--k 9] --out DIR [OPTIONS]";
    c.summary = "the test images that excite each channel of a layer most (PNG grids and a CSV)";
    c.description =
        "Runs the model (eval mode) over the test images (or the first --subset of them) and\n"
        "keeps, for every channel of --layer, the --k images whose channel activation is largest:\n"
        "by default its maximum over the positions (--reduce). Writes DIR/LAYER-cN.png, a grid\n"
        "of the channel's images, best first, row by row -- for a layer with feature maps the\n"
        "input patch under the receptive field of the strongest position lit and outlined, the\n"
        "rest dimmed -- and DIR/LAYER.csv: channel, rank, image index, label, activation, the\n"
        "position and the receptive field's rows and columns (clipped to the image, half open).\n"
        "Any node with an output works: convolutions, pooling, activations, residual adds,\n"
        "linear units and class scores (one position per channel: the whole image is shown).\n";
    c.options = unitOptions();
    c.options.insert(c.options.begin() + 3,
                     {{"k", "K", "images per channel (default 9)"},
                      {"subset", "N", "look at the first N test images only (default all)"},
                      {"scale", "S", "enlarge the images S times in the grids (default 3)"},
                      {"out", "DIR", "where to write the grids and the CSV (created)"}});
    c.options.push_back(kernelsOption());
    return c;
}

int topk(const Args& args, std::ostream& out) {
    if (!args.has("out")) throw UsageError("--out is required; see 'layerlens topk --help'");
    setNumThreads(args.integer("threads", 0, 0, 256));
    TopKOptions o;
    o.k = args.integer("k", 9, 1, 10000);
    o.limit = args.integer("subset", 0, 0, 1 << 30);
    const int scale = args.integer("scale", 3, 1, 64);
    UnitSetup s = unitSetup(args, UnitReduce::Max);
    o.unit = s.unit;
    const DataPair data = unitData(args, s);
    const Dataset& test = data.test;

    const TopKResult r = topKExamples(s.net, test, s.node, s.batch, o);
    const std::string dir = args.str("out");
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir))
        throw DataError(strCat("cannot create the output folder '", dir, "'"));

    out << "model " << s.net.name() << ", layer " << r.nodeName << " (" << r.layout.channels
        << " channels of " << r.layout.height << "×" << r.layout.width << "), " << describe(r.unit)
        << " per channel\n"
        << s.weights << "\n"
        << test.name << ": " << r.samplesSeen << " test images from " << test.source << "\n";
    if (r.layout.spatial)
        out << (r.field.valid ? strCat("receptive field ", r.field.size[0], "×", r.field.size[1],
                                       ", jump ", r.field.jump[0], "\n")
                              : strCat("no receptive field: ", r.field.note, "\n"));
    std::string csv =
        "channel,rank,index,label,activation,row,col,rf_row0,rf_row1,rf_col0,rf_col1\n";
    for (int c = 0; c < r.layout.channels; ++c) {
        const auto& list = r.channels[static_cast<std::size_t>(c)];
        for (std::size_t j = 0; j < list.size(); ++j) {
            const TopExample& e = list[j];
            char value[32];
            std::snprintf(value, sizeof value, "%.6g", static_cast<double>(e.activation));
            csv += strCat(c, ",", j + 1, ",", e.index, ",",
                          static_cast<int>(test.labels[static_cast<std::size_t>(e.index)]), ",",
                          value, ",", e.row, ",", e.col, ",", e.region.clippedRows[0], ",",
                          e.region.clippedRows[1], ",", e.region.clippedCols[0], ",",
                          e.region.clippedCols[1], "\n");
        }
        const std::string png =
            (fs::path(dir) / strCat(fileSafe(r.nodeName), "-c", c, ".png")).string();
        if (!list.empty()) writeRgbPng(png, topKGrid(test, r, c, scale));
        if (c < 16 || c == r.layout.channels - 1) {
            char line[160];
            std::snprintf(line, sizeof line, "  channel %d: best %.4g (image %d), %d-th %.4g\n", c,
                          list.empty() ? 0.0 : static_cast<double>(list.front().activation),
                          list.empty() ? -1 : list.front().index, static_cast<int>(list.size()),
                          list.empty() ? 0.0 : static_cast<double>(list.back().activation));
            out << line;
        } else if (c == 16) {
            out << "  ...\n";
        }
    }
    const std::string csvPath = (fs::path(dir) / (fileSafe(r.nodeName) + ".csv")).string();
    writeFileAtomic(csvPath, csv);
    out << "grids: " << (fs::path(dir) / (fileSafe(r.nodeName) + "-c*.png")).string()
        << ", table: " << csvPath << "\n";
    return 0;
}

}  // namespace ll::cli
