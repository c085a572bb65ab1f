#include "app/data_options.h"

#include <cstdlib>
#include <sstream>

#include "core/data/discovery.h"
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
    if (o.dir.empty() && !isSyntheticDataset(o.dataset) && o.dataset != "images") {
        // Nothing given: look where copies usually are (the app's folder, ./data, ~/data...).
        const auto roots = defaultDataRoots("");
        const FoundData f = firstUsable(discoverData(roots), o.dataset);
        if (f.path.empty()) {
            std::string where;
            for (const DataRoot& r : roots)
                where += (where.empty() ? "" : ", ") + r.path;
            throw UsageError(strCat("no data directory: pass --data DIR or set LAYERLENS_DATA (no ",
                                    o.dataset, " found in ", where,
                                    "; 'layerlens data' lists what is found, and the built-in "
                                    "--dataset synthetic-digits needs no data)"));
        }
        o.dir = f.path;
    }
    if (o.dir.empty() && o.dataset == "images")
        throw UsageError("--dataset images needs --data DIR (a folder per class)");
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
