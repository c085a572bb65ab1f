#include "app/cli.h"

#include <cstdio>

#include <algorithm>
#include <filesystem>
#include <ostream>
#include <stdexcept>

#include "core/build_info.h"
#include "core/checkpoint.h"
#include "core/error.h"
#include "core/gemm.h"
#include "core/kernels.h"
#include "core/onnx/onnx_import.h"

namespace ll::cli {

namespace {

// Set by setVersionExtra (the window build adds Qt's version).
std::string& versionExtra() {
    static std::string text;
    return text;
}

struct Entry {
    Command command;
    int (*run)(const Args&, std::ostream&);  // nullptr: not run here (export-plots needs Qt)
};

int version(const Args&, std::ostream& out) {
    out << "layerlens " << buildVersion() << "\n" << buildInfo(versionExtra());
    return 0;
}

const std::vector<Entry>& table();

int help(const Args& args, std::ostream& out) {
    if (args.has("man")) {
        out << manPage();
        return 0;
    }
    if (args.has("bash-completion")) {
        out << bashCompletion();
        return 0;
    }
    if (args.positional().empty()) {
        out << overview();
        return 0;
    }
    const std::string& word = args.positional()[0];
    for (const Entry& e : table()) {
        if (e.command.name == word) {
            out << e.command.usage();
            return 0;
        }
    }
    throw UsageError(strCat("unknown command '", word, "'; see layerlens help"));
}

Command helpCommand() {
    Command c;
    c.name = "help";
    c.synopsis = "[COMMAND]";
    c.summary = "list the commands (or show one command's options)";
    c.description =
        "Lists the commands and the window's options; with COMMAND, that command's "
        "options\n(the same as 'layerlens COMMAND --help').\n";
    c.options = {{"man", "", "print the manual page (roff; the build installs it as layerlens.1)"},
                 {"bash-completion", "", "print the bash completion script"}};
    c.maxOperands = 1;
    return c;
}

Command versionCommand() {
    Command c;
    c.name = "version";
    c.summary = "show the version";
    c.description =
        "Shows the version, git commit, build type, the CPU the kernels were compiled for, the\n"
        "GEMM backend convolutions use, the code path 3x3 convolutions take on this CPU (AVX-512\n"
        "direct kernels or im2col + GEMM, chosen at run time) and the versions of the libraries\n"
        "(OpenCV, Eigen, Qt).\n";
    return c;
}

const std::vector<Entry>& table() {
    static const std::vector<Entry> t = {
        {demoCommand(), demo},  // in the order 'layerlens help' lists them
        {trainCommand(), train},
        {benchCommand(), bench},
        {modelsCommand(), models},
        {summaryCommand(), summary},
        {rfCommand(), rf},
        {inferCommand(), infer},
        {topkCommand(), topk},
        {maximizeCommand(), maximize},
        {exportCommand(), exportModel},
        {dataCommand(), data},
        {downloadCommand(), download},
        {experimentCommand(), experiment},
        {runsCommand(), runs},
        {labCommand(), lab},
        {exportPlotsCommand(), nullptr},
        {helpCommand(), help},
        {versionCommand(), version},
    };
    return t;
}

}  // namespace

const Command& windowCommand() {
    static const Command c = [] {
        Command w;
        w.synopsis = "[OPTIONS] [FILE]";
        w.summary = "open the desktop window";
        w.description =
            "Opens the desktop window; 'layerlens help' lists the headless commands.\n"
            "FILE, a model file (.json), a checkpoint (.llck) or a saved run's folder, opens in "
            "it.\n"
            "The window needs a display: without one (a server, CI), run it under a virtual one\n"
            "with 'xvfb-run -a layerlens ...', or use the headless commands.\n";
        w.options = {
            {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
            {"data", "DIR", "the data folder (default: $LAYERLENS_DATA, else searched)"},
            {"dataset", "D", "mnist, cifar10, synthetic-digits or synthetic-shapes"},
            {"epochs", "N", "epochs to train"},
            {"batch", "B", "batch size"},
            {"train-subset", "N", "train on the first N training images only"},
            {"train", "", "start training at once"},
            {"experiment", "NAME",
             "run one of the Experiments menu at once: optimizers,\nloss-functions, "
             "random-labels, vanishing-gradients, batchnorm, shortcuts"},
            {"units", "LAYER",
             "open the Units tab on LAYER: its top-9 test images and every\nchannel's "
             "optimized input (prints the Markdown summary when done)"},
            {"screenshots", "DIR", "save a picture of every tab into DIR when the run ends"},
            {"quit-when-done", "", "close the window when the run or experiment ends"},
            {"redraw-ms", "MS", "redraw the curves at most every MS milliseconds (default 100)"},
        };
        w.maxOperands = -1;  // Qt's own options (-platform offscreen, -style ...) pass through
        return w;
    }();
    return c;
}

const Command& exportPlotsCommand() {
    static const Command c = [] {
        Command e;
        e.name = "export-plots";
        e.synopsis = "--run DIR --out DIR [--format png|svg|pdf]";
        e.summary = "loss and accuracy curves of a 'train' run as PNG, SVG or PDF (no window)";
        e.description =
            "Renders loss and accuracy curves of a 'layerlens train' run without a "
            "window.\n";
        e.options = {
            {"run", "DIR", "the run folder (train's --out)"},
            {"out", "DIR", "where to write the pictures"},
            {"format", "png|svg|pdf", "the picture format (default png)"},
        };
        return e;
    }();
    return c;
}

std::vector<const Command*> commands() {
    std::vector<const Command*> list;
    for (const Entry& e : table())
        list.push_back(&e.command);
    return list;
}

std::string overview() {
    std::string text =
        "usage: layerlens [OPTIONS] [FILE]     open the desktop window\n"
        "       layerlens COMMAND [OPTIONS]    run a headless command\n"
        "\nCommands:\n";
    for (const Entry& e : table()) {
        std::string line = "  " + e.command.name;
        line.resize(std::max<std::size_t>(line.size() + 2, 16), ' ');
        text += line + e.command.summary + "\n";
    }
    text += "\nRun 'layerlens COMMAND --help' for a command's options.\n\n";
    // The window's text without its usage line and its first line, which points here.
    const std::string window = windowCommand().usage();
    text += "With no COMMAND, the desktop window opens.\n" +
            window.substr(window.find('\n', window.find('\n') + 1) + 1);
    return text;
}

void setVersionExtra(const std::string& lines) {
    versionExtra() = lines;
}

bool isWindowLaunch(const std::vector<std::string>& args) {
    if (args.empty()) return true;
    const std::string& a = args[0];
    if (a.rfind("-", 0) == 0) return a != "-h" && a != "--help" && a != "--version";
    for (const Entry& e : table())
        if (e.command.name == a) return false;
    std::error_code ec;
    return std::filesystem::exists(a, ec);  // layerlens FILE
}

Net modelOrCheckpointNet(const Args& args, ModelSpec& spec) {
    if (args.has("model")) return loadModel(args.str("model"), &spec);
    if (!args.has("checkpoint"))
        throw UsageError(
            "--model is required (a preset name or a model file; see 'layerlens models')");
    const std::string path = args.str("checkpoint");
    const CheckpointInfo info = readCheckpointInfo(path);
    if (info.modelJson.empty())
        throw UsageError(strCat("checkpoint '", path, "' holds no model document: give --model"));
    return buildNet(info.modelJson, &spec, path);
}

Option kernelsOption() {
    return {"kernels", "fast|reference",
            "fast (default): vectorized sums where the order of additions may differ;\n"
            "reference: every sum in its written order, bit for bit the recorded trajectories"};
}

namespace {
KernelSet parseKernels(const std::string& v) {
    try {
        return parseKernelSet(v);
    } catch (const std::invalid_argument& e) {
        throw UsageError(e.what());
    }
}
}  // namespace

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    std::string cmd = args.empty() ? "help" : args[0];
    if (cmd == "--help" || cmd == "-h") cmd = "help";
    if (cmd == "--version") cmd = "version";
    const auto& t = table();
    const auto entry =
        std::find_if(t.begin(), t.end(), [&](const Entry& e) { return e.command.name == cmd; });
    if (entry == t.end()) {
        err << "layerlens: unknown command '" << cmd << "'; see layerlens help\n";
        return 2;
    }
    try {
        const Args parsed(args.empty() ? std::vector<std::string>{}
                                       : std::vector<std::string>(args.begin() + 1, args.end()),
                          entry->command);
        if (parsed.help()) {
            out << entry->command.usage();
            return 0;
        }
        // An ONNX model with a dynamic height and width takes --input-size for this command.
        struct OnnxSize {
            ~OnnxSize() { setOnnxInputSize(0, 0); }
        } resetAfterwards;
        if (parsed.has("input-size")) {
            const std::string v = parsed.str("input-size");
            const auto size = parseInputSize(v);
            if (!size)
                throw UsageError(
                    strCat("--input-size '", v, "': give the height and width, e.g. 224x224"));
            setOnnxInputSize(size->first, size->second);
        }
        // --kernels for this command only.
        const KernelSetScope kernels(parsed.has("kernels") ? parseKernels(parsed.str("kernels"))
                                                           : kernelSet());
        if (!entry->run)
            throw UsageError(
                "this layerlens was built without the desktop window "
                "(LAYERLENS_BUILD_UI=OFF), which draws the plots");
        return entry->run(parsed, out);
    } catch (const UsageError& e) {
        err << "layerlens " << cmd << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "layerlens " << cmd << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace ll::cli
