// layerlens download: fetch MNIST or CIFAR-10 with checksums, resume and a progress bar.
#include <unistd.h>
#include <cstdio>
#include <cstdlib>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/data/discovery.h"
#include "core/data/download.h"
#include "core/error.h"

namespace ll::cli {

Command downloadCommand() {
    Command c;
    c.name = "download";
    c.synopsis = "mnist|cifar10 [OPTIONS]";
    c.summary = "fetch MNIST or CIFAR-10 (checksums verified, resumable)";
    c.description =
        "Downloads into DIR (default: the app's data folder, where the window and 'train' "
        "look),\nverifies the published MD5 sums, resumes a partial download, and unpacks "
        "CIFAR-10.\n";
    c.options = {
        {"to", "DIR", "where to put the data (default: the app's data folder)"},
        {"url", "BASE_URL", "a mirror to download from instead of the official site"},
        {"stall-seconds", "S", "give up when no byte arrives for S seconds (default 30)"},
        {"no-progress", "", "no progress bar"},
    };
    c.minOperands = c.maxOperands = 1;
    c.operands = "the data set to download, mnist or cifar10";
    return c;
}

int download(const Args& args, std::ostream& out) {
    const std::string dataset = args.positional()[0];
    const DataSource src = officialSource(dataset, args.str("url"));
    std::string to = args.str("to");
    if (to.empty()) {
        const auto roots = defaultDataRoots("");
        for (const DataRoot& r : roots)
            if (r.origin == "app data folder") to = r.path;
    }
    if (to.empty()) throw UsageError("--to DIR is required (no home folder to put the data in)");
    DownloadOptions o;
    o.stallSeconds = args.integer("stall-seconds", 30, 1, 3600);
    const bool bar = !args.has("no-progress") && isatty(STDERR_FILENO);
    std::string current;
    const DownloadProgress progress = [&](const std::string& file, std::int64_t done,
                                          std::int64_t total) {
        if (!bar) return true;
        if (file != current) {
            if (!current.empty()) std::fprintf(stderr, "\n");
            current = file;
        }
        if (total > 0)
            std::fprintf(stderr, "\r%-28s %6.1f / %6.1f MB  %3d%%", file.c_str(), done / 1e6,
                         total / 1e6, static_cast<int>(100 * done / total));
        else
            std::fprintf(stderr, "\r%-28s %6.1f MB", file.c_str(), done / 1e6);
        return true;
    };
    out << "downloading " << dataset << " from " << src.baseUrl << " into " << to << "\n";
    const std::string dir = downloadDataset(src, to, progress, o);
    if (bar) std::fprintf(stderr, "\n");
    out << dataset << " is ready: --data " << dir << "\n";
    return 0;
}

}  // namespace ll::cli
