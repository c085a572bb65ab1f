#include "ui/main_window.h"

#include <QApplication>
#include <QCloseEvent>
#include <QDir>
#include <QDockWidget>
#include <QFileInfo>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>

#include "ui/cost_view.h"
#include "ui/data_download.h"
#include "ui/experiment_view.h"
#include "ui/graph_view.h"
#include "ui/insight_view.h"
#include "ui/lab_view.h"
#include "ui/layers_view.h"
#include "ui/plot.h"
#include "ui/recent_files.h"
#include "ui/run_status.h"
#include "ui/runs_panel.h"
#include "ui/training_view.h"
#include "ui/unit_view.h"
#include "ui/window_dialogs.h"
#include "ui/window_menus.h"

namespace ll::ui {

namespace {
QDockWidget* addDock(QMainWindow* w, const QString& title, const QString& name, QWidget* widget) {
    auto* dock = new QDockWidget(title, w);
    dock->setObjectName(name);
    dock->setWidget(widget);
    w->addDockWidget(Qt::LeftDockWidgetArea, dock);
    return dock;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("LayerLens");
    m_run = new RunController(this);
    m_setup = new SetupPanel;
    addDock(this, "Setup", "setupDock", m_setup);
    m_runs = new RunsPanel;
    addDock(this, "Runs", "runsDock", m_runs);
    m_runs->restoreRoot();
    m_run->setRunsRoot(m_runs->root());
    // Before the window's own connections: a setup is committed before the views show it.
    m_session = new SetupSession(
        m_setup, m_run,
        [this] { return !m_confirmStop || askStopFor(this, "Changing the model or data"); }, this);
    buildTabs();
    m_recent = new RecentFiles(buildMenus(*this), this);
    m_download = new DataDownload(this);
    qApp->installEventFilter(new LayerKeys(this, m_tabs, m_layers));
    wireViews();
    wireRuns();
    showState();
    restoreSettings();
}

void MainWindow::buildTabs() {
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_training = new TrainingView, "Training");
    m_tabs->addTab(m_layers = new LayersView, "Layers");
    m_tabs->addTab(m_cost = new CostView, "Cost");
    m_tabs->addTab(m_insight = new InsightView, "Insight");
    m_tabs->addTab(m_experimentView = new ExperimentView, "Experiment");
    m_tabs->addTab(m_graph = new GraphView, "Graph");
    m_tabs->addTab(m_lab = new LabView, "Lab");
    m_tabs->addTab(m_units = new UnitView, "Units");
    m_banner = new Banner;
    auto* central = new QWidget;
    auto* cl = new QVBoxLayout(central);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addWidget(m_banner);
    cl->addWidget(m_tabs, 1);
    setCentralWidget(central);
    m_status = new RunStatus(m_run);
    statusBar()->addPermanentWidget(m_status->loadingBar());
    statusBar()->addPermanentWidget(m_status);
}

void MainWindow::wireViews() {
    connect(m_banner, &Banner::problem, this, [this](const QString& message) {
        m_status->showProblem();
        emit problem(message);
    });
    connect(m_session, &SetupSession::loadRequested, m_banner, &Banner::clearProblem);
    connect(m_session, &SetupSession::fileLoaded, m_recent, &RecentFiles::add);
    connect(m_recent, &RecentFiles::openRequested, this, [this](const QString& path) {
        path.endsWith(".llck") ? openCheckpoint(path) : openModelFile(path);
    });
    connect(m_download, &DataDownload::finished, this,
            [this](const QString& dataset, const QString& dir, const QString& error) {
                error.isEmpty() ? showNotice(m_session->useDownloaded(dataset, dir))
                                : showError(error);
                emit downloadFinished(error.isEmpty());
            });
    connect(m_runs, &RunsPanel::rootChosen, m_run, &RunController::setRunsRoot);
    connect(m_runs, &RunsPanel::sameStartRequested, this, &MainWindow::sameStartAs);
    connect(m_runs, &RunsPanel::openRequested, this, &MainWindow::openRun);
    connect(m_runs, &RunsPanel::overlaysChanged, this,
            [this] { m_training->setOverlays(m_runs->checkedRuns()); });
    // The graph: a click selects the layer in Layers and Cost; the selection follows Layers.
    connect(m_graph, &GraphView::layerClicked, this, [this](int layer, int costRow) {
        m_layers->setCurrentLayer(layer);
        m_cost->selectRow(costRow);
    });
    connect(m_layers, &LayersView::inspectionRequested, this, [this](const InspectRequest& r) {
        m_graph->setCurrentLayer(r.layer);
        m_units->setLayer(r.layer);  // Units' analyses run on copies of the worker's net
        m_run->requestInspection(r);
    });
    connect(m_units, &UnitView::netCopyRequested, m_run, &RunController::requestNetCopy);
    connect(m_run, &RunController::netCopied, m_units, &UnitView::setNetCopy);
    connect(m_lab, &LabView::modelIdentitiesRequested, this, [this] {
        if (!isTraining())
            return m_session->toWorker([](TrainingWorker* w) { w->checkModelIdentities(); });
        ModelIdentities r;
        r.error = "stop or finish training first";
        m_lab->setModelIdentities(r);
    });
    connect(m_run, &RunController::modelIdentitiesChecked, m_lab, &LabView::setModelIdentities);
    connect(m_run, &RunController::inspected, this, [this](const InspectSnapshot& s) {
        ++m_snapshots;
        m_layers->showSnapshot(s);
        m_lab->showSnapshot(s);
    });
    m_insight->follow(m_run);
    m_training->follow(m_run);
    // Panel → controller.
    connect(m_setup->trainButton(), &QPushButton::clicked, this, &MainWindow::startTraining);
    connect(m_setup->pauseButton(), &QPushButton::clicked, this, &MainWindow::pauseOrResume);
    connect(m_setup->stepButton(), &QPushButton::clicked, this, &MainWindow::stepOnce);
    connect(m_setup->stopButton(), &QPushButton::clicked, this, &MainWindow::stopTraining);
    connect(m_setup, &SetupPanel::learningRateEdited, this,
            [this](double lr) { m_run->setLearningRate(static_cast<float>(lr)); });
}

void MainWindow::wireRuns() {
    connect(m_run, &RunController::stateChanged, this, &MainWindow::showState);
    connect(m_run, &RunController::modelReady, this, &MainWindow::showModel);
    connect(m_run, &RunController::setupFailed, this, [this](int, const QString& message) {
        showError(message);  // the session took the panel back
        // An ONNX model with a dynamic height or width: ask for a size, after this returns.
        if (!m_needsInputSize.isEmpty())
            QTimer::singleShot(0, this, [this, model = std::exchange(m_needsInputSize, {})] {
                askInputSize(model);
            });
    });
    connect(m_run, &RunController::inputSizeNeeded, this,
            [this](const QString& model) { m_needsInputSize = model; });
    connect(m_run, &RunController::progress, this,
            [this](const BatchReport& r, int epochs, double secondsLeft) {
                m_setup->setProgress(r.batch, r.batchesPerEpoch, r.epoch, epochs, secondsLeft);
            });
    connect(m_run, &RunController::epochDone, this, [this](const EpochReport& e) {
        showMessage(RunStatus::epochLine(e));
        emit epochReported(RunStatus::epochLine(e));
    });
    connect(m_run, &RunController::runStarted, this, [this] {
        // The run's model and data loaded: its curves replace the last run's now (not when
        // Train was pressed: a run that does not start leaves them).
        m_banner->clearProblem();
        // An experiment's notice belongs to its runs: an ordinary run after it clears it.
        if (m_run->experiment().isEmpty()) m_banner->dismiss("experiment");
        m_training->setOverlays(m_runs->checkedRuns());
    });
    connect(m_run, &RunController::runFinished, this, [this](const QString& how) {
        if (how != "failed") {
            m_runs->refresh();
            showMessage(QString("run %1").arg(how));
        }
        emit runFinished(how);
    });
    m_experimentView->follow(m_run);
    connect(m_run, &RunController::experimentFinished, this,
            [this](const QString& name, const QStringList& runDirs) {
                m_runs->checkRuns(runDirs);  // overlay every run of the experiment
                // The worker holds the last variant's net, which the panel does not name: load
                // the panel's model again, so Layers, Cost and Graph show what the panel says.
                loadSetup();
                showMessage(
                    "experiment finished: Layers and Cost show the panel's model again; "
                    "open a run (Runs dock) to look inside a variant's trained net");
                emit experimentFinished(name);
            });
    // A failure outside a run (a checkpoint, an inspection) is only shown.
    connect(m_run, &RunController::failed, this, &MainWindow::showError);
    connect(m_run, &RunController::runFailed, this, &MainWindow::showError);
    connect(m_run, &RunController::message, this, &MainWindow::showMessage);
    connect(m_run, &RunController::foldChecked, this,
            [this](const QString&, const QStringList&, const QString& error) {
                showMessage(error.isEmpty() ? "transform checked: see the Experiment tab"
                                            : "transform check: " + error);
                emit foldChecked(error);
            });
}

void MainWindow::restoreSettings() {
    const QSettings settings;
    m_defaultLayout = saveState();  // before the saved one: View → Reset layout goes back to it
    // 1360×860, or the screen's available area when it is smaller (a 1024×768 laptop).
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1360, 860);
    resize(std::min(1360, avail.width()), std::min(860, avail.height()));
    restoreGeometry(settings.value("geometry").toByteArray());
    restoreState(settings.value("windowState").toByteArray());
    m_session->restoreLast();
}

