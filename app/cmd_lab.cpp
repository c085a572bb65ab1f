// `layerlens lab`: the convolution lab on the command line — a hand-set kernel applied to an
// image by the engine's own convolution (the map saved as a picture or a .npy array), or the
// operator identities' largest differences as text or JSON, so the numbers are scriptable.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <ostream>

#include <nlohmann/json.hpp>

#include "app/args.h"
#include "app/cli.h"
#include "core/analysis/conv_lab.h"
#include "core/data/image_folder.h"
#include "core/data/npz.h"
#include "core/data/png.h"
#include "core/model_file.h"

namespace ll::cli {

namespace {

bool endsWith(const std::string& s, const std::string& suffix) {
    return s.size() >= suffix.size() &&
           std::equal(suffix.rbegin(), suffix.rend(), s.rbegin(),
                      [](char a, char b) { return std::tolower(a) == b; });
}

// The image as (C, H, W) floats in [0, 1].
Tensor readImage(const std::string& path) {
    DecodedImage img;
    std::string why;
    if (!decodeImage(path, img, &why)) throw DataError(strCat("--image '", path, "': ", why));
    Tensor x({img.channels, img.rows, img.cols});
    for (int c = 0; c < img.channels; ++c)
        for (int h = 0; h < img.rows; ++h)
            for (int w = 0; w < img.cols; ++w)
                x[(static_cast<std::int64_t>(c) * img.rows + h) * img.cols + w] =
                    img.pixels[(static_cast<std::size_t>(h) * img.cols + w) * img.channels + c] /
                    255.0f;
    return x;
}

constexpr int kGap = 2;  // mid-grey columns between the maps of two kernels

// The maps (K·C, H, W) of K kernels on a C-channel image as one 8-bit picture: the kernels'
// maps side by side, kGap columns apart; lo → 0 and hi → 255 (one range for all: an RGB
// image's three maps of a kernel become one colour picture). Its width is set in *width.
std::vector<std::uint8_t> toPixels(const Tensor& maps, int C, float lo, float hi, int* width) {
    const int K = maps.dim(0) / C, H = maps.dim(1), W = maps.dim(2);
    const int WT = K * W + (K - 1) * kGap;
    *width = WT;
    const float scale = hi > lo ? 255.0f / (hi - lo) : 0.0f;
    std::vector<std::uint8_t> px(static_cast<std::size_t>(H) * WT * C, 128);
    for (int k = 0; k < K; ++k)
        for (int c = 0; c < C; ++c)
            for (int h = 0; h < H; ++h)
                for (int w = 0; w < W; ++w) {
                    const float v = maps[(static_cast<std::int64_t>(k * C + c) * H + h) * W + w];
                    px[(static_cast<std::size_t>(h) * WT + k * (W + kGap) + w) * C + c] =
                        static_cast<std::uint8_t>(
                            std::lround(std::clamp((v - lo) * scale, 0.0f, 255.0f)));
                }
    return px;
}

int applyToImage(const Args& args, std::ostream& out) {
    if (!args.has("kernel"))
        throw UsageError(
            "--kernel is required with --image (a preset name or rows like "
            "\"0,0,0;0,-1,1;0,0,0\"); see layerlens lab --help");
    if (!args.has("out"))
        throw UsageError(
            "--out FILE is required with --image (.png for a picture, .npy for the "
            "values)");
    const std::string path = args.str("out");
    const bool npy = endsWith(path, ".npy");
    if (!npy && !endsWith(path, ".png"))
        throw UsageError(strCat("--out '", path, "': give a .png (picture) or .npy (values) file"));
    std::vector<Kernel> kernels;
    for (const std::string& k : args.all("kernel"))
        kernels.push_back(kernelFromText(k));
    LabConv s;
    s.stride = args.integer("stride", 1, 1, 64);
    s.padding = args.integer("padding", 0, 0, 64);
    s.dilation = args.integer("dilation", 1, 1, 64);
    const Tensor image = readImage(args.str("image"));
    if (image.dim(0) != 1 && image.dim(0) != 3)
        throw DataError(strCat("--image: ", image.dim(0), " channels; 1 or 3 expected"));
    const Tensor maps = applyKernels(image, kernels, s);
    float lo = maps[0], hi = maps[0];
    for (std::int64_t i = 0; i < maps.numel(); ++i)
        lo = std::min(lo, maps[i]), hi = std::max(hi, maps[i]);
    if (npy)
        writeNpy(path, maps);
    else {
        int width = 0;
        const std::vector<std::uint8_t> px = toPixels(maps, image.dim(0), lo, hi, &width);
        writePng(path, maps.dim(1), width, image.dim(0), px);
    }
    char range[128];
    std::snprintf(range, sizeof range, "values %.6g … %.6g", lo, hi);
    for (std::size_t k = 0; k < kernels.size(); ++k)
        out << "kernel " << k + 1 << ": " << kernels[k].rows << "×" << kernels[k].cols << " "
            << kernels[k].str() << "\n";
    out << "stride " << s.stride << ", padding " << s.padding << ", dilation " << s.dilation << "\n"
        << "image " << image.dim(0) << "×" << image.dim(1) << "×" << image.dim(2) << " → map "
        << maps.dim(0) << "×" << maps.dim(1) << "×" << maps.dim(2) << ", " << range << "\n"
        << "written to " << path
        << (npy ? " (float32, (K·C, H, W): kernel k's maps at k·C …)\n"
                : " (black = the smallest value, white = the largest; kernels side by side)\n");
    return 0;
}

int identities(const Args& args, std::ostream& out) {
    const std::string format = args.str("format", "text");
    if (format != "text" && format != "json")
        throw UsageError(strCat("--format must be text or json, got '", format, "'"));
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    std::vector<IdentityCheck> ops = operatorIdentities(labRandomInput({4, 3, 16, 16}, seed));
    std::vector<IdentityCheck> model;
    std::vector<std::string> skipped;
    std::string modelName;
    if (args.has("model")) {
        Net net = loadModel(args.str("model"));
        modelName = net.name();
        if (!net.pretrained()) net.resetParameters(seed);
        const Tensor x = labRandomInput(net.inputSample().batched(8), seed + 1);
        // A few training-mode passes give the batch norms statistics of their own (not the
        // initial mean 0, variance 1), so folding them changes the weights. An imported model
        // keeps the statistics it brought.
        if (!net.pretrained())
            for (int k = 0; k < 3; ++k)
                net.forward(x, Mode::Train);
        model = modelIdentities(net, x, &skipped);
    }
    bool ok = true;
    for (const std::vector<IdentityCheck>* list : {&ops, &model})
        for (const IdentityCheck& c : *list)
            ok = ok && c.asExpected();
    if (format == "json") {
        nlohmann::json j = {{"operators", nlohmann::json::parse(identitiesJson(ops))},
                            {"all_as_expected", ok}};
        if (args.has("model")) {
            j["model"] = modelName;
            j["model_identities"] = nlohmann::json::parse(identitiesJson(model));
            j["skipped"] = skipped;
        }
        out << j.dump(2) << "\n";
    } else {
        out << "Operator identities on random tensors (4, 3, 16, 16), uniform in [-3, 3], seed "
            << seed << ":\n"
            << identitiesText(ops);
        if (args.has("model")) {
            out << "\nModel identities on " << modelName << " (random inputs, "
                << "8 images):\n"
                << identitiesText(model);
            for (const std::string& s : skipped)
                out << "  not checked: " << s << "\n";
        }
        out << (ok ? "\nall as expected\n" : "\nSOME IDENTITY DID NOT COME OUT AS EXPECTED\n");
    }
    return ok ? 0 : 1;
}

}  // namespace

Command labCommand() {
    Command c;
    c.name = "lab";
    c.synopsis =
        "--image FILE --kernel K [--kernel K2 ...] --out OUT.png|OUT.npy [OPTIONS] | "
        "--identities [OPTIONS]";
    c.summary = "the convolution lab: a hand-set kernel on an image; the operator identities";
    std::string presets;
    for (const KernelPreset& p : kernelPresets())
        presets += (presets.empty() ? "" : ", ") + p.name;
    c.description =
        "With --image: applies each kernel to every channel of the image (pixels scaled to\n"
        "[0, 1]) with the engine's own convolution and saves the map: a .png (black = the\n"
        "smallest value, white = the largest; the range is printed) or a .npy of the values.\n"
        "K is a preset (" +
        presets +
        ")\nor rows split by ';', values by ',' or spaces: \"0,0,0;0,-1,1;0,0,0\" (at most 7×7).\n"
        "With --identities: average pooling as a strided convolution, RGB to grey as a 1×1\n"
        "convolution (and OpenCV's cvtColor), activation and max-pooling commuting (ReLU,\n"
        "sigmoid, tanh; GELU and SiLU must fail), each with its largest difference; with\n"
        "--model also batch-norm folding, FC to conv and activations after max-pooling on\n"
        "that model. Exit code 1 when a check does not come out as expected.\n";
    c.options = {
        {"image", "FILE", "the input image (PNG, JPEG, PGM, ...)"},
        {"kernel", "K", "a preset name or the kernel's rows; repeat it for more output channels"},
        {"stride", "S", "stride (default 1)"},
        {"padding", "P", "zero padding on every side (default 0)"},
        {"dilation", "D", "dilation (default 1)"},
        {"out", "FILE", "where to save the map (.png or .npy)"},
        {"identities", "", "check the operator identities"},
        {"model", "NAME|FILE", "with --identities: also the model identities on this model"},
        {"seed", "N", "random tensors and weights (default 1)"},
        {"format", "F", "with --identities: text (default) or json"},
    };
    return c;
}

int lab(const Args& args, std::ostream& out) {
    if (args.has("identities") == args.has("image"))
        throw UsageError(
            "give either --image FILE (apply a kernel) or --identities; see "
            "layerlens lab --help");
    return args.has("image") ? applyToImage(args, out) : identities(args, out);
}

}  // namespace ll::cli
