#pragma once
// RunController: the run lifecycle, without widgets. It owns the training worker and its thread,
// the run state machine, each run's folder (settings, log, final checkpoint) and the experiment
// queue. MainWindow lays out, wires and shows; the tests drive this object headless with
// QSignalSpy.
//
//   Idle ──load──▶ Loading ──modelReady──▶ Ready ──train──▶ Training ⇄ Paused
//     ▲               │ setupFailed: back to Idle or Ready    │ stop      │ stop
//     │               ▼ (the worker keeps its model)          ▼           ▼
//     └──────────── (no model)          Ready ◀── finished ── Stopping ◀──┘
//
// A run that ends by itself goes from Training to Ready. quit() is a path from every state: it
// stops a run within one batch, saves its final checkpoint and log (or deletes its folder),
// joins the thread and leaves the controller Closed, where every request is ignored and the
// worker is never touched again.

#include <QElapsedTimer>
#include <QObject>
#include <QStringList>
#include <QThread>
#include <functional>
#include <memory>
#include <utility>
#include <vector>

#include "core/runs.h"
#include "ui/snapshots.h"
#include "ui/training_worker.h"

namespace ll::ui {

class RunController : public QObject {
    Q_OBJECT
public:
    enum class State { Idle, Loading, Ready, Training, Paused, Stopping, Closed };
    Q_ENUM(State)
    enum class QuitMode { Save, Discard };

    /// Starts the worker thread. Runs are saved under runsRoot.
    explicit RunController(QObject* parent = nullptr);
    /// quit(Save) unless done.
    ~RunController() override;

    State state() const { return m_state; }
    static QString stateName(State s);
    /// A run was asked for and has not ended: Training, Paused or Stopping.
    bool isRunning() const;
    bool isPaused() const { return m_state == State::Paused; }
    /// A model is loaded in the worker (a load or a run succeeded once).
    bool hasModel() const { return m_hasModel; }
    /// Train can start: a model loaded, none loading, no run going, not closed (a run must not
    /// train what the panel shows before it is known to load).
    bool canTrain() const {
        return m_hasModel && (m_state == State::Idle || m_state == State::Ready);
    }

    void setRunsRoot(const QString& root) { m_runsRoot = root; }
    /// Runs also write a TensorBoard log, in their run folder's tensorboard/ (so `tensorboard
    /// --logdir RUNS_FOLDER` shows every run).
    void setWriteTensorBoard(bool on) { m_writeTensorBoard = on; }
    bool writesTensorBoard() const { return m_writeTensorBoard; }
    const QString& runsRoot() const { return m_runsRoot; }

    /// Loads settings.model with its data in the worker: modelReady (info.setupId ==
    /// settings.setupId), or setupFailed with the worker's model as before. While a run is
    /// going it is queued after the run (the window stops the run first). Refused (false) after
    /// quit.
    bool load(const RunSettings& settings);
    /// Starts a run: its folder <runsRoot>/<runName or model>-<time> holds its settings now, its
    /// metrics as they come and its final weights when it ends. Refused (false) while a run is
    /// going or after quit. runStarted follows when the worker has loaded the model and data,
    /// or runFailed (and the folder of a run that never started is removed).
    bool train(const RunSettings& settings, const QString& runName = {});
    void pauseOrResume();
    /// While paused: one more batch.
    void step();
    /// Stops the run within one batch; its final checkpoint is saved; finished follows.
    void stop();
    void setLearningRate(float lr);
    /// The worker's next inspection (see TrainingWorker::requestInspection); dropped after quit.
    void requestInspection(const InspectRequest& r);
    /// A copy of the worker's net and data (netCopied); dropped after quit.
    void requestNetCopy();
    /// Queues `work` on the worker thread, after everything queued before; dropped after quit.
    void toWorker(std::function<void(TrainingWorker*)> work);

    /// Trains `runs` (settings, run name "<experiment>-<variant>") one after the other, each
    /// saved as a run; variantFinished after each completed one, experimentFinished after the
    /// last. A stopped or failed run ends the experiment.
    bool runExperiment(const QString& name, std::vector<std::pair<RunSettings, QString>> runs);
    /// Plans experiment `name` from the panel's settings (core planExperiment: the panel's seed,
    /// epochs, data folder and subsets; each variant's model, data set and changes) and runs it
    /// as above. A variant with a model of its own gets a file in `modelDir`. Throws UsageError
    /// while a run is going or for an unknown experiment, DataError or ModelError for a variant
    /// that cannot be written or read.
    struct ExperimentPlan {
        QString explain;  // what it shows
        int runs = 0;
        int epochs = 0;  // what the experiment needs (experimentEpochs), 0: the panel's
    };
    ExperimentPlan runExperiment(const QString& name, const RunSettings& panel,
                                 const QString& modelDir);
    const QString& experiment() const { return m_experiment; }

