#include "core/data/load.h"

#include <algorithm>
#include <cmath>

#include "core/data/cifar10.h"
#include "core/data/mnist.h"
#include "core/error.h"

namespace ll {

DataPair loadData(const DataOptions& o) {
    if (o.dataset != "mnist" && o.dataset != "cifar10")
        throw UsageError(strCat("unknown data set '", o.dataset, "' (expected mnist or cifar10)"));
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

}  // namespace ll
