#include "core/runs.h"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <new>
#include <sstream>

#include <nlohmann/json.hpp>

#include "core/data/file_io.h"
#include "core/error.h"
#include "core/foreign_runs.h"

namespace ll {

namespace fs = std::filesystem;

namespace {

const char* kBatchHeader = "step,epoch,batch,loss,accuracy,lr,images_per_s";
const char* kEvalHeader = "step,epoch,loss,accuracy,samples";
const char* kEpochHeader = "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s";
const char* kNormsHeader = "step,layer,weight_norm,grad_norm";

// A layer name as one CSV cell: names come from model files and may hold anything.
std::string csvCell(std::string s) {
    for (char& c : s)
        if (c == ',' || c == '\n' || c == '\r') c = '_';
    return s;
}

std::ofstream openAppend(const fs::path& p, const char* header) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    const bool fresh = ec || size == 0;  // also a file created by a run killed before its header
    std::ofstream f(p, std::ios::app);
    if (!f) throw DataError(strCat("cannot write '", p.string(), "'"));
    if (fresh) f << header << "\n" << std::flush;
    f.precision(9);  // floats round-trip: same-start runs compare equal to the last bit
    return f;
}

// Columns that hold counts (step, epoch, batch, samples): whole numbers from 0 to this, so that
// converting them to the integer fields of the reports is defined (a damaged file may say 1e300
// or nan there).
constexpr double kMaxCount = 2147483647.0;
constexpr double kMaxStep = 9007199254740992.0;  // 2^53: every integer below is a double

// Whether v is a whole number in [0, max].
bool isCount(double v, double max) {
    return std::isfinite(v) && v >= 0 && v <= max && v == std::floor(v);
}

// Reads a CSV with the given header; every complete line is split into numbers, except column
// `textColumn` (when >= 0), which goes to `texts` (one per row; NaN in the row). Columns listed
// in `counts` (index, largest value) must hold whole numbers in range, else the line is
// malformed. A last line without its newline (a crash mid-write) is dropped with a warning.
std::vector<std::vector<double>> readCsv(const fs::path& p, const char* header, std::size_t columns,
                                         std::vector<std::string>& warnings,
                                         const std::vector<std::pair<std::size_t, double>>& counts,
                                         int textColumn = -1,
                                         std::vector<std::string>* texts = nullptr) {
    std::vector<std::vector<double>> rows;
    std::ifstream in(p, std::ios::binary);
    if (!in) return rows;
    std::string text((std::istreambuf_iterator<char>(in)), {});
    std::size_t pos = 0;
    int lineNo = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        const bool complete = end != std::string::npos;
        const std::string line = text.substr(pos, complete ? end - pos : std::string::npos);
        pos = complete ? end + 1 : text.size();
        ++lineNo;
        if (lineNo == 1) {
            if (line != header)
                warnings.push_back(
                    strCat(p.filename().string(), ": unexpected header '", line, "'"));
            continue;
        }
        if (!complete) {
            warnings.push_back(strCat(p.filename().string(),
                                      ": last line cut short (the app stopped while "
                                      "writing it), ignored"));
            break;
        }
        std::vector<double> v;
        std::stringstream ss(line);
        std::string cell;
        bool ok = true;
        std::string label;
        while (std::getline(ss, cell, ',')) {
            if (static_cast<int>(v.size()) == textColumn) {
                label = cell;
                v.push_back(std::nan(""));
                continue;
            }
            try {
                v.push_back(std::stod(cell));
            } catch (const std::exception&) {
                v.push_back(std::nan(""));  // "nan" from a run without test set parses above
                ok = ok && (cell == "nan" || cell == "-nan");
            }
        }
        for (const auto& [column, max] : counts)
            ok = ok && column < v.size() && isCount(v[column], max);
        if (!ok || v.size() != columns) {
            warnings.push_back(
                strCat(p.filename().string(), ": line ", lineNo, " is malformed, ignored"));
            continue;
        }
        rows.push_back(v);
        if (texts) texts->push_back(label);
    }
    return rows;
}

