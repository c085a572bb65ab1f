#include "app/data_options.h"

#include <cmath>
#include <cstdlib>
#include <sstream>

#include "core/data/cifar10.h"
#include "core/data/mnist.h"

namespace ll::cli {

DataOptions dataOptionsFrom(const Args& args, const ModelDefaults& d, std::uint64_t seed) {
    DataOptions o;
    o.seed = seed;
    o.dataset = args.str("dataset", d.dataset);
    if (o.dataset != "mnist" && o.dataset != "cifar10") {
        throw UsageError(strCat("--dataset must be mnist or cifar10, got '", o.dataset, "'"));
    }
    const char* env = std::getenv("LAYERLENS_DATA");
    o.dir = args.str("data", env ? env : "");
    if (o.dir.empty()) {
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

DataPair loadData(const DataOptions& o) {
    DataPair p;
    if (o.dataset == "mnist") {
        p.train = loadMnist(o.dir, "train");
        p.test = loadMnist(o.dir, "test");
    } else {
        p.train = loadCifar10(o.dir, "train");
        p.test = loadCifar10(o.dir, "test");
    }
    if (o.classes.size() == 2) {
        filterTwoClasses(p.train, o.classes[0], o.classes[1]);
        filterTwoClasses(p.test, o.classes[0], o.classes[1]);
    }
    if (o.trainSubset > 0) {
        const int count = o.trainSubset < 1
                              ? static_cast<int>(std::lround(o.trainSubset * p.train.size()))
                              : static_cast<int>(o.trainSubset);
        takeSubset(p.train, std::max(count, 1), o.seed);
    }
    if (o.testSubset > 0) takeSubset(p.test, o.testSubset, o.seed + 1);
    if (o.labelNoise > 0) p.noisyLabels = applyLabelNoise(p.train, o.labelNoise, o.seed);
    return p;
}

}  // namespace ll::cli
