#include "core/foreign_runs.h"

#include <algorithm>
#include <cctype>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <map>

#include "core/data/size_check.h"
#include "core/error.h"
#include "core/tfevents.h"

namespace ll {

namespace fs = std::filesystem;

namespace {

// The mapping table: which tag or column names mean which LayerLens curve, best first. Names are
// compared lower-cased. Sources:
//   Lightning's CSVLogger: whatever self.log() was given, with "_step" / "_epoch" suffixes when
//     a metric is logged both per step and per epoch (train_loss_step, train_loss_epoch);
//     LearningRateMonitor writes "lr-<Optimizer>" (lr-SGD, lr-Adam/pg1) -- matched by prefix.
//   Keras' CSVLogger: loss, accuracy (acc before TF 2), val_loss, val_accuracy, lr /
//     learning_rate (with a schedule callback).
//   TensorBoard: PyTorch SummaryWriter tags as users write them (Loss/train, train/loss,
//     Accuracy/test ...); Keras' TensorBoard callback writes epoch_loss, epoch_accuracy,
//     epoch_learning_rate, batch_loss ... in train/ and validation/ sub-folders; the reader
//     prefixes the validation folder's tags with "val_" (val_epoch_loss).
// A per-step name ranks before the per-epoch name of the same metric: the finer curve is drawn.
struct CurveNames {
    Curve curve;
    std::vector<const char*> names;
};

const std::vector<CurveNames>& curveTable() {
    static const std::vector<CurveNames> t = {
        {Curve::Loss,
         {"train_loss_step", "batch_loss", "train_loss", "train/loss", "loss/train",
          "training_loss", "training/loss", "loss/training", "loss", "epoch_loss",
          "train_loss_epoch"}},
        {Curve::Accuracy,
         {"train_acc_step", "train_accuracy_step", "batch_accuracy", "batch_acc", "train_acc",
          "train_accuracy", "train/acc", "train/accuracy", "acc/train", "accuracy/train",
          "training_accuracy", "training/accuracy", "accuracy", "acc", "epoch_accuracy",
          "epoch_acc", "train_acc_epoch", "train_accuracy_epoch"}},
        {Curve::TestLoss,
         {"val_loss_step", "val_loss", "val/loss", "loss/val", "validation_loss", "validation/loss",
          "loss/validation", "valid_loss", "test_loss", "test/loss", "loss/test", "eval_loss",
          "eval/loss", "val_epoch_loss", "val_loss_epoch"}},
        {Curve::TestAccuracy,
         {"val_acc_step",
          "val_accuracy_step",
          "val_acc",
          "val_accuracy",
          "val/acc",
          "val/accuracy",
          "acc/val",
          "accuracy/val",
          "validation_accuracy",
          "validation/accuracy",
          "accuracy/validation",
          "valid_acc",
          "test_acc",
          "test_accuracy",
          "test/acc",
          "test/accuracy",
          "acc/test",
          "accuracy/test",
          "eval_accuracy",
          "eval/accuracy",
          "val_epoch_accuracy",
          "val_epoch_acc",
          "val_acc_epoch",
          "val_accuracy_epoch"}},
        {Curve::LearningRate,
         {"lr", "learning_rate", "train/lr", "lr/train", "train/learning_rate", "epoch_lr",
          "epoch_learning_rate", "batch_lr", "batch_learning_rate"}},
    };
    return t;
}

std::string lower(std::string s) {
    for (char& c : s)
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    return s;
}

// A whole number in [0, 2^53] (a step or an epoch: every such integer is a double).
bool wholeCount(double v) {
    return std::isfinite(v) && v >= 0 && v <= 9007199254740992.0 && v == std::floor(v);
}

// The whole cell as a number ("nan" and "inf", which Keras writes for a diverged loss, included).
bool parseNumber(const std::string& cell, double& v) {
    if (cell.empty() || std::isspace(static_cast<unsigned char>(cell[0]))) return false;
    char* end = nullptr;
    v = std::strtod(cell.c_str(), &end);
    return end == cell.c_str() + cell.size();
}

// One CSV line into cells; a cell may be quoted ("a,b", "" for a quote), as Python's csv module
// writes a name with a comma. A trailing '\r' (Windows line ends) is dropped.
std::vector<std::string> splitCsv(std::string line) {
    if (!line.empty() && line.back() == '\r') line.pop_back();
    std::vector<std::string> cells(1);
    bool quoted = false;
    for (std::size_t i = 0; i < line.size(); ++i) {
        const char c = line[i];
        if (quoted) {
            if (c == '"' && i + 1 < line.size() && line[i + 1] == '"') {
                cells.back() += '"';
                ++i;
            } else if (c == '"') {
                quoted = false;
            } else {
                cells.back() += c;
            }
        } else if (c == '"') {
            quoted = true;
        } else if (c == ',') {
            cells.emplace_back();
        } else {
            cells.back() += c;
        }
    }
    return cells;
}

// The complete lines of a text file with their 1-based numbers; a last line without its newline
// (a logger still writing, or killed) is dropped with a warning.
std::vector<std::pair<int, std::string>> readLines(const fs::path& p,
                                                   std::vector<std::string>& warnings) {
    std::error_code ec;
    const auto size = fs::file_size(p, ec);
    if (ec) throw DataError(strCat("cannot read '", p.string(), "': ", ec.message()));
    requireBudget(size, p.filename().string());
    std::ifstream in(p, std::ios::binary);
    if (!in) throw DataError(strCat("cannot read '", p.string(), "'"));
    const std::string text((std::istreambuf_iterator<char>(in)), {});
    std::vector<std::pair<int, std::string>> lines;
    std::size_t pos = 0;
    int lineNo = 0;
    while (pos < text.size()) {
        const std::size_t end = text.find('\n', pos);
        ++lineNo;
        if (end == std::string::npos) {
            warnings.push_back(strCat(p.filename().string(), ": line ", lineNo,
                                      " cut short (still being written?), ignored"));
            break;
        }
        lines.emplace_back(lineNo, text.substr(pos, end - pos));
        pos = end + 1;
    }
    return lines;
}

// The first line of a file (up to 64 kB), without its line end.
std::string firstLine(const fs::path& p) {
    std::ifstream in(p, std::ios::binary);
    std::string line;
    char c;
    while (line.size() < 65536 && in.get(c) && c != '\n')
        line += c;
    if (!line.empty() && line.back() == '\r') line.pop_back();
    return line;
}

bool hasColumn(const std::vector<std::string>& header, const char* name) {
    return std::find(header.begin(), header.end(), name) != header.end();
}

// Lightning: metrics.csv with a step column.
bool isLightningCsv(const fs::path& p) {
    std::error_code ec;
    return fs::is_regular_file(p, ec) && hasColumn(splitCsv(firstLine(p)), "step");
}

// Keras: a .csv or .log file whose first column is "epoch" and which has a metric column.
fs::path findKerasCsv(const fs::path& dir) {
    std::vector<fs::path> found;
    std::error_code ec;
    for (fs::directory_iterator it(dir, ec), end; !ec && it != end; it.increment(ec)) {
        std::error_code e1;
        const fs::path& p = it->path();
        const std::string ext = p.extension().string();
        if (!it->is_regular_file(e1) || (ext != ".csv" && ext != ".log")) continue;
        const auto header = splitCsv(firstLine(p));
        if (header.size() < 2 || header[0] != "epoch" || hasColumn(header, "step")) continue;
        if (std::any_of(header.begin() + 1, header.end(),
                        [](const std::string& h) { return curveForName(h).has_value(); }))
            found.push_back(p);
    }
    std::sort(found.begin(), found.end());
    return found.empty() ? fs::path() : found.front();
}

// TensorBoard: the event files of a run folder, by name (their names start with the time the
// writer opened them), with the prefix their tags get. Keras' TensorBoard callback writes one run
// as train/ and validation/ (TF Estimator: eval/) folders: the latter's tags become "val_<tag>".
std::vector<std::pair<fs::path, std::string>> eventFiles(const fs::path& dir) {
    std::vector<std::pair<fs::path, std::string>> files;
    const auto scan = [&](const fs::path& d, const std::string& prefix) {
        std::vector<fs::path> found;
        std::error_code ec;
        for (fs::directory_iterator it(d, ec), end; !ec && it != end; it.increment(ec)) {
            std::error_code e1;
            if (it->is_regular_file(e1) &&
                it->path().filename().string().rfind("events.out.tfevents.", 0) == 0)
                found.push_back(it->path());
        }
        std::sort(found.begin(), found.end());
        for (const fs::path& p : found)
            files.emplace_back(p, prefix);
    };
    scan(dir, "");
    scan(dir / "train", "");
    scan(dir / "validation", "val_");
    scan(dir / "eval", "val_");
    return files;
}

// What a reader collects: the points of every numeric column or tag, by its name.
struct Collected {
    std::map<std::string, std::vector<std::pair<std::int64_t, double>>> sources;
    std::vector<std::string> order;           // source names in the order first met
    std::map<std::int64_t, int> epochOfStep;  // Lightning's epoch column

