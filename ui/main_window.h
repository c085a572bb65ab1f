#pragma once
// The main window: setup dock, Training / Layers / Cost tabs, menus, status bar. The run
// lifecycle (worker thread, state, run folders, experiments) is its RunController's; the window
// lays out, wires and shows. Closing it while a run is going asks "Stop training and save the
// run?", then the controller stops within one batch, saves, and joins the thread. Panel changes
// are transactions: applied when they load, undone when they fail. Failures from the worker
// show in a banner, never as a crash.

#include <string>

#include <QElapsedTimer>
#include <QMainWindow>
#include <atomic>
#include <functional>
#include <map>
#include <memory>
#include <optional>

#include "core/runs.h"
#include "ui/run_controller.h"
#include "ui/setup_panel.h"
#include "ui/snapshots.h"
#include "ui/training_worker.h"

class QLabel;
class QThread;
class QMenu;
class QTabWidget;

namespace ll::ui {

/// "Qt: 6.4.2 (built with 6.4.2)\n", for the build facts (About, `layerlens version`).
std::string qtVersionLine();

class CostView;
class GraphView;
class LabView;
class InsightView;
class ExperimentView;
class RunsPanel;
class LayersView;
class TrainingView;
class UnitView;

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
    /// View → Reset layout: the Setup and Runs docks back where they were built, shown.
    void resetLayout();
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
    /// The current model against its copy with activations after max-pooling, shown there too.
    void checkActivationSwap();
    /// Stops a run (saving it, or deleting it with Discard), joins the worker thread; closing
    /// does this too. Returns within ~1 batch.
    void shutdown(RunController::QuitMode mode = RunController::QuitMode::Save);
    /// When false, changing model or data while training stops it without asking, and quitting
    /// while training saves the run without asking (tests, --quit-when-done).
    void setConfirmStop(bool on) { m_confirmStop = on; }
    /// What "Stop training and save the run?" answers when a run is going at quit, without
    /// asking: Ask (the default) shows the question (unless setConfirmStop(false): Save).
    enum class QuitAnswer { Ask, Save, Discard, Cancel };
    void setQuitAnswer(QuitAnswer a) { m_quitAnswer = a; }
    /// What the question for an ONNX model's dynamic input size answers without asking (tests):
    /// "HxW", or empty for Cancel.
    void setInputSizeAnswer(const QString& a) { m_inputSizeAnswer = a; }
    /// An informational banner (not an error), e.g. "training on synthetic digits because...".
    /// A blue banner; `kind` names notices that go away by themselves ("experiment": at the next
    /// ordinary run; "random-inputs": when a model the data fits loads).
    void showNotice(const QString& text, const QString& kind = {});
    /// Downloads MNIST or CIFAR-10 into the app's data folder (or `baseUrl`'s mirror) with a
    /// progress dialog and Cancel, then selects it. Emits downloadFinished(ok).
    void downloadData(const QString& dataset, const QString& baseUrl = {});
    /// File > Open model file with `path` chosen: asks to stop a run, then loads the model.
    void openModelFile(const QString& path);
    /// File → Export → Model as ONNX: the model with its current weights (in the worker).
    void exportModelAsOnnx(const QString& path);
    /// A checkpoint's weights (and its model) into the worker; Train continues from them.
    void openCheckpoint(const QString& path);
    /// What `layerlens FILE` and the file manager open: a saved run's folder (openRun), another
    /// folder as the data folder, a checkpoint (.llck), or a model file. Errors go to the banner.
    void openPath(const QString& path);
    /// An ONNX model whose input height and width are dynamic: asks for them (e.g. 224x224),
    /// then opens it at that size. The size holds for every such model opened afterwards.
    void askInputSize(const QString& model);

    bool isTraining() const { return m_run->isRunning(); }
    /// Help → About: version, commit, build type, code path, GEMM backend, library versions.
    static QString aboutText();
    RunController* runController() const { return m_run; }
    SetupPanel* setup() const { return m_setup; }
    TrainingView* trainingView() const { return m_training; }
    LayersView* layersView() const { return m_layers; }
    CostView* costView() const { return m_cost; }
    GraphView* graphView() const { return m_graph; }
    LabView* labView() const { return m_lab; }
    UnitView* unitView() const { return m_units; }
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
    /// PgUp/PgDn (and ←/→ outside text fields) step layers whenever the Layers tab is shown,
    /// wherever the focus is: a focused spin box must not change a setting instead.
    bool eventFilter(QObject* watched, QEvent* event) override;

private:
    void buildMenus();
    /// Queues the setup loadSetup scheduled, if any, now.
    void flushPendingSetup();
    /// Queues `work` on the worker thread, after any pending setup.
    void toWorker(std::function<void(TrainingWorker*)> work);
    /// The panel set up as for run `run`; returns a description ("model lenet5, seed 3").
    QString applyRunSettings(const RunData& run);
    /// Buttons and status follow the controller's state.
    void showState();
    /// Back to the panel of the last setup that loaded (a setup failed, or a change was not
    /// confirmed).
    void restoreCommitted();
    void showError(const QString& message);
    void showMessage(const QString& message);
    void addRecent(const QString& path);
    void refreshRecent();
    bool confirmStopFor(const QString& what);
    RunSettings currentSettings() const;

    RunController* m_run;
    SetupPanel* m_setup;
    TrainingView* m_training;
    LayersView* m_layers;
    CostView* m_cost;
    GraphView* m_graph;
    LabView* m_lab;
    UnitView* m_units;
    RunsPanel* m_runs;
    InsightView* m_insight;
    ExperimentView* m_experimentView;
    bool m_setupPending = false;  // a setup is scheduled (loadSetup coalesces requests)
    QTabWidget* m_tabs;
    QLabel* m_banner;
    QLabel* m_status;
    QMenu* m_recent = nullptr;
    ModelInfo m_info;
    std::shared_ptr<const DataPair> m_preloaded;
    bool m_confirmStop = true, m_continue = false;
    QuitAnswer m_quitAnswer = QuitAnswer::Ask;
    std::optional<QString> m_inputSizeAnswer;  // setInputSizeAnswer
    QString m_needsInputSize;  // the ONNX model whose last setup failed for want of a size
    QString m_lastInputSize = "224x224";
    bool m_shutDown = false;
    // Transactions: what a setup was sent with, and what the last one that loaded had.
    struct Committed {
        SetupPanel::State panel;
        std::shared_ptr<const DataPair> preloaded;
        bool continueWeights = false;
        QString recent;  // a file opened with File > Open: joins Recent files when it loads
    };
    std::map<int, Committed> m_sent;  // by RunSettings::setupId
    std::optional<Committed> m_committed;
    int m_nextSetupId = 1;
    QString m_pendingRecent;
    QString m_lastError;
    QByteArray m_defaultLayout;  // docks as built, for View → Reset layout
    QString m_noticeKind;        // of the notice the banner shows (showNotice)
    int m_snapshots = 0;
    QThread* m_download = nullptr;
    std::shared_ptr<std::atomic<bool>> m_cancelDownload;
    double m_lastImagesPerSecond = 0;
    BatchReport m_lastBatch;
    bool m_progressDirty = false;
};

}  // namespace ll::ui
