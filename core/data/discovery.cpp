#include "core/data/discovery.h"

#include <cstdlib>
#include <filesystem>

#include "core/data/cifar10.h"
#include "core/data/file_io.h"
#include "core/data/mnist.h"
#include "core/error.h"

namespace ll {

namespace fs = std::filesystem;

std::vector<DataRoot> dataRoots(const std::string& given, const std::string& appDataDir,
                                const std::string& home) {
    std::vector<DataRoot> roots;
    auto add = [&](const std::string& p, const std::string& origin) {
        if (p.empty()) return;
        std::error_code ec;
        const std::string canon = fs::weakly_canonical(p, ec).string();
        for (const DataRoot& r : roots) {
            std::error_code ec2;
            if (fs::weakly_canonical(r.path, ec2).string() == canon) return;
        }
        roots.push_back({p, origin});
    };
    add(given, "--data");
    const char* env = std::getenv("LAYERLENS_DATA");
    add(env ? env : "", "$LAYERLENS_DATA");
    add(appDataDir, "app data folder");
    add("data", "torchvision default (./data)");
    if (!home.empty()) {
        add(home + "/data", "torchvision (~/data)");
        add(home + "/.keras/datasets", "Keras cache");
    }
    return roots;
}

std::vector<DataRoot> defaultDataRoots(const std::string& given) {
    const char* home = std::getenv("HOME");
    const char* xdg = std::getenv("XDG_DATA_HOME");
    const std::string h = home ? home : "";
    std::string share = xdg && *xdg ? xdg : (h.empty() ? "" : h + "/.local/share");
    return dataRoots(given, share.empty() ? "" : share + "/LayerLens/LayerLens", h);
}

std::vector<FoundData> discoverData(const std::vector<DataRoot>& roots) {
    std::vector<FoundData> found;
    for (const DataRoot& r : roots) {
        std::error_code ec;
        if (!fs::is_directory(r.path, ec)) continue;
        const std::string mnist = findMnist(r.path);
        if (!mnist.empty()) {
            const bool npz = findMnistNpz(r.path) == mnist + "/mnist.npz" &&
                             !fileExists(mnist + "/train-images-idx3-ubyte") &&
                             !fileExists(mnist + "/train-images-idx3-ubyte.gz");
            found.push_back(
                {"mnist", r.path, mnist, r.origin, true, npz ? "mnist.npz (Keras)" : "IDX files"});
        }
        const std::string cifar = cifarDirectory(r.path);
        int batches = 0;
        for (int b = 1; b <= 5; ++b)
            batches += fileExists(strCat(cifar, "/data_batch_", b, ".bin"));
        const bool test = fileExists(cifar + "/test_batch.bin");
        if (batches > 0 || test) {
            FoundData f{"cifar10", r.path, cifar, r.origin, batches > 0 && test, ""};
            f.note = f.usable ? strCat("binary version, ", batches, " of 5 training batches")
                              : (batches == 0 ? "no data_batch_N.bin" : "no test_batch.bin");
            found.push_back(f);
        }
        if (fs::is_directory(r.path + "/cifar-10-batches-py", ec)) {
            found.push_back({"cifar10", r.path, r.path + "/cifar-10-batches-py", r.origin, false,
                             "the Python pickles are not read: use the binary version "
                             "(cifar-10-binary.tar.gz)"});
        }
    }
    return found;
}

FoundData firstUsable(const std::vector<FoundData>& found, const std::string& dataset) {
    for (const FoundData& f : found)
        if (f.dataset == dataset && f.usable) return f;
    return {};
}

}  // namespace ll