void MainWindow::showModel(const ModelInfo& info) {
    m_info = info;
    // Nothing of the last model stays: hover read-outs described its data.
    for (Plot* p : findChildren<Plot*>())
        p->hideReadout();
    m_layers->setModel(info);
    m_cost->setModel(info);
    m_graph->setModel(info);
    m_lab->setModel(info);
    m_units->setModel(info);
    setWindowTitle(QString("LayerLens — %1 on %2").arg(info.model, info.dataset));
    // A model the data does not fit is shown on random images, said in the banner until a
    // model that fits loads.
    if (!info.notice.isEmpty()) {
        showNotice(info.notice.toHtmlEscaped(), "random-inputs");
    } else {
        m_banner->dismiss("random-inputs");
    }
    showMessage(QString("%1: %2 training / %3 test images from %4")
                    .arg(info.dataset)
                    .arg(info.trainSize)
                    .arg(info.testSize)
                    .arg(info.dataSource));
    emit modelLoaded();
}

void MainWindow::showState() {
    m_setup->setRunning(m_run->isRunning(), m_run->isPaused());
    m_setup->trainButton()->setEnabled(m_run->canTrain());
}

void MainWindow::startTraining() {
    if (isTraining()) return;
    m_session->dropPending();  // the run loads its own model and data
    m_banner->clearProblem();
    m_run->setRunsRoot(m_runs->root());
    m_run->train(m_session->settings());
}

