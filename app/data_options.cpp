#include "app/data_options.h"

#include <cstdlib>
#include <sstream>

#include "core/data/synthetic.h"

namespace ll::cli {

DataOptions dataOptionsFrom(const Args& args, const ModelDefaults& d, std::uint64_t seed) {
    DataOptions o;
    o.seed = seed;
    o.dataset = args.str("dataset", d.dataset);
    if (o.dataset != "mnist" && o.dataset != "cifar10" && o.dataset != "images" &&
        !isSyntheticDataset(o.dataset)) {
        throw UsageError(
            strCat("--dataset must be mnist, cifar10, synthetic-digits, "
                   "synthetic-shapes or images (a folder per class), got '",
                   o.dataset, "'"));
    }
    const char* env = std::getenv("LAYERLENS_DATA");
    o.dir = args.str("data", env ? env : "");
    if (o.dir.empty() && !isSyntheticDataset(o.dataset)) {
        throw UsageError(
            "no data directory: pass --data DIR or set LAYERLENS_DATA (the folder holding the "
            "MNIST files or cifar-10-batches-bin)");
    }
    o.trainSubset = args.number("train-subset", 0, 0, 1e9);
    o.testSubset = args.integer("test-subset", 0, 0, 1 << 30);
    o.labelNoise = args.number("label-noise", 0, 0, 1);
    o.classes = d.classes;
    if (args.has("classes")) {
        o.classes.clear();
        std::stringstream ss(args.str("classes"));
        std::string part;
        while (std::getline(ss, part, ',')) {
            try {
                std::size_t used = 0;
                o.classes.push_back(std::stoi(part, &used));
                if (used != part.size()) throw std::invalid_argument(part);
            } catch (const std::exception&) {
                throw UsageError(strCat("--classes needs two class numbers like 4,9, got '",
                                        args.str("classes"), "'"));
            }
        }
        if (o.classes.size() != 2)
            throw UsageError(strCat("--classes needs exactly two classes like 4,9, got '",
                                    args.str("classes"), "'"));
    }
    return o;
}

}  // namespace ll::cli
