#pragma once
// TrainingWorker: owns the net, the data and the trainer, and lives in its own QThread. The
// window talks to it only through queued slots, the thread-safe TrainControl and
// requestInspection(); it answers with value snapshots (snapshots.h). No exception leaves it:
// failures become failed(message), or runFailed(message) when a run ends on one.

#include <QElapsedTimer>
#include <QObject>
#include <atomic>
#include <memory>
#include <mutex>
#include <optional>

#include "core/data/load.h"
#include "core/net.h"
#include "core/trainer.h"
#include "ui/snapshots.h"

namespace ll::ui {

struct RunSettings {
    QString model = "lenet5";  // preset name or model file
    DataOptions data;          // dataset empty: the model's default
    /// Data already in memory (tests, synthetic data); used instead of data.dir when set.
    std::shared_ptr<const DataPair> preloaded;
    TrainConfig config;
    int inspectEveryMs = 1000;  // live feature-map refresh while training
    /// false: continue from the current weights (after opening a checkpoint) when the model
    /// and data are unchanged.
    bool freshWeights = true;
    /// train(): where the run's final weights go when it ends (completed or stopped), before
    /// finished is emitted; empty: not saved. Skipped after setSaveFinal(false).
    QString finalCheckpoint;
    /// train(): also write the run as a TensorBoard log in this folder (core/tensorboard_log.h,
    /// as `layerlens train --tensorboard`); empty: not. A folder that cannot be written is a
    /// message, and the run goes on without the log.
    QString tensorboardDir;
    /// setup(): echoed in ModelInfo::setupId or setupFailed, so the window knows which of its
    /// requests loaded (0 for the setup a run makes itself).
    int setupId = 0;
};

class TrainingWorker : public QObject {
    Q_OBJECT
public:
    TrainingWorker();
    ~TrainingWorker() override;

    /// Thread-safe: pause, resume, step, stop, learning rate.
    TrainControl& control() { return *m_control; }
    /// Thread-safe: the next inspection to serve (replaces any pending one). Served between
    /// batches while training, from the pause loop while paused, or at once when idle.
    void requestInspection(const InspectRequest& r);
    /// Thread-safe: asks for a copy of the net as it is (netCopied), taken between batches while
    /// training, at once when idle; without a usable net, netCopied carries the reason.
    void requestNetCopy();
    /// Thread-safe: whether the run going (or the next) saves its final checkpoint (quit with
    /// Discard says no).
    void setSaveFinal(bool on) { m_saveFinal = on; }

public slots:
    /// Loads the model and the data; emits modelReady, or setupFailed leaving the model, its
    /// weights and data as they were.
    void setup(const ll::ui::RunSettings& settings);
    /// Trains from freshly initialized weights (settings.config.seed); emits batches, evaluated,
    /// epochDone, then finished or runFailed. The control is not reset here: the caller resets
    /// it before queueing the run, so a stop asked for while the run loads its data stops it.
    void train(const ll::ui::RunSettings& settings);
    /// Serves a pending inspection (queued by requestInspection when no run is going).
    void inspectPending();
    /// Serves a pending net copy (queued by requestNetCopy when no run is going).
    void copyPending();
    /// Between runs: weights, batch-norm statistics, epoch; emit message or failed.
    /// quiet: no message when saved (a run's own final checkpoint).
    void saveCheckpoint(const QString& path, bool quiet = false);
    /// Writes the model with its current weights as an ONNX file (core/onnx/onnx_export.h); the
    /// exporter's warnings come as the message.
    void exportOnnx(const QString& path);
    void loadCheckpoint(const QString& path);
    /// Between runs: the current net against its batch-norm-folded copy on the test set; emits
    /// foldChecked (with an error text when there is nothing to fold or no test set).
    void checkBatchNormFold();
    /// Between runs: the current net against its copy with activations after max-pooling
    /// (transforms.h); emits foldChecked the same way.
    void checkActivationSwap();
    /// Between runs: the model identities (conv_lab.h: batch-norm folding, FC → conv, activations
    /// after max-pooling) of the current net on the first test images; emits
    /// modelIdentitiesChecked.
    void checkModelIdentities();

signals:
    void modelReady(const ll::ui::ModelInfo& info);
    void batches(const ll::ui::BatchPoints& points);
    void evaluated(const ll::EvalReport& report);
    void epochDone(const ll::EpochReport& report);
    void inspected(const ll::ui::InspectSnapshot& snapshot);
    void confusion(const ll::ui::ConfusionSnapshot& snapshot);
    void histograms(const ll::ui::HistogramSnapshot& snapshot);
    void started();
    /// "completed" or "stopped".
    void finished(const QString& how);
    /// A problem outside a run: checkpoint, inspection.
    void failed(const QString& message);
    /// setup(settings) could not load; nothing changed.
    void setupFailed(int setupId, const QString& message);
    /// Just before setupFailed: the model is an ONNX file whose input height or width is
    /// dynamic, so a size given with setOnnxInputSize would load it.
    void inputSizeNeeded(const QString& model);
    /// The run that train() started (or was asked to start) ended on an error.
    void runFailed(const QString& message);
    void message(const QString& text);
    /// A transform's check: its heading, its sentences, or why it could not be made.
    void foldChecked(const QString& title, const QStringList& lines, const QString& error);
    /// The checks with both outputs, and one line per identity ("bn-fold: largest difference
    /// 1.9e-08, holds") then what was not checked and why; or the error.
    void modelIdentitiesChecked(const ll::ui::ModelIdentities& result);
    void netCopied(const ll::ui::NetCopy& copy);

protected:
    /// Takes over what the other thread handed over with a queued call or signal
    /// (thread_handoff.h).
    bool event(QEvent* e) override;

private:
    template <typename Check>
    void reportTransformCheck(const char* heading, Check check);
    class Observer;
    void ensureSetup(const RunSettings& s, bool keepWeights);
    void serveInspection(bool force);
    void serveNetCopy();
    void computeConfusion(int epoch);
    void computeHistograms(std::int64_t step);

    std::unique_ptr<TrainControl> m_control;
    std::unique_ptr<Net> m_net;
    std::shared_ptr<const DataPair> m_data;
    QString m_loadedModel;
    DataOptions m_loadedData;
    std::string m_inputsOnly;  // why the loaded model is shown on random images (empty: it is not)
    bool m_running = false;
    std::atomic<bool> m_saveFinal{true};
    std::mutex m_mutex;
    std::optional<InspectRequest> m_pending;
    InspectRequest m_last;  // re-served live while training
    bool m_haveLast = false;
    QElapsedTimer m_sinceInspect;
    QElapsedTimer m_sinceHistograms;
    int m_inspectEveryMs = 250;
    BatchOptions m_batchOptions;
    int m_epochsDone = 0;
    std::int64_t m_steps = 0;
    std::int64_t m_liveStep = -1;  // the step of the run going (-1: none)
    int m_weightLoads = 0;         // counts new weights (setup, checkpoint, run): NetCopy::key
    std::atomic<bool> m_copyPending{false};
};

}  // namespace ll::ui

Q_DECLARE_METATYPE(ll::ui::RunSettings)
