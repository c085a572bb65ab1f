#include "app/cli.h"

#include <ostream>

#include "core/error.h"
#include "core/gemm.h"

namespace ll::cli {

namespace {

const char* kUsage = R"(usage: layerlens [COMMAND] [OPTIONS]

With no command, opens the desktop window.

Commands:
  demo      gradient-check every layer type and LeNet-5, then overfit one batch (prints numbers)
  train     train a model on MNIST or CIFAR-10 headless (writes metrics.csv and a checkpoint)
  bench     steady-state training and inference images/s of a model on random data
  models    list the built-in model presets with their parameter counts
  summary   per-layer cost table: parameters, FLOPs/MACs, activations, memory, receptive fields
  rf        the input rectangle one unit of a layer depends on
  data      which MNIST / CIFAR-10 copies are on this machine, and where
  download  fetch MNIST or CIFAR-10 (checksums verified, resumable)
  experiment  the course experiments headless (optimizers, loss-functions, random-labels, ...)
  export-plots  loss and accuracy curves of a 'train' run as PNG, SVG or PDF (no window)
  help      show this text
  version   show the version

Run 'layerlens COMMAND --help' for a command's options.
)";

}  // namespace

bool isCliCommand(const std::vector<std::string>& args) {
    if (args.empty()) return false;
    const std::string& a = args[0];
    return a == "demo" || a == "models" || a == "train" || a == "bench" || a == "summary" ||
           a == "rf" || a == "data" || a == "download" || a == "experiment" || a == "help" ||
           a == "version" || a == "--help" || a == "-h" || a == "--version";
}

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    if (args.empty() || args[0] == "help" || args[0] == "--help" || args[0] == "-h") {
        out << kUsage;
        return 0;
    }
    const std::string cmd = args[0];
    const std::vector<std::string> rest(args.begin() + 1, args.end());
    try {
        if (cmd == "version" || cmd == "--version") {
            out << "layerlens " << LAYERLENS_VERSION << " (convolution GEMM: " << gemmBackend()
                << ")\n";
            return 0;
        }
        if (cmd == "demo") return demo(rest, out);
        if (cmd == "models") return models(rest, out);
        if (cmd == "train") return train(rest, out);
        if (cmd == "bench") return bench(rest, out);
        if (cmd == "summary") return summary(rest, out);
        if (cmd == "rf") return rf(rest, out);
        if (cmd == "data") return data(rest, out);
        if (cmd == "download") return download(rest, out);
        if (cmd == "experiment") return experiment(rest, out);
        err << "layerlens: unknown command '" << cmd << "' (try 'layerlens help')\n";
        return 2;
    } catch (const UsageError& e) {
        err << "layerlens " << cmd << ": " << e.what() << "\n";
        return 2;
    } catch (const std::exception& e) {
        err << "layerlens " << cmd << ": " << e.what() << "\n";
        return 1;
    }
}

}  // namespace ll::cli