    /// Quit in any state: a run stops within one batch; Save keeps its folder with its log and
    /// final checkpoint, Discard deletes it; the worker thread is joined, everything the worker
    /// sent is delivered (runFinished "stopped" for a run that was going), and the state becomes
    /// Closed. Returns when done; a second call does nothing.
    void quit(QuitMode mode);

    /// Folder of the run being (or last) trained; empty before the first.
    QString currentRunDir() const;
    /// Seconds since the current (or last) run was started.
    double runSeconds() const { return m_runClock.isValid() ? m_runClock.elapsed() / 1000.0 : 0; }
    const EpochReport& lastEpoch() const { return m_lastEpoch; }
    /// The last batch of the current (or last) run.
    const BatchReport& lastBatch() const { return m_lastBatch; }
    const ModelInfo& modelInfo() const { return m_info; }

signals:
    void stateChanged(ll::ui::RunController::State state);
    void modelReady(const ll::ui::ModelInfo& info);
    void setupFailed(int setupId, const QString& message);
    /// Before setupFailed: the model failed for want of an input size (TrainingWorker).
    void inputSizeNeeded(const QString& model);
    /// The worker loaded the run's model and data and trains: its curves start now.
    void runStarted(const QString& runDir);
    void batches(const ll::ui::BatchPoints& points);
    /// At most five times a second while a run trains, when a batch came since: the last batch,
    /// the run's epochs and the seconds it has left at its pace so far (-1: not known yet).
    /// Every repaint it causes costs the training threads, hence the rate.
    void progress(const ll::BatchReport& last, int epochs, double secondsLeft);
    void evaluated(const ll::EvalReport& report);
    void epochDone(const ll::EpochReport& report);
    void inspected(const ll::ui::InspectSnapshot& snapshot);
    void confusion(const ll::ui::ConfusionSnapshot& snapshot);
    void histograms(const ll::ui::HistogramSnapshot& snapshot);
    /// "completed", "stopped" or "failed" (after runFailed).
    void runFinished(const QString& how);
    void runFailed(const QString& message);
    /// A problem outside a run (checkpoint, inspection, the run's folder).
    void failed(const QString& message);
    void message(const QString& text);
    void foldChecked(const QString& title, const QStringList& lines, const QString& error);
    void modelIdentitiesChecked(const ll::ui::ModelIdentities& result);
    void netCopied(const ll::ui::NetCopy& copy);
    /// A variant of the experiment completed (before the next one is queued).
    void variantFinished(const QString& variant, const QString& runDir);
    void experimentFinished(const QString& name, const QStringList& runDirs);

protected:
    /// Takes over what the other thread handed over with a queued call or signal
    /// (thread_handoff.h).
    bool event(QEvent* e) override;

private:
    void setState(State s);
    State idleState() const { return m_hasModel ? State::Ready : State::Idle; }
    void onStarted();
    void onFinished(const QString& how);
    void onRunFailed(const QString& message);
    void startNextQueued();

    QThread m_thread;
    TrainingWorker* m_worker = nullptr;  // null once the thread is joined
    State m_state = State::Idle;
    bool m_hasModel = false;
    bool m_quitting = false;
    bool m_runStarted = false;  // the worker said started for the current run
    int m_loadsInFlight = 0;
    bool m_writeTensorBoard = false;
    QString m_runsRoot;
    std::unique_ptr<RunLog> m_runLog;
    QString m_lastRunDir;
    ModelInfo m_info;
    EpochReport m_lastEpoch;
    QElapsedTimer m_runClock;
    int m_runEpochs = 0;
    BatchReport m_lastBatch;
    bool m_progressDue = false;                            // a batch came since the last progress
    std::vector<std::pair<RunSettings, QString>> m_queue;  // experiment runs still to train
    QString m_experiment;
    QString m_variant;
    QStringList m_experimentRuns;
};

}  // namespace ll::ui