    void add(const std::string& name, std::int64_t step, double v) {
        auto [it, fresh] = sources.try_emplace(name);
        if (fresh) order.push_back(name);
        it->second.emplace_back(step, v);
    }
};

// Per-layer norms as `layerlens train --tensorboard` writes them ("grad_norm/<layer>",
// "weight_norm/<layer>"): taken out of `c` into norms[step], layers in the order first met, so
// the gradient-norm views work on such a log.
std::map<std::int64_t, std::vector<LayerNorms>> takeLayerNorms(Collected& c) {
    std::map<std::int64_t, std::vector<LayerNorms>> norms;
    for (const std::string& name : c.order) {
        const bool grad = name.rfind("grad_norm/", 0) == 0;
        const bool weight = name.rfind("weight_norm/", 0) == 0;
        if (!grad && !weight) continue;
        const std::string layer = name.substr(grad ? 10 : 12);
        if (layer.empty()) continue;
        for (const auto& [step, v] : c.sources[name]) {
            std::vector<LayerNorms>& at = norms[step];
            auto it = std::find_if(at.begin(), at.end(),
                                   [&](const LayerNorms& n) { return n.layer == layer; });
            if (it == at.end()) {
                at.push_back({layer, std::nan(""), std::nan("")});
                it = at.end() - 1;
            }
            (grad ? it->gradNorm : it->weightNorm) = v;
        }
        c.sources.erase(name);
    }
    return norms;
}

// Picks the best source of each curve, turns accuracies logged in percent into fractions, and
// makes the batches and evals the window and the CLI draw.
void finish(RunData& r, Collected& c, const TagMapping& mapping) {
    const std::map<std::int64_t, std::vector<LayerNorms>> norms = takeLayerNorms(c);
    std::map<Curve, std::pair<int, std::string>> best;  // curve -> (rank, source)
    for (const auto& [name, points] : c.sources) {
        const auto m = curveForName(name, mapping);
        if (!m) {
            r.unmapped.push_back(name);
            continue;
        }
        auto it = best.find(m->first);
        if (it == best.end()) {
            best[m->first] = {m->second, name};
        } else if (m->second < it->second.first) {
            r.unmapped.push_back(it->second.second);
            it->second = {m->second, name};
        } else {
            r.unmapped.push_back(name);
        }
    }
    for (const auto& [curve, source] : best) {
        CurvePoints cp;
        cp.curve = curve;
        cp.source = source.second;
        cp.points = std::move(c.sources[source.second]);
        std::stable_sort(cp.points.begin(), cp.points.end(),
                         [](const auto& a, const auto& b) { return a.first < b.first; });
        if (curve == Curve::Accuracy || curve == Curve::TestAccuracy) {
            double max = 0;
            for (const auto& p : cp.points)
                if (std::isfinite(p.second)) max = std::max(max, p.second);
            if (max > 1 && max <= 100) {
                for (auto& p : cp.points)
                    p.second /= 100;
                r.warnings.push_back(strCat("'", cp.source, "' reads as a percentage (up to ", max,
                                            "): divided by 100"));
            }
        }
        r.curves.push_back(std::move(cp));
    }
    const auto epochOf = [&](std::int64_t step) {
        const auto it = c.epochOfStep.find(step);
        return it == c.epochOfStep.end() ? 0 : it->second;
    };
    std::map<std::int64_t, BatchReport> batches;
    std::map<std::int64_t, EvalReport> evals;
    const CurvePoints* lr = nullptr;
    for (const CurvePoints& cp : r.curves) {
        if (cp.curve == Curve::LearningRate) lr = &cp;
        for (const auto& [step, v] : cp.points) {
            if (cp.curve == Curve::Loss || cp.curve == Curve::Accuracy) {
                auto [it, fresh] = batches.try_emplace(step);
                BatchReport& b = it->second;
                if (fresh) {
                    b.step = step;
                    b.epoch = epochOf(step);
                    b.loss = b.accuracy = std::nan("");
                    b.lr = std::nanf("");
                }
                (cp.curve == Curve::Loss ? b.loss : b.accuracy) = v;
            } else if (cp.curve == Curve::TestLoss || cp.curve == Curve::TestAccuracy) {
                auto [it, fresh] = evals.try_emplace(step);
                EvalReport& e = it->second;
                if (fresh) {
                    e.step = step;
                    e.epoch = epochOf(step);
                    e.loss = e.accuracy = std::nan("");
                }
                (cp.curve == Curve::TestLoss ? e.loss : e.accuracy) = v;
            }
        }
    }
    // The learning rate in effect at each batch: the last one logged at or before its step.
    std::size_t k = 0;
    double current = std::nan("");
    for (auto& [step, b] : batches) {
        while (lr && k < lr->points.size() && lr->points[k].first <= step)
            current = lr->points[k++].second;
        b.lr = std::isfinite(current) && std::fabs(current) <= 3.4e38 ? static_cast<float>(current)
                                                                      : std::nanf("");
        const auto n = norms.find(step);
        if (n != norms.end()) b.norms = n->second;
        r.batches.push_back(b);
    }
    for (auto& [step, e] : evals)
        r.evals.push_back(e);
}

// One CSV row's metric cells at `step`: each number joins its column's source; a cell that is
// not a number is a warning naming the file, line and column. Blank cells and the columns in
// `skip` (step, epoch) are passed over.
void addMetricCells(const std::string& name, int lineNo, const std::vector<std::string>& header,
                    const std::vector<std::string>& cells, std::initializer_list<int> skip,
                    std::int64_t step, RunData& r, Collected& c) {
    for (std::size_t k = 0; k < cells.size(); ++k) {
        if (cells[k].empty() ||
            std::find(skip.begin(), skip.end(), static_cast<int>(k)) != skip.end())
            continue;
        double v = 0;
        if (!parseNumber(cells[k], v)) {
            r.warnings.push_back(strCat(name, ": line ", lineNo, ": '", cells[k], "' in column '",
                                        header[k], "' is not a number, ignored"));
            continue;
        }
        c.add(header[k], step, v);
    }
}

void readLightning(const fs::path& file, RunData& r, Collected& c) {
    const std::string name = file.filename().string();
    const auto lines = readLines(file, r.warnings);
    if (lines.empty()) return;
    const std::vector<std::string> header = splitCsv(lines[0].second);
    const auto column = [&](const char* n) {
        const auto it = std::find(header.begin(), header.end(), n);
        return it == header.end() ? -1 : static_cast<int>(it - header.begin());
    };
    const int stepCol = column("step"), epochCol = column("epoch");
    if (stepCol < 0) throw DataError(strCat("'", file.string(), "' has no step column"));
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto& [lineNo, line] = lines[i];
        const std::vector<std::string> cells = splitCsv(line);
        if (cells.size() == 1 && cells[0].empty()) continue;  // a blank line
        double step = 0, epoch = 0;
        if (cells.size() != header.size() || !parseNumber(cells[stepCol], step) ||
            !wholeCount(step) ||
            (epochCol >= 0 && !cells[epochCol].empty() &&
             (!parseNumber(cells[epochCol], epoch) || !wholeCount(epoch) ||
              epoch > 2147483647.0))) {
            r.warnings.push_back(strCat(name, ": line ", lineNo,
                                        " is malformed (cell count, step or epoch), ignored"));
            continue;
        }
        const auto s = static_cast<std::int64_t>(step);
        if (epochCol >= 0 && !cells[epochCol].empty()) c.epochOfStep[s] = static_cast<int>(epoch);
        addMetricCells(name, lineNo, header, cells, {stepCol, epochCol}, s, r, c);
    }
}

void readKeras(const fs::path& file, RunData& r, Collected& c) {
    const std::string name = file.filename().string();
    const auto lines = readLines(file, r.warnings);
    if (lines.empty()) return;
    const std::vector<std::string> header = splitCsv(lines[0].second);
    for (std::size_t i = 1; i < lines.size(); ++i) {
        const auto& [lineNo, line] = lines[i];
        const std::vector<std::string> cells = splitCsv(line);
        if (cells.size() == 1 && cells[0].empty()) continue;
        double epoch = 0;
        if (cells.size() != header.size() || !parseNumber(cells[0], epoch) || !wholeCount(epoch) ||
            epoch >= 2147483647.0) {
            r.warnings.push_back(
                strCat(name, ": line ", lineNo, " is malformed (cell count or epoch), ignored"));
            continue;
        }
        const auto s = static_cast<std::int64_t>(epoch);
        c.epochOfStep[s] = static_cast<int>(epoch) + 1;  // LayerLens counts epochs from 1
        addMetricCells(name, lineNo, header, cells, {0}, s, r, c);
    }
}

// Keras logs one row per epoch: the epoch table too.
void kerasEpochs(RunData& r) {
    std::map<std::int64_t, EpochReport> epochs;
    for (const CurvePoints& cp : r.curves) {
        for (const auto& [step, v] : cp.points) {
            auto [it, fresh] = epochs.try_emplace(step);
            EpochReport& e = it->second;
            if (fresh) {
                e.epoch = static_cast<int>(step) + 1;
                e.trainLoss = e.trainAccuracy = e.testLoss = e.testAccuracy = std::nan("");
                e.seconds = e.imagesPerSecond = std::nan("");
            }
            switch (cp.curve) {
                case Curve::Loss:
                    e.trainLoss = v;
                    break;
                case Curve::Accuracy:
                    e.trainAccuracy = v;
                    break;
                case Curve::TestLoss:
                    e.testLoss = v;
                    break;
                case Curve::TestAccuracy:
                    e.testAccuracy = v;
                    break;
                case Curve::LearningRate:
                    break;
            }
        }
    }
    for (auto& [step, e] : epochs)
        r.epochs.push_back(e);
}

}  // namespace