void MainWindow::sameStartAs(const QString& runDir) {
    noticeOrProblem("same start", [&] { return m_session->sameStartAs(runDir); });
}

void MainWindow::openRun(const QString& runDir) {
    if (idleFor("opening a run") &&
        noticeOrProblem("open run", [&] { return m_session->openRun(runDir); }))
        m_runs->checkRuns({runDir});  // its curves beside the next run's
}

bool MainWindow::noticeOrProblem(const QString& what, const std::function<QString()>& notice) {
    try {
        showNotice(notice());
        return true;
    } catch (const std::exception& e) {
        showError(what.isEmpty() ? QString(e.what()) : QString("%1: %2").arg(what, e.what()));
        return false;
    }
}

bool MainWindow::idleFor(const QString& what) {
    if (isTraining()) showError(QString("stop or finish training before %1").arg(what));
    return !isTraining();
}

bool MainWindow::toIdleWorker(const QString& what, std::function<void(TrainingWorker*)> work) {
    if (!idleFor(what)) return false;
    m_session->toWorker(std::move(work));
    return true;
}

void MainWindow::checkBatchNormFolding() {
    if (toIdleWorker("checking batch-norm folding", [](auto* w) { w->checkBatchNormFold(); }))
        m_tabs->setCurrentWidget(m_experimentView);
}

