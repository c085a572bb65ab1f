#pragma once
// SetupSession: the setup panel's changes as transactions. A model, data set or folder change is
// sent to the worker as a setup with an id and applied when it loads (modelReady): only then is
// it what the window stands on, remembered (last data folder) and added to Recent files. When it
// fails (setupFailed), the panel goes back to the last setup that loaded, so model, weights,
// curves and panel are exactly as before. Several changes in a row make one setup.

#include <QObject>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/runs.h"
#include "ui/setup_panel.h"
#include "ui/training_worker.h"

namespace ll::ui {

class RunController;

class SetupSession : public QObject {
    Q_OBJECT
public:
    /// Follows `panel`'s changes and `run`'s modelReady / setupFailed. `mayStopRun` is asked
    /// before a change stops the run that is going (false: the panel goes back).
    SetupSession(SetupPanel* panel, RunController* run, std::function<bool()> mayStopRun,
                 QObject* parent = nullptr);

    /// The panel's settings, with the data in memory and whether to continue from the weights
    /// loaded (a checkpoint, an opened run) instead of fresh ones.
    RunSettings settings() const;
    /// Loads the panel's model and data (or `preloaded` data), after the events of this turn:
    /// several changes in a row make one setup.
    void load(std::shared_ptr<const DataPair> preloaded = nullptr);
    /// Data in memory used instead of the data folder until the data set or folder changes.
    void setPreloaded(std::shared_ptr<const DataPair> pair) { m_preloaded = std::move(pair); }
    /// The next run continues from the weights the worker holds (a checkpoint, an opened run).
    void setContinue(bool on) { m_continue = on; }
    /// Queues `work` on the worker, after the setup load() scheduled (it is for that net).
    void toWorker(std::function<void(TrainingWorker*)> work);
    /// A run or experiment starts: it loads its own model and data, so a scheduled setup is
    /// dropped.
    void dropPending() { m_pending = false; }
    /// Opens a model file (File > Open, Recent files): it joins Recent files when it loads (at
    /// once when it is the model loaded already).
    void openModelFile(const QString& path);
    /// Same start: the panel set up as saved run `runDir` was (model, data set, seed, batch,
    /// epochs, subset, label noise, optimizer), so the next run starts from the same weights and
    /// data order. A model that was never a file (an experiment's variant) is written from the
    /// run's record into its folder. Returns the notice to show; throws DataError.
    QString sameStartAs(const QString& runDir);
    /// Open run: as sameStartAs, then its final weights into the worker, when it has them (Train
    /// continues from them). Returns the notice to show; throws DataError.
    QString openRun(const QString& runDir);
    /// A data set downloaded into `dir`: chosen in the panel and loaded. Returns the notice.
    QString useDownloaded(const QString& dataset, const QString& dir);
    /// Opens ONNX model `model`, whose input height and width are dynamic, at `answer` ("HxW",
    /// parseInputSize), the size every such model then gets. Returns the notice; throws
    /// UsageError for an answer that is not a size.
    QString openAtInputSize(const QString& model, const QString& answer);
    /// The size given last (offered next time).
    const QString& lastInputSize() const { return m_lastInputSize; }
    /// The panel as the last window left it: its data folder and model, when still there.
    void restoreLast();
    /// Remembers what loaded last (never a model or folder that failed) for restoreLast.
    void rememberLast() const;

signals:
    /// load() was called: a setup is on its way (the window clears a problem it showed).
    void loadRequested();
    /// A file opened with openModelFile loaded (or was loaded already): for Recent files.
    void fileLoaded(const QString& path);

private:
    void flush();
    /// Back to the panel of the last setup that loaded.
    void restore();
    void onModelReady(const ModelInfo& info);
    void onSetupFailed(int id);
    /// The panel as `run` was set up; returns "model M, seed S".
    QString applyRun(const RunData& run);

    SetupPanel* m_panel;
    RunController* m_run;
    std::function<bool()> m_mayStopRun;
    bool m_pending = false;  // load() scheduled a setup
    std::shared_ptr<const DataPair> m_preloaded;
    bool m_continue = false;
    struct Sent {
        SetupPanel::State panel;
        std::shared_ptr<const DataPair> preloaded;
        bool continueWeights = false;
        QString file;  // opened with openModelFile: joins Recent files when it loads
    };
    std::map<int, Sent> m_sent;  // by RunSettings::setupId
    std::optional<Sent> m_committed;
    int m_nextId = 1;
    QString m_file;  // openModelFile's, for the next setup
    QString m_lastInputSize = "224x224";
};

}  // namespace ll::ui
