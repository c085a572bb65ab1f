// `layerlens infer`: one forward pass on an input the user gives (a .npy tensor or an image), the
// output and chosen activations saved as .npy files, to compare LayerLens with another framework
// tensor by tensor.
#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdio>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <ostream>
#include <set>

#include "app/args.h"
#include "app/cli.h"
#include "core/analysis/predictions.h"
#include "core/checkpoint.h"
#include "core/data/dataset.h"
#include "core/data/file_io.h"
#include "core/data/image_folder.h"
#include "core/data/load.h"
#include "core/data/npz.h"
#include "core/data/size_check.h"
#include "core/data/synthetic.h"
#include "core/model_file.h"
#include "core/parallel.h"

namespace ll::cli {

namespace {

namespace fs = std::filesystem;

constexpr int kTopSamples = 16;   // samples whose top classes are printed
constexpr int kNamesInError = 6;  // node names an unknown --layer lists
constexpr std::size_t kMaxFileName = 200;

// Whether the model brings trained weights of its own (an imported ONNX model): they are run
// instead of initial weights drawn from --seed.
bool carriesOwnWeights(const Net& net) {
    return net.pretrained();  // an imported ONNX model
}

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A node's name as a file name (without ".npy"): every character outside [A-Za-z0-9._-]
// replaced by '_', no leading '.' (no hidden file, no "." or ".."), at most kMaxFileName bytes.
std::string sanitize(const std::string& node) {
    std::string base;
    for (const char ch : node) {
        const auto c = static_cast<unsigned char>(ch);
        base += std::isalnum(c) || c == '.' || c == '_' || c == '-' ? ch : '_';
    }
    if (base.empty()) base = "_";
    if (base[0] == '.') base[0] = '_';
    if (base.size() > kMaxFileName) base.resize(kMaxFileName);
    return base;
}

// `base`, or base-2, base-3... the first not in `taken` (compared without case, for
// case-insensitive file systems), which it joins.
std::string unique(const std::string& base, std::set<std::string>& taken) {
    std::string name = base;
    for (int k = 2; taken.count(lower(name)); ++k)
        name = strCat(base, "-", k);
    taken.insert(lower(name));
    return name;
}

struct Dump {
    int node;          // -1: the net's input (the tensor fed)
    std::string name;  // the node's name
    std::string file;  // the file name in DIR
};

// The nodes --layer names, in the order given, each once: names, "all" (every node) or "input".
// An unknown name is a UsageError listing the first nodes.
std::vector<Dump> resolveLayers(const Net& net, const std::vector<std::string>& names) {
    std::vector<int> nodes;
    for (const std::string& n : names) {
        if (n == "all") {
            for (int i = 0; i < net.size(); ++i)
                nodes.push_back(i);
            continue;
        }
        const int i = n == Net::kInputName ? -1 : net.indexOf(n);
        if (i < 0 && n != Net::kInputName) {
            std::string known;
            for (int k = 0; k < std::min(net.size(), kNamesInError); ++k)
                known += (k ? ", " : "") + net.layer(k).name();
            if (net.size() > kNamesInError) known += ", ...";
            throw UsageError(strCat("--layer '", n, "': ", net.name(),
                                    " has no node of that name; ", "its ", net.size(),
                                    " nodes are ", known,
                                    " ('layerlens summary' lists them; 'all' dumps every one, "
                                    "'input' the tensor fed)"));
        }
        nodes.push_back(i);
    }
    std::set<std::string> taken{"output"};  // output.npy: the last node's output
    std::set<int> seen;
    std::vector<Dump> dumps;
    for (const int i : nodes) {
        if (!seen.insert(i).second) continue;
        const std::string name = i < 0 ? std::string(Net::kInputName) : net.layer(i).name();
        const std::string base = sanitize(name);
        // The last node named "output" (LeNet-5's is) is output.npy itself.
        const bool isOutput = i == net.size() - 1 && lower(base) == "output";
        dumps.push_back(
            {i, name, (isOutput ? std::string("output") : unique(base, taken)) + ".npy"});
    }
    return dumps;
}

bool startsWithNpyMagic(const std::string& path) {
    char head[6] = {};
    std::ifstream in(path, std::ios::binary);
    return in.read(head, 6) && std::memcmp(head, "\x93NUMPY", 6) == 0;
}

bool hasNpyExtension(const std::string& path) {
    std::string ext = fs::path(path).extension().string();
    std::transform(ext.begin(), ext.end(), ext.begin(),
                   [](unsigned char c) { return static_cast<char>(std::tolower(c)); });
    return ext == ".npy";
}

std::string dtypeName(const std::string& descr) {
    if (descr == "<f4") return "float32";
    if (descr == "<f8") return "float64";
    return "uint8";
}

// The tensor fed, and a line saying what it was made from.
struct Input {
    Tensor x;
    std::string text;
};

// The .npy input, fed as it is: one sample or a batch of the model's sample shape.
Input npyInput(const std::string& path, const Net& net) {
    const NpyArray a = parseNpy(readMaybeGzip(path), path);
    Tensor x = npyToTensor(a, path);
    const Shape& sample = net.inputSample();
    const Shape given = x.shape();
    if (given == sample) {
        x.reshape(sample.batched(1));
    } else if (given.rank() != sample.rank() + 1 || given.sample() != sample) {
        throw UsageError(strCat("--input '", path, "' has shape ", given, "; ", net.name(),
                                " takes ", sample, " per sample: give ", sample, " or (N, ",
                                sample.str().substr(1)));
    }
    if (x.dim(0) == 0)
        throw UsageError(strCat("--input '", path, "' holds no sample (shape ", given, ")"));
    return {std::move(x), strCat("input ", path, ": ", dtypeName(a.descr), " ", given,
                                 a.descr == "<f4" ? "" : " converted to float32", ", fed as is")};
}

// How an image is scaled, as `layerlens train` feeds images (the same flags).
struct PixelScaling {
    BatchOptions options;
    ChannelStatistics stats;
    std::string text;  // "(x/255 − mean) / std with mnist's mean 0.1307 and std 0.3081"
};

std::string list(const std::vector<float>& v) {
    std::string s = v.size() == 1 ? "" : "(";
    for (std::size_t i = 0; i < v.size(); ++i)
        s += strCat(i ? ", " : "", v[i]);
    return s + (v.size() == 1 ? "" : ")");
}

PixelScaling pixelScaling(const Args& args, const ModelSpec& spec, const Net& net) {
    PixelScaling s;
    const Shape& in = net.inputSample();
    const int C = in[0];
    s.options.normalize = !args.has("no-normalize");
    s.options.rawPixels =
        args.has("raw-pixels") || (spec.defaults.rawPixels && !args.has("no-normalize"));
    if (s.options.rawPixels) {
        s.text = "pixels as stored, 0..255";
        return s;
    }
    if (!s.options.normalize) {
        s.text = "x/255 (no normalization)";
        return s;
    }
    DataOptions o;
    o.dataset = args.str("dataset", spec.defaults.dataset);
    const bool known = o.dataset == "mnist" || o.dataset == "cifar10" || o.dataset == "images" ||
                       isSyntheticDataset(o.dataset);
    if (!known && !args.has("dataset"))
        throw UsageError(strCat(net.name(), "'s data set '", o.dataset,
                                "' has no statistics to normalize an image with: give --dataset, "
                                "--no-normalize or --raw-pixels"));
    if (!known)
        throw UsageError(
            strCat("--dataset must be mnist, cifar10, synthetic-digits, "
                   "synthetic-shapes or images, got '",
                   o.dataset, "'"));
    if (o.dataset == "images" && !args.has("data"))
        throw UsageError(
            "--dataset images needs --data DIR (the image folder the model trains on)");
    o.dir = args.str("data");
    o.channels = C;
    o.height = in[1];
    o.width = in[2];
    o.seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    s.stats = trainingStatistics(o);
    if (static_cast<int>(s.stats.mean.size()) != C)
        throw UsageError(strCat("the ", o.dataset, " statistics are for ", s.stats.mean.size(),
                                " channel(s), ", net.name(), " takes ", C,
                                ": give --dataset (the data the model was trained on), "
                                "--no-normalize or --raw-pixels"));
    s.text = strCat("(x/255 − mean) / std with ", o.dataset, "'s mean ", list(s.stats.mean),
                    " and std ", list(s.stats.stddev));
    return s;
}

// An image, converted the way training feeds images: resized and converted to the model's
// (C, H, W) by toModelInput (as image folders are), then scaled by makeBatch.
Input imageInput(const std::string& path, const Args& args, const ModelSpec& spec, const Net& net) {
    const Shape& in = net.inputSample();
    if (in.rank() != 3 || (in[0] != 1 && in[0] != 3))
        throw UsageError(strCat("--input '", path, "' is not a .npy file, and ", net.name(),
                                " takes ", in, ", not an image (1 or 3 channels): give a .npy"));
    DecodedImage img;
    std::string why;
    if (!decodeImage(path, img, &why))
        throw DataError(strCat("--input '", path, "' is neither a .npy array nor an image: ", why));
    const PixelScaling scaling = pixelScaling(args, spec, net);
    Dataset one;
    one.channels = in[0];
    one.height = in[1];
    one.width = in[2];
    one.images = toModelInput(img, in[0], in[1], in[2]);
    one.labels = {0};
    one.mean = scaling.stats.mean;
    one.stddev = scaling.stats.stddev;
    Tensor x, y;
    makeBatch(one, {0}, 0, 1, x, y, scaling.options);
    return {std::move(x), strCat("input ", path, ": image ", img.cols, "×", img.rows, " ",
                                 img.channels == 1 ? "grey" : "RGB", " → ", in[2], "×", in[1], " ",
                                 in[0] == 1 ? "grey" : "RGB", ", ", scaling.text)};
}

// Bytes of one forward pass on `batch` samples: the input and every node's activation.
std::uint64_t forwardBytes(const Net& net, int batch) {
    const auto n = static_cast<std::uint64_t>(batch);
    const std::string what = "the activations of the forward pass";
    std::uint64_t floats =
        checkedMul(static_cast<std::uint64_t>(net.inputSample().numel()), n, what);
    for (const Shape& s : net.outputShapes())
        floats =
            checkedAdd(floats, checkedMul(static_cast<std::uint64_t>(s.numel()), n, what), what);
    return checkedMul(floats, sizeof(float), what);
}

void createFolder(const std::string& dir) {
    std::error_code ec;
    fs::create_directories(dir, ec);
    if (!fs::is_directory(dir))
        throw DataError(strCat("cannot create the output folder '", dir, "'",
                               ec ? ": " + ec.message() : std::string(": a file has that name")));
}

void printTopClasses(const Tensor& output, int k, std::ostream& out) {
    const ClassProbabilities cp = classProbabilities(output);
    const int N = output.dim(0);
    out << "top " << std::min(k, output.dim(1)) << " classes ("
        << (cp.softmaxApplied ? "softmax of the output"
                              : "the output as it is: its rows are already probabilities")
        << "):\n";
    for (int n = 0; n < std::min(N, kTopSamples); ++n) {
        out << "  sample " << n << ":";
        for (const ClassScore& c : topClasses(cp.probabilities, n, k)) {
            char p[32];
            std::snprintf(p, sizeof p, "%.4f", c.probability);
            out << "  " << c.cls << " " << p;
        }
        out << "\n";
    }
    if (N > kTopSamples)
        out << "  ... and " << N - kTopSamples << " more samples (see output.npy)\n";
}

}  // namespace

Command inferCommand() {
    Command c;
    c.name = "infer";
    c.synopsis = "--model NAME|FILE --input X.npy|IMAGE --out DIR [OPTIONS]";
    c.summary = "run a model on a .npy tensor or an image; save its output and layers as .npy";
    c.description =
        "Runs the model once in eval mode (batch norm uses its running statistics, dropout is\n"
        "off) and writes DIR/output.npy, the last node's output, and DIR/NAME.npy for each\n"
        "--layer: float32 .npy files as np.save writes them, to check LayerLens against another\n"
        "framework tensor by tensor (np.load and compare). Characters of NAME outside\n"
        "[A-Za-z0-9._-] become '_' in the file name; every file written is listed.\n"
        "A .npy input (float32; float64 and uint8 are converted to float32, values unchanged)\n"
        "holds one sample (C,H,W) or a batch (N,C,H,W) -- (F) or (N,F) for a flat input -- of\n"
        "the model's input shape, and is fed as is: no scaling, no normalization.\n"
        "An image (PNG, JPEG, BMP, PGM/PPM...) is fed as training feeds images: converted to\n"
        "grey or RGB and resized (area interpolation) to the model's input, then per channel\n"
        "(x/255 - mean) / std with the statistics of the model's data set (--dataset): mnist\n"
        "0.1307 and 0.3081, cifar10 (0.4914, 0.4822, 0.4465) and (0.2470, 0.2435, 0.2616), the\n"
        "synthetic sets' and an image folder's computed from their training images;\n"
        "--no-normalize gives x/255, --raw-pixels 0..255 (the default of models trained so).\n"
        "Without --checkpoint the model runs with its untrained initial weights (--seed), and a\n"
        "warning says so; with one, --model may be left out (the checkpoint holds the model).\n"
        "For an output (N, classes), the --top most probable classes of each sample are printed:\n"
        "the softmax of the output, or the output itself when its rows are probabilities.\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW", "height and width of an ONNX model whose input size is dynamic"},
        {"checkpoint", "FILE", "the weights (a .llck of 'layerlens train')"},
        kernelsOption(),
        {"input", "X.npy|IMAGE", "the input: a .npy array or an image file"},
        {"out", "DIR", "where to write the .npy files (created when missing)"},
        {"layer", "NAME",
         "also save this node's output as DIR/NAME.npy; repeat for more;\n'all': every node, "
         "'input': the tensor fed"},
        {"top", "K", "print the K most probable classes (default 5; 0: none)"},
        {"dataset", "D",
         "whose statistics normalize an image: mnist, cifar10,\nsynthetic-digits, "
         "synthetic-shapes or images (default: the model's)"},
        {"data", "DIR", "the image folder, for --dataset images"},
        {"no-normalize", "", "an image's pixels x/255 instead of normalized per channel"},
        {"raw-pixels", "", "an image's pixels as stored, 0..255"},
        {"seed", "S", "seed of the initial weights without --checkpoint (default 1)"},
        {"threads", "T", "threads (default 0: all cores)"},
    };
    return c;
}