std::optional<std::pair<Curve, int>> curveForName(const std::string& name) {
    const std::string n = lower(name);
    for (const CurveNames& c : curveTable())
        for (std::size_t k = 0; k < c.names.size(); ++k)
            if (n == c.names[k]) return std::make_pair(c.curve, static_cast<int>(k));
    // Lightning's LearningRateMonitor: lr-SGD, lr-Adam, lr-Adam/pg1 ...
    if (n.rfind("lr-", 0) == 0) return std::make_pair(Curve::LearningRate, 100);
    return std::nullopt;
}

std::optional<std::pair<Curve, int>> curveForName(const std::string& name,
                                                  const TagMapping& mapping) {
    const auto it = mapping.find(lower(name));
    if (it != mapping.end()) return std::make_pair(it->second, -1);
    return curveForName(name);
}

std::string foreignRunKind(const std::string& dir) {
    const fs::path d(dir);
    std::error_code ec;
    if (!fs::is_directory(d, ec)) return "";
    // Ours, even without its config.json (a run killed while it was being created).
    if (fs::exists(d / "config.json", ec) || fs::exists(d / "batches.csv", ec)) return "";
    if (!eventFiles(d).empty()) return "tensorboard";
    if (isLightningCsv(d / "metrics.csv")) return "lightning-csv";
    if (!findKerasCsv(d).empty()) return "keras-csv";
    return "";
}

