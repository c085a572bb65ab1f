#pragma once
// Finding data that is already on the machine. Roots are searched in order: the folder the user
// gave, $LAYERLENS_DATA, the app's own data folder (where downloads go), then the caches other
// tools use: torchvision's usual roots (./data, ~/data) and Keras' ~/.keras/datasets. In each
// root MNIST is looked for in the layouts loadMnist accepts (the root, MNIST/raw, mnist, MNIST;
// or as Keras' mnist.npz) and CIFAR-10 in cifar-10-batches-bin. Copies that exist in a format
// LayerLens cannot read (the Python pickles of cifar-10-batches-py) are listed with what to do.

#include <string>
#include <vector>

namespace ll {

struct DataRoot {
    std::string path;
    std::string origin;  // "--data", "$LAYERLENS_DATA", "app data folder", "Keras cache", ...
};

struct FoundData {
    std::string dataset;  // "mnist" | "cifar10"
    std::string path;     // the directory to pass as --data (the root it was found under)
    std::string where;    // the folder holding the files
    std::string origin;   // the root's origin
    bool usable = true;
    std::string note;  // e.g. "CIFAR-10: 1 of 5 training batches" or why it is not usable
};

/// The roots in search order; empty entries and duplicates are dropped.
std::vector<DataRoot> dataRoots(const std::string& given, const std::string& appDataDir,
                                const std::string& home);
/// dataRoots with the app data folder Qt uses on Linux ($XDG_DATA_HOME or ~/.local/share, then
/// LayerLens/LayerLens) and $HOME.
std::vector<DataRoot> defaultDataRoots(const std::string& given);
/// Everything found under those roots, in root order.
std::vector<FoundData> discoverData(const std::vector<DataRoot>& roots);
/// The first usable copy of `dataset` ("mnist" | "cifar10"), or an empty path.
FoundData firstUsable(const std::vector<FoundData>& found, const std::string& dataset);

}  // namespace ll