// Runs `f`, turning file-system errors (a name taken by a file, no permission, a full disk) into
// the project's DataError: only typed errors leave this module.
template <typename F>
auto guardFs(const std::string& what, F f) -> decltype(f()) {
    try {
        return f();
    } catch (const fs::filesystem_error& e) {
        throw DataError(strCat(what, ": ", e.code().message(), " (", e.path1().string(), ")"));
    } catch (const std::bad_alloc&) {
        throw DataError(strCat(what, ": not enough memory"));
    }
}

}  // namespace

std::string runConfigJson(const std::string& model, const std::string& modelJson,
                          const DataOptions& data, const TrainConfig& config,
                          const std::vector<std::pair<std::string, std::string>>& extra,
                          std::int64_t trainImages) {
    nlohmann::ordered_json c;
    for (const auto& [key, value] : extra)
        c[key] = value;
    c["model"] = model;
    if (!modelJson.empty()) c["model_json"] = modelJson;
    c["dataset"] = data.dataset;
    c["data"] = data.dir;
    c["optimizer"] = config.optimizer;
    c["loss"] = config.loss;
    c["lr"] = config.opt.lr;
    c["lr_schedule"] = config.lrSchedule.str();
    c["momentum"] = config.opt.momentum;
    c["weight_decay"] = config.opt.weightDecay;
    c["batch"] = config.batch;
    c["epochs"] = config.epochs;
    c["seed"] = config.seed;
    c["label_noise"] = data.labelNoise;
    c["train_subset"] = data.trainSubset;
    if (trainImages >= 0) c["train_images"] = trainImages;
    return c.dump(2) + "\n";
}

RunConfig readRunConfig(const std::string& configJson) {
    try {
        const auto c = nlohmann::json::parse(configJson);
        if (!c.is_object()) throw DataError("a run's config.json must hold a JSON object");
        RunConfig r;
        r.model = c.value("model", r.model);
        r.modelJson = c.value("model_json", std::string());
        r.dataset = c.value("dataset", std::string());
        r.seed = c.value("seed", 1);
        if (c.contains("batch")) r.batch = c["batch"].get<int>();
        if (c.contains("epochs")) r.epochs = c["epochs"].get<int>();
        if (c.contains("label_noise")) r.labelNoise = c["label_noise"].get<double>();
        const double subset = c.value("train_subset", 0.0);
        if (subset == 0 || subset >= 1) {
            r.trainSubset = static_cast<int>(subset);
        } else if (c.contains("train_images")) {
            r.trainSubset = c["train_images"].get<int>();
        }
        if (c.contains("optimizer") && c.contains("lr")) {
            // Runs from before schedules trained at a constant rate.
            r.training = RunConfig::Training{c["optimizer"].get<std::string>(),
                                             c.value("loss", std::string()),
                                             c["lr"].get<double>(),
                                             c.value("momentum", 0.9),
                                             c.value("weight_decay", 0.0),
                                             parseLrSchedule(c.value("lr_schedule", "constant"))};
        }
        return r;
    } catch (const nlohmann::json::exception& e) {
        throw DataError(strCat("a run's config.json: ", e.what()));
    } catch (const UsageError& e) {
        throw DataError(strCat("a run's config.json: ", e.what()));
    }
}

RunLog RunLog::create(const std::string& root, const std::string& name,
                      const std::string& configJson) {
    if (name.empty() || name.find('/') != std::string::npos || name == "." || name == "..")
        throw UsageError(strCat("invalid run name '", name, "'"));
    return guardFs(strCat("cannot create run '", name, "' in '", root, "'"), [&] {
        fs::create_directories(root);
        fs::path dir = fs::path(root) / name;
        for (int k = 2; fs::exists(dir); ++k)
            dir = fs::path(root) / strCat(name, "-", k);
        fs::create_directories(dir);
        writeFileAtomic((dir / "config.json").string(), configJson);
        return RunLog(dir.string());
    });
}