namespace {

// The kind of `dir`'s log, or DataError.
std::string requireForeignKind(const std::string& dir) {
    const std::string kind = foreignRunKind(dir);
    if (kind.empty())
        throw DataError(strCat("'", dir, "' holds no log LayerLens reads (TensorBoard events, ",
                               "Lightning metrics.csv, Keras CSV)"));
    return kind;
}

// A foreign run before its curves: folder, name (the folder's), kind.
RunData foreignShell(const std::string& dir, const std::string& kind) {
    RunData r;
    r.dir = dir;
    fs::path named = fs::absolute(fs::path(dir)).lexically_normal();
    if (named.filename().empty()) named = named.parent_path();  // "logs/" names "logs"
    r.name = named.filename().string();
    r.configJson = "{}";
    r.kind = kind;
    return r;
}

// The CSV a CSV log's run is read from.
fs::path csvOf(const fs::path& d, const std::string& kind) {
    return kind == "lightning-csv" ? d / "metrics.csv" : findKerasCsv(d);
}

}  // namespace

RunData loadForeignRun(const std::string& dir, const TagMapping& mapping) {
    const std::string kind = requireForeignKind(dir);
    const fs::path d(dir);
    RunData r = foreignShell(dir, kind);
    Collected c;
    if (kind == "tensorboard") {
        for (const auto& [file, prefix] : eventFiles(d)) {
            // Warnings name the file as seen from the run folder (validation/events...).
            std::vector<std::string> w;
            for (const ScalarEvent& s : readEventScalars(file.string(), w))
                c.add(prefix + s.tag, s.step, s.value);
            const std::string shown = file.lexically_relative(d).string();
            for (std::string& line : w)
                r.warnings.push_back(shown + line.substr(file.filename().string().size()));
        }
        finish(r, c, mapping);
    } else if (kind == "lightning-csv") {
        readLightning(csvOf(d, kind), r, c);
        finish(r, c, mapping);
    } else {
        readKeras(csvOf(d, kind), r, c);
        finish(r, c, mapping);
        kerasEpochs(r);
    }
    return r;
}

