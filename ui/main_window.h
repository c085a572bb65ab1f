#pragma once
// The main window: setup dock, Training / Layers / Cost tabs, menus, status bar. It owns the
// worker thread; closing the window stops training within one batch, then quits and joins the
// thread. Failures from the worker show in a banner, never as a crash.

#include <QElapsedTimer>
#include <QMainWindow>
#include <QThread>
#include <atomic>
#include <functional>
#include <memory>

#include "core/runs.h"
#include "ui/snapshots.h"
#include "ui/training_worker.h"

class QLabel;
class QMenu;
class QTabWidget;

namespace ll::ui {

class CostView;
class InsightView;
class ExperimentView;
class RunsPanel;
class LayersView;
class SetupPanel;
class TrainingView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override;

    /// Loads the setup's model and data (as the panel shows them), or uses `preloaded` data.
    void loadSetup(std::shared_ptr<const DataPair> preloaded = nullptr);
    /// Data in memory (tests, generated data) used instead of the data folder until the data
    /// set or folder is changed in the setup panel.
    void setPreloadedData(std::shared_ptr<const DataPair> pair) { m_preloaded = std::move(pair); }
    void startTraining();
    void pauseOrResume();
    void stepOnce();
    void stopTraining();
    /// Runs the variants of a course experiment one after the other from the same start, each
    /// saved as a run; when all are done they are overlaid and experimentFinished is emitted.
    void runExperiment(const QString& name);
    /// Sets the panel to the model, data set, seed, batch size, epochs, training subset and
    /// label noise of a saved run, so the next run starts from the same initial weights and data
    /// order.
    void sameStartAs(const QString& runDir);
    /// Opens a saved run: its settings into the panel (as sameStartAs), its final weights into
    /// the worker (Layers and Insight show the trained net; Train continues from it) and its
    /// curves overlaid.
    void openRun(const QString& runDir);
    /// The current model against its batch-norm-folded copy, shown in the Experiment tab.
    void checkBatchNormFolding();
    /// Stops the worker and joins its thread (closing does this too). Returns within ~1 batch.
    void shutdown();
    /// When false, changing model or data while training stops it without asking (tests).
    void setConfirmStop(bool on) { m_confirmStop = on; }
    /// An informational banner (not an error), e.g. "training on synthetic digits because...".
    void showNotice(const QString& text);
    /// Downloads MNIST or CIFAR-10 into the app's data folder (or `baseUrl`'s mirror) with a
    /// progress dialog and Cancel, then selects it. Emits downloadFinished(ok).
    void downloadData(const QString& dataset, const QString& baseUrl = {});

    bool isTraining() const { return m_running; }
    SetupPanel* setup() const { return m_setup; }
    TrainingView* trainingView() const { return m_training; }
    LayersView* layersView() const { return m_layers; }
    CostView* costView() const { return m_cost; }
    RunsPanel* runsPanel() const { return m_runs; }
    InsightView* insightView() const { return m_insight; }
    ExperimentView* experimentView() const { return m_experimentView; }
    /// Folder of the run being (or last) trained; every run is saved as it goes.
    QString currentRunDir() const;
    QTabWidget* tabs() const { return m_tabs; }
    const QString& lastError() const { return m_lastError; }
    /// The banner's text (notice or problem) as shown.
    QString bannerText() const;
    const ModelInfo& modelInfo() const { return m_info; }
    int snapshotsReceived() const { return m_snapshots; }
    QString metricsCsv() const;

signals:
    void runFinished(const QString& how);
    /// One line per finished epoch ("epoch 1: training loss ..."), also shown in the status bar.
    void epochReported(const QString& line);
    void modelLoaded();
    /// Every problem shown in the banner (worker failures included).
    void problem(const QString& message);
    void downloadFinished(bool ok);
    void experimentFinished(const QString& name);
    /// The batch-norm folding check arrived (error empty when it could be made).
    void foldChecked(const QString& error);

protected:
    void closeEvent(QCloseEvent* e) override;

private:
    void buildMenus();
    /// Queues the setup loadSetup scheduled, if any, now.
    void flushPendingSetup();
    /// Queues `work` on the worker thread, after any pending setup.
    void toWorker(std::function<void(TrainingWorker*)> work);
    /// The panel set up as for run `run`; returns a description ("model lenet5, seed 3").
    QString applyRunSettings(const RunData& run);
    void startRun(const RunSettings& settings, const QString& runName);
    void startNextQueued();
    void showError(const QString& message);
    void showMessage(const QString& message);
    void addRecent(const QString& path);
    void refreshRecent();
    bool confirmStopFor(const QString& what);
    RunSettings currentSettings() const;

    QThread m_thread;
    TrainingWorker* m_worker;
    SetupPanel* m_setup;
    TrainingView* m_training;
    LayersView* m_layers;
    CostView* m_cost;
    RunsPanel* m_runs;
    InsightView* m_insight;
    ExperimentView* m_experimentView;
    QString m_currentVariant;
    EpochReport m_lastEpoch;
    std::unique_ptr<RunLog> m_runLog;
    bool m_setupPending = false;  // a setup is scheduled (loadSetup coalesces requests)
    QTabWidget* m_tabs;
    QLabel* m_banner;
    QLabel* m_status;
    QMenu* m_recent = nullptr;
    ModelInfo m_info;
    std::shared_ptr<const DataPair> m_preloaded;
    bool m_running = false, m_paused = false, m_confirmStop = true, m_continue = false;
    bool m_shutDown = false;
    QString m_lastError;
    int m_snapshots = 0;
    QElapsedTimer m_runClock;
    QThread* m_download = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelDownload;
    std::vector<std::pair<RunSettings, QString>> m_queue;  // experiment runs still to train
    QString m_experiment;
    QStringList m_experimentRuns;
    double m_lastImagesPerSecond = 0;
    BatchReport m_lastBatch;
    bool m_progressDirty = false;
};

}  // namespace ll::ui