void MainWindow::checkActivationSwap() {
    if (toIdleWorker("checking the swap", [](auto* w) { w->checkActivationSwap(); }))
        m_tabs->setCurrentWidget(m_experimentView);
}

void MainWindow::runExperiment(const QString& name) {
    if (!idleFor("starting an experiment")) return;
    m_run->setRunsRoot(m_runs->root());
    const RunSettings panel = m_session->settings();
    RunController::ExperimentPlan plan;
    try {
        plan = m_run->runExperiment(
            name, panel,
            QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/experiments");
    } catch (const std::exception& e) {
        return showError(e.what());
    }
    m_session->dropPending();  // each run loads its own model and data
    m_experimentView->start(name, plan.explain);
    showNotice(ExperimentView::notice(name, plan, panel.config.seed), "experiment");
}

void MainWindow::downloadData(const QString& dataset, const QString& baseUrl) {
    const QString error = m_download->start(
        dataset, baseUrl, QStandardPaths::writableLocation(QStandardPaths::AppDataLocation), this);
    if (!error.isEmpty()) showError(error);
}

void MainWindow::exportModelAsOnnx(const QString& path) {
    toIdleWorker("exporting the model", [path](TrainingWorker* w) { w->exportOnnx(path); });
}

void MainWindow::askInputSize(const QString& model) {
    const QString answer = m_inputSizeAnswer ? *m_inputSizeAnswer
                                             : ui::askInputSize(this, QFileInfo(model).fileName(),
                                                                m_session->lastInputSize());
    if (answer.trimmed().isEmpty()) return;  // Cancel: the error stays in the banner
    noticeOrProblem({}, [&] { return m_session->openAtInputSize(model, answer); });
}

void MainWindow::openModelFile(const QString& path) {
    m_session->openModelFile(path);
}

void MainWindow::shutdown(RunController::QuitMode mode) {
    if (m_shutDown) return;
    m_shutDown = true;
    m_download->cancelAndWait();
    m_run->quit(mode);
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (m_shutDown) return e->accept();
    RunController::QuitMode mode = RunController::QuitMode::Save;
    if (isTraining()) {
        QuitAnswer answer = m_quitAnswer;
        if (answer == QuitAnswer::Ask && !m_confirmStop) answer = QuitAnswer::Save;
        if (answer == QuitAnswer::Ask) answer = askQuitWhileTraining(this);
        if (answer == QuitAnswer::Cancel) return e->ignore();
        if (answer == QuitAnswer::Discard) mode = RunController::QuitMode::Discard;
    }
    QSettings().setValue("geometry", saveGeometry());
    QSettings().setValue("windowState", saveState());
    m_session->rememberLast();
    shutdown(mode);
    e->accept();
}

void MainWindow::resetLayout() {
    restoreState(m_defaultLayout);
    for (QDockWidget* d : findChildren<QDockWidget*>()) {
        d->setFloating(false);
        d->show();
    }
}

QString MainWindow::metricsCsv() const {
    return m_training->metricsCsv();
}

void MainWindow::openCheckpoint(const QString& path) {
    if (toIdleWorker("opening a checkpoint", [path](auto* w) { w->loadCheckpoint(path); }))
        m_session->setContinue(true);  // the next run trains on from these weights
}

void MainWindow::saveCheckpoint(const QString& path) {
    if (toIdleWorker("saving a checkpoint", [path](auto* w) { w->saveCheckpoint(path); }))
        m_recent->add(path);
}

void MainWindow::openPath(const QString& path) {
    const QFileInfo info(path);
    if (!info.exists()) return showError(QString("cannot open %1: no such file").arg(path));
    if (info.isDir()) {
        if (QFileInfo::exists(QDir(path).filePath("config.json"))) return openRun(path);
        return m_setup->setDataDir(info.absoluteFilePath());
    }
    if (path.endsWith(".llck", Qt::CaseInsensitive)) {
        m_recent->add(info.absoluteFilePath());
        return openCheckpoint(info.absoluteFilePath());
    }
    openModelFile(info.absoluteFilePath());
}

}  // namespace ll::ui