ForeignRunFollower::ForeignRunFollower(const std::string& dir, TagMapping mapping)
    : m_dir(dir),
      m_kind(requireForeignKind(dir)),
      m_mapping(std::move(mapping)),
      m_run(foreignShell(dir, m_kind)) {
    // Not through poll(): a log that cannot be read now throws, as loading does.
    if (m_kind == "tensorboard") {
        pollEvents();
    } else {
        pollCsv();
    }
}

bool ForeignRunFollower::poll() {
    try {
        return m_kind == "tensorboard" ? pollEvents() : pollCsv();
    } catch (const std::exception&) {
        return false;  // a file half replaced, a disk gone: the next poll tries again
    }
}

bool ForeignRunFollower::pollEvents() {
    const fs::path d(m_dir);
    bool changed = false;
    for (const auto& [file, prefix] : eventFiles(d)) {
        const std::string path = file.string();
        const bool known = std::any_of(m_files.begin(), m_files.end(),
                                       [&](const EventFile& f) { return f.path == path; });
        if (known) continue;
        EventFile f;
        f.path = path;
        f.shown = file.lexically_relative(d).string();
        f.prefix = prefix;
        m_files.push_back(std::move(f));
    }
    for (EventFile& f : m_files) {
        std::error_code ec;
        const std::uint64_t size = fs::file_size(f.path, ec);
        if (ec) continue;  // gone or being replaced: its scalars stay
        if (size < f.offset || (f.lost && size != f.size)) {
            // Shorter than what was read, or rewritten after a lost record: another file now.
            m_warnings.push_back(strCat(f.shown, ": the file changed under its reader (", size,
                                        " bytes, ", f.offset, " read); read again"));
            f.offset = 0;
            f.lost = false;
            f.scalars.clear();
            changed = true;
        }
        f.size = size;
        if (f.lost || size == f.offset) continue;
        const std::uint64_t n = size - f.offset;
        requireBudget(n, f.shown);
        std::ifstream in(f.path, std::ios::binary);
        if (!in) continue;
        in.seekg(static_cast<std::streamoff>(f.offset));
        std::string bytes(static_cast<std::size_t>(n), '\0');
        in.read(bytes.data(), static_cast<std::streamsize>(n));
        bytes.resize(static_cast<std::size_t>(in.gcount()));
        m_bytesRead += bytes.size();
        EventScalars r = parseEventScalarsAt(bytes, f.offset, f.shown, m_warnings, false);
        f.offset += r.consumed;
        f.lost = r.lost;
        if (!r.scalars.empty() || r.lost) changed = true;
        f.scalars.insert(f.scalars.end(), std::make_move_iterator(r.scalars.begin()),
                         std::make_move_iterator(r.scalars.end()));
    }
    if (!changed && !m_run.curves.empty()) return false;
    RunData r = foreignShell(m_dir, m_kind);
    r.warnings = m_warnings;
    for (const EventFile& f : m_files)
        if (!f.lost && f.size > f.offset)
            r.warnings.push_back(strCat(f.shown, ": the last ", f.size - f.offset,
                                        " bytes are a record still being written (or cut short); "
                                        "read when complete"));
    Collected c;
    for (const EventFile& f : m_files)
        for (const ScalarEvent& s : f.scalars)
            c.add(f.prefix + s.tag, s.step, s.value);
    finish(r, c, m_mapping);
    m_run = std::move(r);
    return changed;
}

bool ForeignRunFollower::pollCsv() {
    const fs::path file = csvOf(fs::path(m_dir), m_kind);
    std::error_code ec1, ec2;
    const std::uint64_t size = fs::file_size(file, ec1);
    const auto time = fs::last_write_time(file, ec2);
    if (ec1 || ec2) return false;
    const std::int64_t t = time.time_since_epoch().count();
    // Size and time taken before reading: a rewrite during the read is seen at the next poll.
    if (m_csvRead && size == m_csvSize && t == m_csvTime) return false;
    m_run = loadForeignRun(m_dir, m_mapping);
    m_csvRead = true;
    m_csvSize = size;
    m_csvTime = t;
    m_bytesRead += size;
    return true;
}

}  // namespace ll
