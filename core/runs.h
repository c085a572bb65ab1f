#pragma once
// Saved training runs. A run is a folder holding its configuration (config.json, written
// atomically), its metrics, appended line by line as they come (batches.csv, evals.csv,
// epochs.csv, and norms.csv: the per-layer weight and gradient norms of every batch), and its
// final weights (checkpoint.llck, written atomically when the run ends), so a crash of the app
// loses at most the line being written. Reading tolerates exactly that: a truncated last line is
// ignored with a warning; nothing before it is lost.

#include <cstdint>
#include <fstream>
#include <optional>
#include <string>
#include <vector>

#include "core/data/load.h"
#include "core/trainer.h"

namespace ll {

class RunLog {
public:
    /// Creates root/<name> (root/<name>-2, -3 ... when taken) with config.json.
    static RunLog create(const std::string& root, const std::string& name,
                         const std::string& configJson);
    /// Appends to an existing run folder (a resumed run).
    explicit RunLog(const std::string& dir);

    const std::string& dir() const { return m_dir; }
    void appendBatch(const BatchReport& r);
    void appendEval(const EvalReport& e);
    void appendEpoch(const EpochReport& e);

private:
    std::string m_dir;
    std::ofstream m_batches, m_evals, m_epochs, m_norms;
};

/// The curves a run shows. Foreign logs' tags and columns map onto them (the table in
/// core/foreign_runs.cpp).
enum class Curve { Loss, Accuracy, TestLoss, TestAccuracy, LearningRate };
/// "loss", "accuracy", "test loss", "test accuracy", "learning rate".
const char* curveName(Curve c);

/// One curve of a foreign run as its log has it: (step, value) in step order, accuracies as
/// fractions (0..1, as LayerLens' own runs keep them).
struct CurvePoints {
    Curve curve = Curve::Loss;
    std::string source;  // the tag or column it came from ("train/loss", "val_acc")
    std::vector<std::pair<std::int64_t, double>> points;
};

struct RunData {
    std::string dir, name, configJson;  // configJson: "{}" for a foreign run
    /// "layerlens" (a run folder of ours), or a foreign log read by core/foreign_runs.h:
    /// "tensorboard", "lightning-csv", "keras-csv".
    std::string kind = "layerlens";
    std::vector<BatchReport> batches;  // with their per-layer norms (norms.csv)
    std::vector<EvalReport> evals;
    std::vector<EpochReport> epochs;
    std::vector<std::string> warnings;  // e.g. "batches.csv: last line cut short (crash?), ignored"
    /// Foreign runs only: every mapped curve as read (batches and evals above are made from
    /// them, so foreign runs overlay like ours), and the tags or columns that map to no curve.
    std::vector<CurvePoints> curves;
    std::vector<std::string> unmapped;
};

/// The curves of a run in Curve order, each (step, value) in step order: a foreign run's `curves`;
/// for one of ours, the finite values of its batches (loss, accuracy, learning rate; source
/// "batches.csv") and evals (test loss, test accuracy; "evals.csv"). Curves without a point are
/// left out.
std::vector<CurvePoints> runCurves(const RunData& run);

/// The config.json of a run: `extra` (e.g. experiment and variant) first, then model, model
/// JSON (when given), data and hyper-parameters. Used by `layerlens train`, `layerlens
/// experiment` and the window, so every run folder records the same keys.
/// `trainImages` (when >= 0): how many training images the run really has, so a subset given as a
/// fraction can be asked for again as a count (Same start).
std::string runConfigJson(const std::string& model, const std::string& modelJson,
                          const DataOptions& data, const TrainConfig& config,
                          const std::vector<std::pair<std::string, std::string>>& extra = {},
                          std::int64_t trainImages = -1);

/// A run's settings read back from its config.json (the keys runConfigJson writes), for Same
/// start and Open run. What a config does not record (an older run) is left unset.
struct RunConfig {
    std::string model = "lenet5";  // a preset name or a model file
    std::string modelJson;         // the model's document, when the run recorded it
    std::string dataset;           // empty when not recorded
    int seed = 1;
    std::optional<int> batch, epochs;
    std::optional<double> labelNoise;
    /// The training images as a count (0: all). A fraction (random labels: 10%) is the count
    /// it gave, recorded when the run started; unset when that count was not recorded.
    std::optional<int> trainSubset;
    struct Training {
        std::string optimizer, loss;  // loss empty: the model's
        double lr = 0, momentum = 0.9, weightDecay = 0;
        LrSchedule lrSchedule;  // constant for runs from before schedules
    };
    std::optional<Training> training;  // set when the optimizer and learning rate were recorded
};
/// Throws DataError when `configJson` is not a JSON object or holds a value of the wrong type.
RunConfig readRunConfig(const std::string& configJson);

/// The final checkpoint of a run folder.
std::string runCheckpointPath(const std::string& dir);

/// Reads a run folder: one of ours (config.json), else a foreign log folder (TensorBoard events,
/// a Lightning or Keras CSV: core/foreign_runs.h), which is only read, never written. Throws
/// DataError when it is neither.
RunData loadRun(const std::string& dir);
/// Run folders under root (ours, holding config.json, and foreign log folders), sorted by name;
/// root itself too when it is a foreign log folder.
std::vector<std::string> listRuns(const std::string& root);
/// Renames a run folder within its parent; throws DataError if the new name is taken or invalid,
/// or the folder is a foreign log (never modified).
std::string renameRun(const std::string& dir, const std::string& newName);
/// Deletes a run folder (it must hold config.json: nothing else is ever deleted).
void deleteRun(const std::string& dir);

}  // namespace ll
