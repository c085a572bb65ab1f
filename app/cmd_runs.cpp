// layerlens runs: the saved runs of a folder -- LayerLens' own and other tools' logs
// (TensorBoard event files, Lightning and Keras CSV logs) -- and the curves of one run.
#include <iomanip>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/error.h"
#include "core/runs.h"

namespace ll::cli {

Command runsCommand() {
    Command c;
    c.name = "runs";
    c.synopsis = "[--list] DIR | --show RUN";
    c.summary = "list saved runs (ours, TensorBoard, Lightning / Keras CSV) or show one's curves";
    c.description =
        "--list DIR (the default): one line per run in DIR (and DIR itself when it is a log\n"
        "folder): its name, its kind (layerlens, tensorboard, lightning-csv, keras-csv) and its\n"
        "points per curve, then what reading it warned about and the tags no curve uses.\n"
        "--show RUN: the run's curves as CSV (curve,source,step,value). Other tools' logs are\n"
        "only read, never changed.\n";
    c.options = {{"list", "", "list the runs of the folder DIR (the default)"},
                 {"show", "", "print the curves of the run folder RUN"}};
    c.minOperands = 1;
    c.maxOperands = 1;
    c.operands = "DIR";
    return c;
}

namespace {

std::string counts(const RunData& r) {
    std::string s;
    for (const CurvePoints& c : runCurves(r))
        s += strCat(s.empty() ? "" : ", ", curveName(c.curve), " ", c.points.size());
    return s.empty() ? "no points" : s;
}

void notes(const RunData& r, std::ostream& out) {
    for (const std::string& w : r.warnings)
        out << "    warning: " << w << "\n";
    if (!r.unmapped.empty()) {
        out << "    not drawn:";
        for (const std::string& t : r.unmapped)
            out << " " << t;
        out << "\n";
    }
}

}  // namespace

int runs(const Args& args, std::ostream& out) {
    if (args.has("list") && args.has("show")) throw UsageError("give --list or --show, not both");
    const std::string& dir = args.positional()[0];
    if (args.has("show")) {
        const RunData r = loadRun(dir);
        out << "# " << r.name << " (" << r.kind << ")\n";
        for (const std::string& w : r.warnings)
            out << "# warning: " << w << "\n";
        out << "curve,source,step,value\n";
        out << std::setprecision(9);
        for (const CurvePoints& c : runCurves(r))
            for (const auto& [step, v] : c.points)
                out << curveName(c.curve) << ',' << c.source << ',' << step << ',' << v << "\n";
        return 0;
    }
    const auto dirs = listRuns(dir);
    if (dirs.empty()) {
        out << "no runs in " << dir
            << " (LayerLens run folders, TensorBoard events.out.tfevents.* files, Lightning's "
               "metrics.csv, Keras' CSV logs)\n";
        return 0;
    }
    for (const std::string& d : dirs) {
        try {
            const RunData r = loadRun(d);
            out << std::left << std::setw(24) << r.name << " " << std::setw(14) << r.kind << " "
                << counts(r) << "\n";
            notes(r, out);
        } catch (const Error& e) {
            out << std::left << std::setw(24) << d << " unreadable: " << e.what() << "\n";
        }
    }
    return 0;
}

}  // namespace ll::cli