RunLog::RunLog(const std::string& dir) : m_dir(dir) {
    // Every file exists with its header from the start, so a run killed at any moment reads.
    m_batches = openAppend(fs::path(dir) / "batches.csv", kBatchHeader);
    m_evals = openAppend(fs::path(dir) / "evals.csv", kEvalHeader);
    m_epochs = openAppend(fs::path(dir) / "epochs.csv", kEpochHeader);
    m_norms = openAppend(fs::path(dir) / "norms.csv", kNormsHeader);
}

void RunLog::appendBatch(const BatchReport& r) {
    m_batches << r.step << ',' << r.epoch << ',' << r.batch << ',' << r.loss << ',' << r.accuracy
              << ',' << r.lr << ',' << r.imagesPerSecond << '\n'
              << std::flush;
    if (r.norms.empty()) return;
    for (const LayerNorms& n : r.norms)
        m_norms << r.step << ',' << csvCell(n.layer) << ',' << n.weightNorm << ',' << n.gradNorm
                << '\n';
    m_norms << std::flush;
}

void RunLog::appendEval(const EvalReport& e) {
    m_evals << e.step << ',' << e.epoch << ',' << e.loss << ',' << e.accuracy << ',' << e.samples
            << '\n'
            << std::flush;
}

void RunLog::appendEpoch(const EpochReport& e) {
    m_epochs << e.epoch << ',' << e.trainLoss << ',' << e.trainAccuracy << ',' << e.testLoss << ','
             << e.testAccuracy << ',' << e.seconds << ',' << e.imagesPerSecond << '\n'
             << std::flush;
}

std::string runCheckpointPath(const std::string& dir) {
    return (fs::path(dir) / "checkpoint.llck").string();
}

const char* curveName(Curve c) {
    switch (c) {
        case Curve::Loss:
            return "loss";
        case Curve::Accuracy:
            return "accuracy";
        case Curve::TestLoss:
            return "test loss";
        case Curve::TestAccuracy:
            return "test accuracy";
        case Curve::LearningRate:
            return "learning rate";
    }
    return "?";
}

std::vector<CurvePoints> runCurves(const RunData& run) {
    if (run.kind != "layerlens") return run.curves;
    std::vector<CurvePoints> c(5);
    for (int k = 0; k < 5; ++k) {
        c[k].curve = static_cast<Curve>(k);
        c[k].source = k == 2 || k == 3 ? "evals.csv" : "batches.csv";
    }
    const auto add = [&](Curve curve, std::int64_t step, double v) {
        if (std::isfinite(v)) c[static_cast<int>(curve)].points.emplace_back(step, v);
    };
    for (const BatchReport& b : run.batches) {
        add(Curve::Loss, b.step, b.loss);
        add(Curve::Accuracy, b.step, b.accuracy);
        add(Curve::LearningRate, b.step, b.lr);
    }
    for (const EvalReport& e : run.evals) {
        add(Curve::TestLoss, e.step, e.loss);
        add(Curve::TestAccuracy, e.step, e.accuracy);
    }
    c.erase(
        std::remove_if(c.begin(), c.end(), [](const CurvePoints& p) { return p.points.empty(); }),
        c.end());
    return c;
}

