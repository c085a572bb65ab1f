// layerlens data: which data sets are on this machine, and where.
#include <cstdlib>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/data/discovery.h"

namespace ll::cli {

Command dataCommand() {
    Command c;
    c.name = "data";
    c.synopsis = "[--data DIR]";
    c.summary = "which MNIST / CIFAR-10 copies are on this machine, and where";
    c.description =
        "Lists the MNIST and CIFAR-10 copies found, in search order: --data, "
        "$LAYERLENS_DATA,\nthe app's data folder, ./data, ~/data, ~/.keras/datasets.\n";
    c.options = {{"data", "DIR", "a folder to search first"}};
    return c;
}

int data(const Args& args, std::ostream& out) {
    const auto roots = defaultDataRoots(args.str("data"));
    out << "searched, in order:\n";
    for (const DataRoot& r : roots)
        out << "  " << r.path << "  (" << r.origin << ")\n";
    const auto found = discoverData(roots);
    if (found.empty()) {
        out << "no MNIST or CIFAR-10 found. The built-in synthetic-digits and synthetic-shapes "
               "sets need no data;\nfor MNIST put the four IDX files "
               "(train-images-idx3-ubyte.gz ...) in a folder and pass --data DIR.\n";
        return 0;
    }
    out << "found:\n";
    for (const FoundData& f : found) {
        out << "  " << (f.usable ? "" : "(not usable) ") << f.dataset << " in " << f.where << "  ["
            << f.origin << "; " << f.note << "]";
        if (f.usable) out << "  → --data " << f.path;
        out << "\n";
    }
    return 0;
}

}  // namespace ll::cli
