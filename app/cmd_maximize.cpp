// `layerlens maximize`: an input optimized to excite one channel of a layer (activation
// maximization with the regularizers of Yosinski et al. 2015), written as a PNG, with the
// activation it reaches beside that of the best test image.
#include <algorithm>
#include <cstdio>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "app/data_options.h"
#include "app/unit_options.h"
#include "core/parallel.h"

namespace ll::cli {

Command maximizeCommand() {
    Command c;
    c.name = "maximize";
    c.synopsis =
        "--model NAME|FILE [--checkpoint C] --layer L --channel C|all --out IMG.png "
        "[OPTIONS]";
    c.summary = "an input optimized to excite a channel (activation maximization), as a PNG";
    c.description =
        "Gradient ascent on the input's pixels (in [0, 1], scaled as training scales them) to\n"
        "excite channel C of --layer -- by default its mean over the positions (--reduce); a\n"
        "class score is a channel of the output layer -- from noise around the data set's mean\n"
        "pixel (or from test image --start N). Each step moves the pixels along the gradient,\n"
        "scaled to a mean change of --step-size, then applies Yosinski et al. 2015's\n"
        "regularizers: L2 decay towards the mean pixel, a Gaussian blur every --blur-every steps,\n"
        "clipping of the pixels with the smallest norm or contribution to the mean pixel; and\n"
        "jitter (the net sees the image moved by up to --jitter pixels each step).\n"
        "Prints the activation reached, that of the best test image (the largest among the\n"
        "test images, or the first --subset) and their ratio. '--channel all' does every\n"
        "channel, writing IMG-cN.png for each and IMG-all.png with all of them in a row, and\n"
        "prints one line per channel.\n"
        "The defaults were measured on LeNet-5/MNIST and ResNet-20/CIFAR-10 (README); the\n"
        "line 'settings:' says what was used.\n";
    c.options = unitOptions();
    c.options.insert(
        c.options.begin() + 3,
        {{"channel", "C|all", "the channel (or class) to excite; 'all': every channel"},
         {"out", "IMG.png", "where to write the image (its folder is created)"},
         {"steps", "N", "ascent steps (default 200)"},
         {"step-size", "S", "mean pixel change per step, pixels in [0, 1] (default 0.02)"},
         {"decay", "D", "L2 decay per step towards the mean pixel (default 0.01; 0: off)"},
         {"blur-every", "N", "blur every N steps (default 4; 0: never)"},
         {"blur-sigma", "S", "width of the blur in pixels (default 0.5)"},
         {"norm-pct", "P", "reset pixels whose norm is below percentile P (default 0: off)"},
         {"contrib-pct", "P",
          "reset pixels whose contribution is below percentile P\n(default 0: off)"},
         {"jitter", "J", "random shift of up to J pixels each step (default 1)"},
         {"start", "N", "start from test image N instead of noise"},
         {"subset", "N", "compare with the first N test images only (default all)"},
         {"scale", "S", "enlarge the image S times in the PNG (default 8)"}});
    c.options.push_back(kernelsOption());
    return c;
}

int maximize(const Args& args, std::ostream& out) {
    for (const char* required : {"channel", "out"})
        if (!args.has(required))
            throw UsageError(
                strCat("--", required, " is required; see 'layerlens maximize --help'"));
    setNumThreads(args.integer("threads", 0, 0, 256));
    UnitSetup s = unitSetup(args, UnitReduce::Mean);
    const OutputLayout layout =
        outputLayout(s.net.outputShapes()[static_cast<std::size_t>(s.node)].sample());
    std::vector<int> channels;
    if (args.str("channel") == "all") {
        for (int c = 0; c < layout.channels; ++c)
            channels.push_back(c);
    } else {
        const int c = args.integer("channel", 0, -(1 << 30), 1 << 30);
        checkUnit(s.net, s.node, c, s.unit);
        channels.push_back(c);
    }
    MaximizeOptions mo;
    mo.steps = args.integer("steps", mo.steps, 1, 1000000);
    mo.stepSize = static_cast<float>(args.number("step-size", mo.stepSize, 1e-9, 10));
    mo.l2Decay = static_cast<float>(args.number("decay", mo.l2Decay, 0, 0.999));
    mo.blurEvery = args.integer("blur-every", mo.blurEvery, 0, 1000000);
    mo.blurSigma = static_cast<float>(args.number("blur-sigma", mo.blurSigma, 0, 100));
    mo.normPercentile = static_cast<float>(args.number("norm-pct", mo.normPercentile, 0, 100));
    mo.contributionPercentile =
        static_cast<float>(args.number("contrib-pct", mo.contributionPercentile, 0, 100));
    mo.jitter = args.integer("jitter", mo.jitter, 0, 1000);
    mo.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    const int scale = args.integer("scale", 8, 1, 64);

    // The test images: the statistics the pixels are scaled with, and the best image to beat.
    DataPair data;
    std::string noData;
    try {
        data = unitData(args, s);
    } catch (const Error& e) {
        if (args.has("start") || args.has("data") || args.has("dataset")) throw;
        noData = e.what();
    }
    PixelSpace space;
    if (noData.empty()) {
        space = PixelSpace::from(s.batch, data.train.mean, data.train.stddev);
    } else {
        DataOptions o;
        o.dataset = s.spec.defaults.dataset;
        const Shape& in = s.net.inputSample();
        if (in.rank() == 3) {
            o.channels = in[0];
            o.height = in[1];
            o.width = in[2];
        }
        const ChannelStatistics st = o.dataset == "mnist" || o.dataset == "cifar10"
                                         ? trainingStatistics(o)
                                         : ChannelStatistics{};
        space = PixelSpace::from(s.batch, st.mean, st.stddev);
    }
    if (args.has("start")) {
        const int n = args.integer("start", 0, 0, data.test.size() - 1);
        mo.start = samplePixels(data.test, n);
    }

    out << "model " << s.net.name() << ", layer " << s.net.layer(s.node).name() << " ("
        << layout.channels << " channels of " << layout.height << "×" << layout.width << "), "
        << describe(s.unit) << " of the channel\n"
        << s.weights << "\n";
    char settings[240];
    std::snprintf(settings, sizeof settings,
                  "settings: %d steps, step %g, decay %g, blur every %d (sigma %g), jitter %d, "
                  "norm-pct %g, contrib-pct %g\n",
                  mo.steps, static_cast<double>(mo.stepSize), static_cast<double>(mo.l2Decay),
                  mo.blurEvery, static_cast<double>(mo.blurSigma), mo.jitter,
                  static_cast<double>(mo.normPercentile),
                  static_cast<double>(mo.contributionPercentile));
    out << settings;
    TopKResult best;
    if (noData.empty()) {
        TopKOptions o;
        o.k = 1;
        o.unit = s.unit;
        o.limit = args.integer("subset", 0, 0, 1 << 30);
        best = topKExamples(s.net, data.test, s.node, s.batch, o);
        out << "compared with " << best.samplesSeen << " " << data.test.name << " test images\n";
    } else {
        out << "no test images to compare with: " << noData << "\n";
    }
    if (channels.size() > 1) out << "channel  maximized  best test image (index)  ratio\n";
    std::vector<RgbImage> strip;  // --channel all: every image, side by side
    for (const int c : channels) {
        const MaximizeResult r = maximizeActivation(s.net, space, s.node, c, s.unit, mo);
        const std::string path =
            channels.size() > 1 ? withSuffix(args.str("out"), strCat("c", c)) : args.str("out");
        RgbImage picture = pixelsImage(r.image, scale);
        writeRgbPng(path, picture);
        if (channels.size() > 1) strip.push_back(std::move(picture));
        const bool compared = noData.empty() && !best.channels[static_cast<std::size_t>(c)].empty();
        const TopExample top =
            compared ? best.channels[static_cast<std::size_t>(c)][0] : TopExample{};
        // A ratio says something only against a positive activation; otherwise the difference.
        const bool ratio = compared && top.activation > 0;
        const double ra = ratio ? static_cast<double>(r.activation / top.activation) : 0.0;
        char line[200];
        if (channels.size() > 1) {
            char tail[48];
            if (ratio)
                std::snprintf(tail, sizeof tail, "%6.2f", ra);
            else if (compared)
                std::snprintf(tail, sizeof tail, "     - (%+.3g)",
                              static_cast<double>(r.activation - top.activation));
            else
                std::snprintf(tail, sizeof tail, "     -");
            std::snprintf(line, sizeof line, "%7d  %9.4g  %15.4g (%5d)  %s\n", c,
                          static_cast<double>(r.activation), static_cast<double>(top.activation),
                          compared ? top.index : -1, tail);
            out << line;
        } else {
            std::snprintf(line, sizeof line,
                          "activation reached: %.6g after %d steps (start %.6g)\n",
                          static_cast<double>(r.activation), r.steps,
                          r.history.empty() ? 0.0 : static_cast<double>(r.history.front()));
            out << line;
            if (compared) {
                std::snprintf(
                    line, sizeof line, "best test image: %.6g (image %d, label %d); ",
                    static_cast<double>(top.activation), top.index,
                    static_cast<int>(data.test.labels[static_cast<std::size_t>(top.index)]));
                out << line;
                if (ratio)
                    std::snprintf(line, sizeof line, "ratio %.3f\n", ra);
                else
                    std::snprintf(line, sizeof line, "difference %+.6g (no ratio: not positive)\n",
                                  static_cast<double>(r.activation - top.activation));
                out << line;
            }
        }
    }
    if (!strip.empty()) {
        // One picture of every channel in a row, 2 dark pixels around each.
        constexpr int kGap = 2;
        RgbImage row;
        row.height = strip.front().height + 2 * kGap;
        row.width = kGap;
        for (const RgbImage& im : strip)
            row.width += im.width + kGap;
        row.pixels.assign(static_cast<std::size_t>(row.width) * row.height * 3, 40);
        int x0 = kGap;
        for (const RgbImage& im : strip) {
            for (int y = 0; y < im.height; ++y)
                std::copy_n(
                    im.pixels.data() + static_cast<std::size_t>(y) * im.width * 3,
                    static_cast<std::size_t>(im.width) * 3,
                    row.pixels.data() + (static_cast<std::size_t>(y + kGap) * row.width + x0) * 3);
            x0 += im.width + kGap;
        }
        writeRgbPng(withSuffix(args.str("out"), "all"), row);
    }
    out << "image: " << (channels.size() > 1 ? withSuffix(args.str("out"), "c*") : args.str("out"))
        << (strip.empty() ? "" : ", all channels in a row: " + withSuffix(args.str("out"), "all"))
        << "\n";
    return 0;
}

}  // namespace ll::cli