static RunData loadRunUnguarded(const std::string& dir) {
    const fs::path d(dir);
    if (!fs::exists(d / "config.json")) {
        if (!foreignRunKind(dir).empty()) return loadForeignRun(dir);
        throw DataError(strCat("'", dir,
                               "' is not a LayerLens run (no config.json) nor another tool's log "
                               "(no TensorBoard events.out.tfevents.* file, Lightning "
                               "metrics.csv or Keras CSV log)"));
    }
    RunData r;
    r.dir = dir;
    r.name = d.filename().string();
    std::ifstream cfg(d / "config.json");
    r.configJson.assign(std::istreambuf_iterator<char>(cfg), {});
    for (const auto& v : readCsv(d / "batches.csv", kBatchHeader, 7, r.warnings,
                                 {{0, kMaxStep}, {1, kMaxCount}, {2, kMaxCount}})) {
        BatchReport b;
        b.step = static_cast<std::int64_t>(v[0]);
        b.epoch = static_cast<int>(v[1]);
        b.batch = static_cast<int>(v[2]);
        b.loss = v[3];
        b.accuracy = v[4];
        b.lr = std::isfinite(v[5]) && std::fabs(v[5]) <= 3.4e38 ? static_cast<float>(v[5])
                                                                : std::nanf("");
        b.imagesPerSecond = v[6];
        r.batches.push_back(b);
    }
    for (const auto& v : readCsv(d / "evals.csv", kEvalHeader, 5, r.warnings,
                                 {{0, kMaxStep}, {1, kMaxCount}, {4, kMaxCount}})) {
        EvalReport e;
        e.step = static_cast<std::int64_t>(v[0]);
        e.epoch = static_cast<int>(v[1]);
        e.loss = v[2];
        e.accuracy = v[3];
        e.samples = static_cast<int>(v[4]);
        r.evals.push_back(e);
    }
    for (const auto& v : readCsv(d / "epochs.csv", kEpochHeader, 7, r.warnings, {{0, kMaxCount}})) {
        EpochReport e;
        e.epoch = static_cast<int>(v[0]);
        e.trainLoss = v[1];
        e.trainAccuracy = v[2];
        e.testLoss = v[3];
        e.testAccuracy = v[4];
        e.seconds = v[5];
        e.imagesPerSecond = v[6];
        r.epochs.push_back(e);
    }
    // Norms belong to the batch logged with the same step (rows of one step are consecutive).
    std::vector<std::string> layers;
    const auto norms =
        readCsv(d / "norms.csv", kNormsHeader, 4, r.warnings, {{0, kMaxStep}}, 1, &layers);
    std::size_t b = 0;
    for (std::size_t k = 0; k < norms.size(); ++k) {
        const auto step = static_cast<std::int64_t>(norms[k][0]);
        while (b < r.batches.size() && r.batches[b].step < step)
            ++b;
        if (b == r.batches.size()) break;
        if (r.batches[b].step != step) continue;  // its batch line was lost
        r.batches[b].norms.push_back({layers[k], norms[k][2], norms[k][3]});
    }
    return r;
}

RunData loadRun(const std::string& dir) {
    return guardFs(strCat("cannot read run '", dir, "'"), [&] { return loadRunUnguarded(dir); });
}

std::vector<std::string> listRuns(const std::string& root) {
    std::vector<std::string> out;
    std::error_code ec;
    if (!fs::exists(fs::path(root) / "config.json", ec) && !foreignRunKind(root).empty())
        out.push_back(root);  // a log folder given itself
    for (fs::directory_iterator it(root, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e1, e2;
        if (!it->is_directory(e1)) continue;
        const std::string dir = it->path().string();
        if (!fs::exists(it->path() / "config.json", e2) && !foreignRunKind(dir).empty()) {
            out.push_back(dir);  // another tool's log: read, never cleaned up
            continue;
        }
        // What a killed run left: a checkpoint half-written, or the config of a run killed while
        // it was being created.
        removeStaleTempFiles(dir);
        if (fs::exists(it->path() / "config.json", e2)) out.push_back(dir);
    }
    std::sort(out.begin(), out.end());
    return out;
}

std::string renameRun(const std::string& dir, const std::string& newName) {
    if (newName.empty() || newName.find('/') != std::string::npos || newName == "." ||
        newName == "..")
        throw UsageError(strCat("invalid run name '", newName, "'"));
    return guardFs(strCat("cannot rename run '", dir, "'"), [&] {
        if (!fs::exists(fs::path(dir) / "config.json"))
            throw DataError(strCat("'", dir, "' is not a LayerLens run: not renamed (logs of ",
                                   "other tools are only read)"));
        const fs::path target = fs::path(dir).parent_path() / newName;
        if (fs::exists(target))
            throw DataError(strCat("a run named '", newName, "' already exists"));
        fs::rename(dir, target);
        return target.string();
    });
}

void deleteRun(const std::string& dir) {
    guardFs(strCat("cannot delete run '", dir, "'"), [&] {
        if (!fs::exists(fs::path(dir) / "config.json"))
            throw DataError(strCat("'", dir, "' is not a LayerLens run: not deleted"));
        fs::remove_all(dir);
    });
}

}  // namespace ll
