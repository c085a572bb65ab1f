#include "core/data/load.h"

#include <algorithm>
#include <cmath>
#include <iterator>

#include "core/data/cifar10.h"
#include "core/data/image_folder.h"
#include "core/data/mnist.h"
#include "core/data/synthetic.h"
#include "core/error.h"

namespace ll {

DataPair loadData(const DataOptions& o) {
    if (o.dataset != "mnist" && o.dataset != "cifar10" && o.dataset != "images" &&
        !isSyntheticDataset(o.dataset)) {
        throw UsageError(strCat("unknown data set '", o.dataset,
                                "' (expected mnist, cifar10, synthetic-digits, synthetic-shapes or "
                                "images)"));
    }
    DataPair p;
    if (o.dataset == "images") {
        if (o.channels <= 0 || o.height <= 0 || o.width <= 0)
            throw UsageError("an image folder needs the model's input size (C, H, W)");
        ImageFolderSplit f = loadImageFolder(o.dir, o.channels, o.height, o.width, o.seed);
        p.train = std::move(f.train);
        p.test = std::move(f.test);
    } else if (isSyntheticDataset(o.dataset)) {
        // A fixed generation seed: "the" synthetic set is the same in every run; --seed still
        // drives subsets, label noise and training.
        const int nTrain = o.trainSubset >= 1 ? static_cast<int>(o.trainSubset) : kSyntheticTrain;
        const int nTest = o.testSubset > 0 ? o.testSubset : kSyntheticTest;
        auto make = o.dataset == "synthetic-digits" ? makeSyntheticDigits : makeSyntheticShapes;
        p.train = make(nTrain, 1, "train");
        p.test = make(nTest, 1, "test");
    } else if (o.dataset == "mnist") {
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

ChannelStatistics trainingStatistics(const DataOptions& o) {
    if (o.dataset == "mnist") return {{kMnistMean}, {kMnistStd}};
    if (o.dataset == "cifar10")
        return {{std::begin(kCifar10Mean), std::end(kCifar10Mean)},
                {std::begin(kCifar10Std), std::end(kCifar10Std)}};
    DataPair p = loadData(o);
    return {std::move(p.train.mean), std::move(p.train.stddev)};
}

}  // namespace ll