int infer(const Args& args, std::ostream& out) {
    for (const char* required : {"input", "out"})
        if (!args.has(required))
            throw UsageError(strCat("--", required, " is required; see 'layerlens infer --help'"));
    const int top = args.integer("top", 5, 0, 100000);
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    setNumThreads(args.integer("threads", 0, 0, 256));
    const std::string inputPath = args.str("input"), outDir = args.str("out");

    // Everything is checked before anything is written: the model, the layer names, the input.
    ModelSpec spec;
    Net net = modelOrCheckpointNet(args, spec);
    if (net.size() == 0) throw UsageError(strCat(net.name(), " has no layers to run"));
    const std::vector<Dump> dumps = resolveLayers(net, args.all("layer"));
    if (!fileExists(inputPath))
        throw DataError(strCat("--input '", inputPath,
                               "': ", fs::exists(inputPath) ? "not a file" : "no such file"));
    const Input input = hasNpyExtension(inputPath) || startsWithNpyMagic(inputPath)
                            ? npyInput(inputPath, net)
                            : imageInput(inputPath, args, spec, net);
    const Tensor& x = input.x;

    if (!carriesOwnWeights(net)) net.resetParameters(seed);
    std::string weights;
    if (args.has("checkpoint")) {
        const CheckpointInfo info = loadCheckpoint(args.str("checkpoint"), net);
        weights = strCat("weights: ", args.str("checkpoint"), " (epoch ", info.epoch, ", step ",
                         info.step, ")");
    } else if (carriesOwnWeights(net)) {
        weights = strCat("weights: the model's own (", args.str("model"), ")");
    } else {
        weights = strCat("warning: no --checkpoint: ", net.name(),
                         " runs with its untrained initial weights (seed ", seed, ")");
    }
    requireBudget(forwardBytes(net, x.dim(0)),
                  strCat("a forward pass of ", net.name(), " on ", x.dim(0), " samples"));
    // Only the nodes asked for keep their activations; the others' buffers are reused.
    std::vector<int> keep;
    for (const Dump& d : dumps)
        if (d.node >= 0) keep.push_back(d.node);
    const Tensor& y = net.infer(x, keep);
    out << "model " << net.name() << " (" << net.numParams() << " parameters), input "
        << net.inputSample() << " per sample\n"
        << input.text << "\n"
        << (weights.empty() ? "" : weights + "\n");
    const auto nonFinite =
        std::count_if(y.data(), y.data() + y.numel(), [](float v) { return !std::isfinite(v); });
    if (nonFinite > 0)
        out << "warning: the output has " << nonFinite << " non-finite values (NaN or infinity)\n";

    createFolder(outDir);
    const fs::path dir(outDir);
    writeNpy((dir / "output.npy").string(), y);
    out << net.layer(net.size() - 1).name() << " (the output) " << y.shape() << " → "
        << (dir / "output.npy").string() << "\n";
    for (const Dump& d : dumps) {
        const Tensor& t = d.node < 0 ? net.input() : net.activation(d.node);
        if (d.file == "output.npy") continue;  // the last node's, written above
        writeNpy((dir / d.file).string(), t);
        out << d.name << " " << t.shape() << " → " << (dir / d.file).string() << "\n";
    }
    if (top > 0 && y.rank() == 2 && y.dim(1) >= 2) printTopClasses(y, top, out);
    return 0;
}

}  // namespace ll::cli
