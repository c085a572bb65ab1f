#pragma once
// The main window: setup and runs docks, the tabs, menus (window_menus.h), banner and status
// bar. It lays out, wires and shows: the run lifecycle (worker thread, state, run folders,
// experiments) is its RunController's, the panel's transactions its SetupSession's. Closing it
// while a run is going asks "Stop training and save the run?"; the controller then stops within
// one batch, saves and joins the thread. Failures show in the banner, never as a crash.

#include <string>

#include <QMainWindow>
#include <QStatusBar>
#include <functional>
#include <memory>
#include <optional>

#include "ui/banner.h"
#include "ui/run_controller.h"
#include "ui/setup_panel.h"
#include "ui/setup_session.h"
#include "ui/window_dialogs.h"

class QTabWidget;

namespace ll::ui {

class CostView;
class DataDownload;
class ExperimentView;
class GraphView;
class InsightView;
class LabView;
class LayersView;
class RecentFiles;
class RunStatus;
class RunsPanel;
class TrainingView;
class UnitView;

class MainWindow : public QMainWindow {
    Q_OBJECT
public:
    explicit MainWindow(QWidget* parent = nullptr);
    ~MainWindow() override { shutdown(); }

    /// Loads the setup's model and data (as the panel shows them), or uses `preloaded` data.
    void loadSetup(std::shared_ptr<const DataPair> preloaded = nullptr) {
        m_session->load(std::move(preloaded));
    }
    /// Data in memory (tests, generated data) used instead of the data folder until the data
    /// set or folder is changed in the setup panel.
    void setPreloadedData(std::shared_ptr<const DataPair> pair) {
        m_session->setPreloaded(std::move(pair));
    }
    void startTraining();
    void pauseOrResume() { m_run->pauseOrResume(); }
    void stepOnce() { m_run->step(); }
    void stopTraining() { m_run->stop(); }
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
    using QuitAnswer = ll::ui::QuitAnswer;
    void setQuitAnswer(QuitAnswer a) { m_quitAnswer = a; }
    /// What the question for an ONNX model's dynamic input size answers without asking (tests):
    /// "HxW", or empty for Cancel.
    void setInputSizeAnswer(const QString& a) { m_inputSizeAnswer = a; }
    /// An informational banner (Banner::showNotice).
    void showNotice(const QString& html, const QString& kind = {}) {
        m_banner->showNotice(html, kind);
    }
    /// Downloads MNIST or CIFAR-10 into the app's data folder (or `baseUrl`'s mirror) with a
    /// progress dialog and Cancel, then selects it. Emits downloadFinished(ok).
    void downloadData(const QString& dataset, const QString& baseUrl = {});
    /// File > Open model file with `path` chosen: asks to stop a run, then loads the model.
    void openModelFile(const QString& path);
    /// File → Export → Model as ONNX: the model with its current weights (in the worker).
    void exportModelAsOnnx(const QString& path);
    /// A checkpoint's weights (and its model) into the worker; Train continues from them.
    void openCheckpoint(const QString& path);
    /// File → Save checkpoint: the worker's net and optimizer state.
    void saveCheckpoint(const QString& path);
    /// What `layerlens FILE` and the file manager open: a saved run's folder (openRun), another
    /// folder as the data folder, a checkpoint (.llck), or a model file. Errors go to the banner.
    void openPath(const QString& path);
    /// An ONNX model whose input height and width are dynamic: asks for them (e.g. 224x224),
    /// then opens it at that size. The size holds for every such model opened afterwards.
    void askInputSize(const QString& model);

    bool isTraining() const { return m_run->isRunning(); }
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
    Banner* banner() const { return m_banner; }
    /// Folder of the run being (or last) trained; every run is saved as it goes.
    QString currentRunDir() const { return m_run->currentRunDir(); }
    QTabWidget* tabs() const { return m_tabs; }
    /// The problem the banner shows (empty: none).
    const QString& lastError() const { return m_banner->problemText(); }
    /// The banner's text (notice or problem) as shown.
    QString bannerText() const { return m_banner->shownText(); }
    const ModelInfo& modelInfo() const { return m_info; }
    int snapshotsReceived() const { return m_snapshots; }
    QString metricsCsv() const;  // the Training tab's curves

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
    void buildTabs();
    void wireViews();
    void wireRuns();
    void restoreSettings();
    void showModel(const ModelInfo& info);
    /// Buttons and status follow the controller's state.
    void showState();
    void showError(const QString& message) { m_banner->showProblem(message); }
    void showMessage(const QString& message) { statusBar()->showMessage(message, 8000); }
    /// Refuses (with a message) what needs the worker's net while a run trains.
    bool idleFor(const QString& what);
    /// Shows what `notice` returns, or the problem it throws (after "what: " unless empty).
    bool noticeOrProblem(const QString& what, const std::function<QString()>& notice);
    /// `work` on the worker's net, unless a run trains (then refused with a message).
    bool toIdleWorker(const QString& what, std::function<void(TrainingWorker*)> work);

    RunController* m_run;
    SetupPanel* m_setup;
    SetupSession* m_session;
    TrainingView* m_training;
    LayersView* m_layers;
    CostView* m_cost;
    GraphView* m_graph;
    LabView* m_lab;
    UnitView* m_units;
    RunsPanel* m_runs;
    InsightView* m_insight;
    ExperimentView* m_experimentView;
    QTabWidget* m_tabs;
    Banner* m_banner;
    RunStatus* m_status;
    RecentFiles* m_recent;
    DataDownload* m_download;
    ModelInfo m_info;
    bool m_confirmStop = true;
    QuitAnswer m_quitAnswer = QuitAnswer::Ask;
    std::optional<QString> m_inputSizeAnswer;  // setInputSizeAnswer
    QString m_needsInputSize;  // the ONNX model whose last setup failed for want of a size
    bool m_shutDown = false;
    QByteArray m_defaultLayout;  // docks as built, for View → Reset layout
    int m_snapshots = 0;
};

}  // namespace ll::ui
