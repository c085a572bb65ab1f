#include "ui/main_window.h"

#include <QAbstractSpinBox>
#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QComboBox>
#include <QDateTime>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QInputDialog>
#include <QKeyEvent>
#include <QLabel>
#include <QLineEdit>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
#include <QRegularExpression>
#include <QScreen>
#include <QSettings>
#include <QStandardPaths>
#include <QStatusBar>
#include <QTabWidget>
#include <QTextStream>
#include <QTimer>
#include <QVBoxLayout>
#include <algorithm>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/build_info.h"
#include "core/data/download.h"
#include "core/data/file_io.h"
#include "core/data/synthetic.h"
#include "core/experiments.h"
#include "core/model_file.h"
#include "core/onnx/onnx_import.h"
#include "ui/cost_view.h"
#include "ui/experiment_view.h"
#include "ui/graph_view.h"
#include "ui/image_views.h"
#include "ui/insight_view.h"
#include "ui/lab_view.h"
#include "ui/layers_view.h"
#include "ui/plot.h"
#include "ui/plot_export.h"
#include "ui/runs_panel.h"
#include "ui/setup_panel.h"
#include "ui/thread_handoff.h"
#include "ui/training_view.h"
#include "ui/unit_view.h"

namespace ll::ui {

namespace {

// A preset, or a model file that is (still) there.
bool modelAvailable(const QString& model) {
    const auto presets = presetNames();
    return std::find(presets.begin(), presets.end(), model.toStdString()) != presets.end() ||
           QFileInfo::exists(model);
}
bool writeText(const QString& path, const QString& text) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream(&f) << text;
    return true;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    setWindowTitle("LayerLens");
    m_run = new RunController(this);

    m_setup = new SetupPanel;
    auto* dock = new QDockWidget("Setup", this);
    dock->setObjectName("setupDock");
    dock->setWidget(m_setup);
    addDockWidget(Qt::LeftDockWidgetArea, dock);

    m_runs = new RunsPanel;
    auto* runsDock = new QDockWidget("Runs", this);
    runsDock->setObjectName("runsDock");
    runsDock->setWidget(m_runs);
    addDockWidget(Qt::LeftDockWidgetArea, runsDock);
    // The runs folder: the app's own unless the user chose another one (Folder… in the dock).
    {
        const QString chosen = QSettings().value("runsRoot").toString();
        m_runs->setRoot(!chosen.isEmpty() && QFileInfo(chosen).isDir()
                            ? chosen
                            : QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) +
                                  "/runs");
    }
    m_run->setRunsRoot(m_runs->root());
    connect(m_runs, &RunsPanel::rootChosen, this, [this](const QString& root) {
        QSettings().setValue("runsRoot", root);
        m_run->setRunsRoot(root);
    });

    m_training = new TrainingView;
    m_layers = new LayersView;
    m_cost = new CostView;
    m_tabs = new QTabWidget;
    m_tabs->addTab(m_training, "Training");
    m_tabs->addTab(m_layers, "Layers");
    m_tabs->addTab(m_cost, "Cost");
    m_insight = new InsightView;
    m_tabs->addTab(m_insight, "Insight");
    m_experimentView = new ExperimentView;
    m_tabs->addTab(m_experimentView, "Experiment");
    m_graph = new GraphView;
    m_tabs->addTab(m_graph, "Graph");
    m_lab = new LabView;  // fed the model and the inspected image below
    m_tabs->addTab(m_lab, "Lab");
    m_units = new UnitView;
    m_tabs->addTab(m_units, "Units");
    m_banner = new QLabel;
    m_banner->setWordWrap(true);
    m_banner->setStyleSheet(
        "QLabel { background: #fde2e1; color: #7a0000; padding: 6px; border: 1px solid #e0a0a0; }");
    m_banner->setTextInteractionFlags(Qt::TextSelectableByMouse);
    m_banner->hide();
    auto* central = new QWidget;
    auto* cl = new QVBoxLayout(central);
    cl->setContentsMargins(0, 0, 0, 0);
    cl->addWidget(m_banner);
    cl->addWidget(m_tabs, 1);
    setCentralWidget(central);
    m_status = new QLabel("ready");
    statusBar()->addPermanentWidget(m_status);

    buildMenus();
    qApp->installEventFilter(this);  // layer keys, see eventFilter

    // Controller → window (the controller lives in this thread: direct calls).
    connect(m_run, &RunController::stateChanged, this, &MainWindow::showState);
    connect(m_run, &RunController::modelReady, this, [this](const ModelInfo& info) {
        if (info.setupId > 0) {
            // This setup loaded: its panel is what the window now stands on.
            const auto it = m_sent.find(info.setupId);
            if (it != m_sent.end()) {
                m_committed = it->second;
                m_sent.erase(m_sent.begin(), std::next(it));
                if (!m_committed->recent.isEmpty()) addRecent(m_committed->recent);
                m_committed->recent.clear();
                QSettings().setValue("lastDataDir", m_committed->panel.dataDir);
            }
        }
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
        } else if (m_noticeKind == "random-inputs") {
            m_banner->hide();
            m_noticeKind.clear();
        }
        showMessage(QString("%1: %2 training / %3 test images from %4")
                        .arg(info.dataset)
                        .arg(info.trainSize)
                        .arg(info.testSize)
                        .arg(info.dataSource));
        emit modelLoaded();
    });
    // The graph: a click selects the layer in Layers and Cost; the selection follows Layers.
    connect(m_graph, &GraphView::layerClicked, this, [this](int layer, int costRow) {
        m_layers->setCurrentLayer(layer);
        m_cost->selectRow(costRow);
    });
    connect(m_layers, &LayersView::inspectionRequested, m_graph,
            [this](const InspectRequest& r) { m_graph->setCurrentLayer(r.layer); });
    // Units: the layer follows Layers; its analyses run on copies of the worker's net.
    connect(m_layers, &LayersView::inspectionRequested, m_units,
            [this](const InspectRequest& r) { m_units->setLayer(r.layer); });
    connect(m_units, &UnitView::netCopyRequested, m_run, &RunController::requestNetCopy);
    connect(m_run, &RunController::netCopied, m_units, &UnitView::setNetCopy);
    connect(m_runs, &RunsPanel::sameStartRequested, this, &MainWindow::sameStartAs);
    connect(m_runs, &RunsPanel::openRequested, this, &MainWindow::openRun);
    connect(m_runs, &RunsPanel::overlaysChanged, this,
            [this] { m_training->setOverlays(m_runs->checkedRuns()); });
    connect(m_run, &RunController::setupFailed, this, [this](int id, const QString& msg) {
        // Nothing changed in the worker: the panel goes back to what it has loaded, unless
        // another setup is on its way (it decides).
        m_sent.erase(m_sent.begin(), m_sent.upper_bound(id));
        showError(msg);
        if (m_sent.empty() && !m_setupPending) restoreCommitted();
        // An ONNX model with a dynamic height or width: ask for a size, after this returns.
        if (!m_needsInputSize.isEmpty()) {
            QTimer::singleShot(0, this, [this, model = std::exchange(m_needsInputSize, {})] {
                askInputSize(model);
            });
        }
    });
    connect(m_run, &RunController::inputSizeNeeded, this,
            [this](const QString& model) { m_needsInputSize = model; });
    connect(m_run, &RunController::batches, this, [this](const BatchPoints& p) {
        m_training->addBatches(p);
        if (p.batches.isEmpty()) return;
        m_lastBatch = p.batches.back();
        m_progressDirty = true;
    });
    // Progress and status follow the last batch at 5 Hz: every repaint costs the training threads.
    auto* progressTimer = new QTimer(this);
    progressTimer->setInterval(200);
    connect(progressTimer, &QTimer::timeout, this, [this] {
        if (!m_progressDirty) return;
        m_progressDirty = false;
        if (!m_run->isRunning()) return;  // a run's last points: no time left to show
        const BatchReport& r = m_lastBatch;
        m_lastImagesPerSecond = r.imagesPerSecond;
        const int epochs = m_setup->settings().config.epochs;
        const double done = ((r.epoch - 1) * static_cast<double>(r.batchesPerEpoch) + r.batch) /
                            (static_cast<double>(r.batchesPerEpoch) * epochs);
        const double elapsed = m_run->runSeconds();
        m_setup->setProgress(r.batch, r.batchesPerEpoch, r.epoch, epochs,
                             done > 0 ? elapsed * (1 - done) / done : -1);
        m_status->setText(QString("epoch %1, batch %2/%3, loss %4, %5 images/s")
                              .arg(r.epoch)
                              .arg(r.batch)
                              .arg(r.batchesPerEpoch)
                              .arg(r.loss, 0, 'f', 4)
                              .arg(r.imagesPerSecond, 0, 'f', 0));
    });
    progressTimer->start();
    connect(m_run, &RunController::evaluated, m_training, &TrainingView::addEval);
    connect(m_run, &RunController::epochDone, this, [this](const EpochReport& e) {
        const QString line = QString(
                                 "epoch %1: training loss %2, accuracy %3%, test loss %4, test "
                                 "accuracy %5%, %6 images/s")
                                 .arg(e.epoch)
                                 .arg(e.trainLoss, 0, 'f', 4)
                                 .arg(100 * e.trainAccuracy, 0, 'f', 2)
                                 .arg(e.testLoss, 0, 'f', 4)
                                 .arg(100 * e.testAccuracy, 0, 'f', 2)
                                 .arg(e.imagesPerSecond, 0, 'f', 0);
        showMessage(line);
        emit epochReported(line);
    });
    connect(m_run, &RunController::inspected, this, [this](const InspectSnapshot& s) {
        ++m_snapshots;
        m_layers->showSnapshot(s);
        m_lab->showSnapshot(s);
    });
    connect(m_lab, &LabView::modelIdentitiesRequested, this, [this] {
        if (isTraining()) {
            ModelIdentities r;
            r.error = "stop or finish training first";
            return m_lab->setModelIdentities(r);
        }
        toWorker([](TrainingWorker* w) { w->checkModelIdentities(); });
    });
    connect(m_run, &RunController::modelIdentitiesChecked, m_lab, &LabView::setModelIdentities);
    connect(m_run, &RunController::runStarted, this, [this] {
        // The run's model and data loaded: its curves replace the last run's now (not when
        // Train was pressed: a run that does not start leaves them).
        if (!m_lastError.isEmpty()) m_banner->hide();
        m_lastError.clear();
        // An experiment's notice belongs to its runs: an ordinary run after it clears it.
        if (m_noticeKind == "experiment" && m_run->experiment().isEmpty()) {
            m_banner->hide();
            m_noticeKind.clear();
        }
        m_training->reset();
        m_insight->clearHistograms();
        m_training->setOverlays(m_runs->checkedRuns());
    });
    connect(m_run, &RunController::runFinished, this, [this](const QString& how) {
        m_continue = false;
        if (how != "failed") {
            m_lastImagesPerSecond = m_lastBatch.imagesPerSecond;
            m_runs->refresh();
            m_status->setText(
                QString("run %1 (%2 images/s)").arg(how).arg(m_lastImagesPerSecond, 0, 'f', 0));
            showMessage(QString("run %1").arg(how));
        }
        emit runFinished(how);
    });
    connect(m_run, &RunController::variantFinished, this,
            [this](const QString& variant, const QString& runDir) {
                RunData run;
                try {
                    run = loadRun(runDir.toStdString());
                } catch (const std::exception& e) {
                    showMessage(QString("could not read the run back: %1").arg(e.what()));
                }
                m_experimentView->addResult(variant, m_run->lastEpoch(), m_run->runSeconds(), run);
                // Same outputs, fewer layers: the trained net with batch norm, before the next
                // variant replaces it.
                if (m_run->experiment() == "batchnorm" && variant == "with-bn")
                    m_run->toWorker([](TrainingWorker* w) { w->checkBatchNormFold(); });
            });
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
            [this](const QString& title, const QStringList& lines, const QString& error) {
                m_experimentView->setFoldCheck(title, lines, error);
                showMessage(error.isEmpty() ? "transform checked: see the Experiment tab"
                                            : "transform check: " + error);
                emit foldChecked(error);
            });
    connect(m_run, &RunController::confusion, m_insight, &InsightView::setConfusion);
    connect(m_run, &RunController::histograms, m_insight, &InsightView::addHistograms);
    connect(m_layers, &LayersView::inspectionRequested, m_run, &RunController::requestInspection);

    // Window → worker.
    connect(m_setup->trainButton(), &QPushButton::clicked, this, &MainWindow::startTraining);
    connect(m_setup->pauseButton(), &QPushButton::clicked, this, &MainWindow::pauseOrResume);
    connect(m_setup->stepButton(), &QPushButton::clicked, this, &MainWindow::stepOnce);
    connect(m_setup->stopButton(), &QPushButton::clicked, this, &MainWindow::stopTraining);
    connect(m_setup, &SetupPanel::learningRateEdited, this,
            [this](double lr) { m_run->setLearningRate(static_cast<float>(lr)); });
    connect(m_setup, &SetupPanel::modelOrDataChanged, this, [this](bool dataChanged) {
        if (isTraining() && !confirmStopFor("Changing the model or data")) {
            // The run goes on with the model the panel showed: show it again.
            m_pendingRecent.clear();
            return restoreCommitted();
        }
        if (isTraining()) stopTraining();
        if (dataChanged) m_preloaded.reset();
        loadSetup();  // remembered (lastDataDir) when it loads
    });
    showState();

    QSettings settings;
    m_defaultLayout = saveState();  // before the saved one: View → Reset layout goes back to it
    // 1360×860, or the screen's available area when it is smaller (a 1024×768 laptop).
    const QRect avail = screen() ? screen()->availableGeometry() : QRect(0, 0, 1360, 860);
    resize(std::min(1360, avail.width()), std::min(860, avail.height()));
    restoreGeometry(settings.value("geometry").toByteArray());
    restoreState(settings.value("windowState").toByteArray());
    const QString dir = settings.value("lastDataDir").toString();
    if (!dir.isEmpty()) m_setup->setDataDir(dir);
    // The last model, if it is still there (a preset, or a file that was not deleted since).
    const QString model = settings.value("lastModel").toString();
    if (!model.isEmpty() && modelAvailable(model)) m_setup->setModel(model);
}

MainWindow::~MainWindow() {
    shutdown();
}

bool MainWindow::eventFilter(QObject* watched, QEvent* event) {
    // The download thread's queued calls (thread_handoff.h).
    if (watched == this && event->type() == QEvent::MetaCall) takeOver(Handoff::ToWindow);
    if (event->type() != QEvent::KeyPress || m_tabs->currentWidget() != m_layers)
        return QMainWindow::eventFilter(watched, event);
    auto* w = qobject_cast<QWidget*>(watched);
    if (!w || w->window() != this) return QMainWindow::eventFilter(watched, event);
    const auto* k = static_cast<QKeyEvent*>(event);
    if (k->modifiers() != Qt::NoModifier && k->modifiers() != Qt::KeypadModifier)
        return QMainWindow::eventFilter(watched, event);
    const bool textField = qobject_cast<QLineEdit*>(w) || qobject_cast<QAbstractSpinBox*>(w) ||
                           qobject_cast<QComboBox*>(w);
    const int key = k->key();
    const bool next = key == Qt::Key_PageDown || (key == Qt::Key_Right && !textField);
    const bool previous = key == Qt::Key_PageUp || (key == Qt::Key_Left && !textField);
    if (next) m_layers->nextLayer();
    if (previous) m_layers->previousLayer();
    return next || previous || QMainWindow::eventFilter(watched, event);
}

void MainWindow::showState() {
    const bool running = m_run->isRunning();
    const bool paused = m_run->isPaused();
    m_setup->setRunning(running, paused);
    // Train needs a model that loaded, and none loading (it would train what the panel shows
    // before it is known to load).
    const RunController::State st = m_run->state();
    m_setup->trainButton()->setEnabled(!running && st != RunController::State::Loading &&
                                       st != RunController::State::Closed && m_run->hasModel());
    if (paused) {
        m_status->setText("paused (Step trains one batch)");
    } else if (st == RunController::State::Training) {
        m_status->setText("training");
    } else if (st == RunController::State::Stopping) {
        m_status->setText("stopping…");
    }
}

void MainWindow::restoreCommitted() {
    if (!m_committed) return;  // nothing loaded yet: nothing to go back to
    m_setup->restoreState(m_committed->panel);
    m_preloaded = m_committed->preloaded;
    m_continue = m_committed->continueWeights;
}

RunSettings MainWindow::currentSettings() const {
    RunSettings s = m_setup->settings();
    s.preloaded = m_preloaded;
    s.freshWeights = !m_continue;
    return s;
}

void MainWindow::loadSetup(std::shared_ptr<const DataPair> preloaded) {
    if (preloaded) m_preloaded = std::move(preloaded);
    if (!m_lastError.isEmpty()) m_banner->hide();
    m_lastError.clear();
    m_continue = false;
    // Several panel changes in a row (a model, then its data set) make one setup, with the
    // panel as it ends up: loading each intermediate state could fail (a model with the
    // previous model's data set) and report an error nobody asked for.
    if (m_setupPending) return;
    m_setupPending = true;
    QTimer::singleShot(0, this, &MainWindow::flushPendingSetup);
}

void MainWindow::flushPendingSetup() {
    if (!m_setupPending) return;  // done already, or a run started: it sets itself up
    m_setupPending = false;
    RunSettings s = currentSettings();
    s.setupId = m_nextSetupId++;
    m_sent[s.setupId] = Committed{m_setup->saveState(), m_preloaded, m_continue, m_pendingRecent};
    m_pendingRecent.clear();
    if (!m_run->load(s)) m_sent.erase(s.setupId);
}

void MainWindow::toWorker(std::function<void(TrainingWorker*)> work) {
    flushPendingSetup();  // a checkpoint or a check is for the net the panel now shows
    m_run->toWorker(std::move(work));
}

void MainWindow::startTraining() {
    if (isTraining()) return;
    m_setupPending = false;  // the run loads its own model and data
    if (!m_lastError.isEmpty()) m_banner->hide();
    m_lastError.clear();
    m_run->setRunsRoot(m_runs->root());
    m_run->train(currentSettings());
}

QString MainWindow::applyRunSettings(const RunData& run) {
    // Another tool's log (TensorBoard, a Lightning or Keras CSV) has curves but no settings.
    if (run.kind != "layerlens")
        throw DataError(strCat("'", run.name, "' is a ", run.kind,
                               " log: tick it to overlay its curves; it holds no model or "
                               "settings to open"));
    const auto c = nlohmann::json::parse(run.configJson);
    QString model = QString::fromStdString(c.value("model", std::string("lenet5")));
    if (!modelAvailable(model)) {
        // A model that was never a file (an experiment's variant): its document is in the run.
        if (!c.contains("model_json"))
            throw DataError(
                strCat("the run's model '", model.toStdString(), "' is no longer there"));
        const std::string file = run.dir + "/model.json";
        writeFileAtomic(file, c["model_json"].get<std::string>());
        model = QString::fromStdString(file);
    }
    if (model != m_setup->model()) m_setup->setModel(model);
    const std::string ds = c.value("dataset", std::string());
    if (!ds.empty() && ds != "(in memory)") m_setup->setDataset(QString::fromStdString(ds));
    const int seed = c.value("seed", 1);
    m_setup->setSeed(seed);
    if (c.contains("batch")) m_setup->setBatch(c["batch"].get<int>());
    if (c.contains("epochs")) m_setup->setEpochs(c["epochs"].get<int>());
    if (c.contains("label_noise")) m_setup->setLabelNoise(c["label_noise"].get<double>());
    // A fraction (random labels: 10%) becomes the count it gave, recorded when the run started.
    const double subset = c.value("train_subset", 0.0);
    if (subset == 0 || subset >= 1) {
        m_setup->setTrainingSubset(static_cast<int>(subset));
    } else if (c.contains("train_images")) {
        m_setup->setTrainingSubset(c["train_images"].get<int>());
    }
    if (c.contains("optimizer") && c.contains("lr"))
        m_setup->setTraining(QString::fromStdString(c["optimizer"].get<std::string>()),
                             c["lr"].get<double>(), c.value("momentum", 0.9),
                             c.value("weight_decay", 0.0),
                             QString::fromStdString(c.value("loss", std::string())));
    return QString("model %1, seed %2").arg(model.toHtmlEscaped()).arg(seed);
}

void MainWindow::sameStartAs(const QString& runDir) {
    try {
        const RunData run = loadRun(runDir.toStdString());
        const QString what = applyRunSettings(run);
        showNotice(QString("Set up from run <b>%1</b>: %2 — the next run starts from the same "
                           "weights and data order; change one thing and compare.")
                       .arg(QString::fromStdString(run.name).toHtmlEscaped(), what));
    } catch (const std::exception& e) {
        showError(QString("same start: %1").arg(e.what()));
    }
}

void MainWindow::openRun(const QString& runDir) {
    if (isTraining()) return showError("stop training before opening a run");
    try {
        const RunData run = loadRun(runDir.toStdString());
        const QString what = applyRunSettings(run);
        m_runs->checkRuns({runDir});  // its curves beside the next run's
        QString text = QString("Opened run <b>%1</b> (%2): its curves are overlaid")
                           .arg(QString::fromStdString(run.name).toHtmlEscaped(), what);
        const QString ckpt = QString::fromStdString(runCheckpointPath(run.dir));
        if (QFileInfo::exists(ckpt)) {
            // Queued after the setup the panel change asked for: the weights land on its net.
            toWorker([ckpt](TrainingWorker* w) { w->loadCheckpoint(ckpt); });
            m_continue = true;
            text +=
                "; its final weights are loaded — Layers and Insight show the trained net, "
                "Train continues from it.";
        } else {
            text +=
                "; it has no final weights (it did not end: the app was closed or crashed "
                "while it trained).";
        }
        for (const std::string& w : run.warnings)
            text += "<br>" + QString::fromStdString(w).toHtmlEscaped();
        showNotice(text);
    } catch (const std::exception& e) {
        showError(QString("open run: %1").arg(e.what()));
    }
}

void MainWindow::checkBatchNormFolding() {
    if (isTraining())
        return showError("stop or finish training before checking batch-norm folding");
    m_tabs->setCurrentWidget(m_experimentView);
    toWorker([](TrainingWorker* w) { w->checkBatchNormFold(); });
}

void MainWindow::checkActivationSwap() {
    if (isTraining()) return showError("stop or finish training before checking the swap");
    m_tabs->setCurrentWidget(m_experimentView);
    toWorker([](TrainingWorker* w) { w->checkActivationSwap(); });
}

void MainWindow::runExperiment(const QString& name) {
    if (isTraining()) return showError("stop the current run before starting an experiment");
    std::string explain;
    std::vector<ExperimentVariant> variants;
    try {
        variants = experimentVariants(name.toStdString(), explain);
    } catch (const std::exception& e) {
        return showError(e.what());
    }
    const RunSettings panel = currentSettings();
    const QString dir =
        QStandardPaths::writableLocation(QStandardPaths::AppDataLocation) + "/experiments";
    QDir().mkpath(dir);
    std::vector<std::pair<RunSettings, QString>> queue;
    // Random labels need 30 epochs to show memorization, whatever the panel says.
    const int recommended = experimentEpochs(name.toStdString());
    for (const ExperimentVariant& v : variants) {
        // The variant's model with its own defaults; data folder, data set choice (when it is
        // not a file-based one the model cannot read), epochs, subset and seed from the panel.
        ModelSpec spec;
        RunSettings r = panel;
        if (v.modelJson.empty()) {
            spec = readModelSpec(v.model);
            r.model = QString::fromStdString(v.model);
        } else {
            const QString file =
                QString("%1/%2-%3.json").arg(dir, name, QString::fromStdString(v.name));
            writeFileAtomic(file.toStdString(), v.modelJson);
            buildNet(v.modelJson, &spec, file.toStdString());
            r.model = file;
        }
        const ModelDefaults& d = spec.defaults;
        r.config = trainConfigFromDefaults(d);
        r.config.epochs = recommended > 0 ? recommended : panel.config.epochs;
        r.config.seed = panel.config.seed;
        if (!isSyntheticDataset(r.data.dataset) && r.data.dataset != "images")
            r.data.dataset = d.dataset;
        r.data.classes = d.classes;
        if (v.adjust) v.adjust(r.config, r.data);
        r.config.batchOptions.signedLabels = makeLoss(r.config.loss)->signedLabels();
        r.freshWeights = true;
        queue.push_back({r, QString("%1-%2").arg(name, QString::fromStdString(v.name))});
    }
    m_experimentView->start(name, QString::fromStdString(explain));
    showNotice(QString("<b>Experiment %1</b>: %2 %3 runs from the same start (seed %4), each saved "
                       "and overlaid when done.%5")
                   .arg(name, QString::fromStdString(explain).toHtmlEscaped())
                   .arg(queue.size())
                   .arg(panel.config.seed)
                   .arg(recommended > 0 ? QString(" Each trains %1 epochs, what the effect needs "
                                                  "(not the panel's epochs).")
                                              .arg(recommended)
                                        : QString()));
    m_noticeKind = "experiment";
    m_setupPending = false;  // each run loads its own model and data
    m_run->setRunsRoot(m_runs->root());
    m_run->runExperiment(name, std::move(queue));
}

void MainWindow::pauseOrResume() {
    m_run->pauseOrResume();
}

void MainWindow::stepOnce() {
    m_run->step();
}

void MainWindow::stopTraining() {
    m_run->stop();
}

void MainWindow::downloadData(const QString& dataset, const QString& baseUrl) {
    if (m_download) return showError("a download is already running");
    const QString to = QStandardPaths::writableLocation(QStandardPaths::AppDataLocation);
    DataSource src;
    try {
        src = officialSource(dataset.toStdString(), baseUrl.toStdString());
    } catch (const std::exception& e) {
        return showError(e.what());
    }
    auto* dlg = new QProgressDialog(QString("Downloading %1 into %2").arg(dataset, to), "Cancel", 0,
                                    1000, this);
    dlg->setObjectName("downloadDialog");
    dlg->setWindowModality(Qt::WindowModal);
    dlg->setMinimumDuration(0);
    dlg->setAutoClose(false);
    dlg->setAutoReset(false);
    m_cancelDownload = std::make_shared<std::atomic<bool>>(false);
    auto cancel = m_cancelDownload;
    connect(dlg, &QProgressDialog::canceled, this, [cancel] { *cancel = true; });
    QPointer<QProgressDialog> guard(dlg);
    m_download = QThread::create([this, src, to, cancel, guard] {
        QString error;
        try {
            downloadDataset(
                src, to.toStdString(),
                [&](const std::string& file, std::int64_t done, std::int64_t total) {
                    const QString label = QString("%1: %2 of %3 MB")
                                              .arg(QString::fromStdString(file))
                                              .arg(done / 1e6, 0, 'f', 1)
                                              .arg(total > 0 ? total / 1e6 : 0.0, 0, 'f', 1);
                    const int value = total > 0 ? static_cast<int>(1000 * done / total) : 0;
                    handOver(Handoff::ToWindow);
                    QMetaObject::invokeMethod(this, [guard, label, value] {
                        if (!guard) return;
                        guard->setLabelText(label);
                        guard->setValue(value);
                    });
                    return !cancel->load();
                });
        } catch (const std::exception& e) {
            error = e.what();
        }
        handOver(Handoff::ToWindow);
        QMetaObject::invokeMethod(this, [this, guard, error, to,
                                         ds = QString::fromStdString(src.dataset)] {
            if (guard) guard->deleteLater();
            m_download->wait();
            m_download->deleteLater();
            m_download = nullptr;
            if (!error.isEmpty()) {
                showError(error);
                emit downloadFinished(false);
                return;
            }
            showNotice(QString("%1 downloaded and verified in %2.").arg(ds, to.toHtmlEscaped()));
            m_setup->setDataDir(to);
            m_setup->setDataset(ds);
            m_preloaded.reset();
            loadSetup();
            emit downloadFinished(true);
        });
    });
    m_download->start();
}

void MainWindow::exportModelAsOnnx(const QString& path) {
    if (isTraining()) return showError("stop or finish training before exporting the model");
    toWorker([path](TrainingWorker* w) { w->exportOnnx(path); });
}

void MainWindow::askInputSize(const QString& model) {
    const QString name = QFileInfo(model).fileName();
    QString answer;
    if (m_inputSizeAnswer) {
        answer = *m_inputSizeAnswer;
    } else {
        bool ok = false;
        answer = QInputDialog::getText(
            this, "Input size",
            QString("%1 leaves the height and width of its input open (dynamic).\n"
                    "Open it at height × width:")
                .arg(name),
            QLineEdit::Normal, m_lastInputSize, &ok);
        if (!ok) answer.clear();
    }
    if (answer.trimmed().isEmpty()) return;  // Cancel: the error stays in the banner
    static const QRegularExpression size(R"(^\s*(\d{1,5})\s*[x×X*, ]\s*(\d{1,5})\s*$)");
    const QRegularExpressionMatch m = size.match(answer);
    const int h = m.hasMatch() ? m.captured(1).toInt() : 0,
              w = m.hasMatch() ? m.captured(2).toInt() : 0;
    if (h < 1 || w < 1 || h > 16384 || w > 16384) {
        return showError(QString("input size '%1' for %2: give the height and width, e.g. 224x224")
                             .arg(answer, name));
    }
    m_lastInputSize = QString("%1x%2").arg(h).arg(w);
    setOnnxInputSize(h, w);
    openModelFile(model);  // clears the banner's error
    showNotice(QString("opening %1 at %2×%3 (its input size is dynamic)").arg(name).arg(h).arg(w));
}

void MainWindow::openModelFile(const QString& path) {
    if (m_committed && m_committed->panel.model == path && !m_setupPending && m_sent.empty()) {
        addRecent(path);  // loaded already
        return;
    }
    m_pendingRecent = path;  // joins Recent files when it loads
    // Shown but not loaded (it failed before anything loaded, so the panel had nothing to go
    // back to): load it again, e.g. with an input size given since.
    if (m_setup->model() == path && !isTraining()) return loadSetup();
    m_setup->setModel(path);  // asks to stop a run, then loads (or goes back)
}

void MainWindow::shutdown(RunController::QuitMode mode) {
    if (m_shutDown) return;
    m_shutDown = true;
    if (m_download) {
        *m_cancelDownload = true;
        m_download->wait();
    }
    m_run->quit(mode);
}

void MainWindow::closeEvent(QCloseEvent* e) {
    if (m_shutDown) return e->accept();
    RunController::QuitMode mode = RunController::QuitMode::Save;
    if (isTraining()) {
        QuitAnswer answer = m_quitAnswer;
        if (answer == QuitAnswer::Ask && !m_confirmStop) answer = QuitAnswer::Save;
        if (answer == QuitAnswer::Ask) {
            const auto b = QMessageBox::question(
                this, "Quit LayerLens",
                "Stop training and save the run?\n\nSave keeps the run with its final weights; "
                "Discard deletes it.",
                QMessageBox::Save | QMessageBox::Discard | QMessageBox::Cancel, QMessageBox::Save);
            answer = b == QMessageBox::Save      ? QuitAnswer::Save
                     : b == QMessageBox::Discard ? QuitAnswer::Discard
                                                 : QuitAnswer::Cancel;
        }
        if (answer == QuitAnswer::Cancel) return e->ignore();
        if (answer == QuitAnswer::Discard) mode = RunController::QuitMode::Discard;
    }
    QSettings settings;
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
    // What loaded last, never a model or folder that failed.
    if (m_committed) {
        settings.setValue("lastDataDir", m_committed->panel.dataDir);
        settings.setValue("lastModel", m_committed->panel.model);
    }
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

bool MainWindow::confirmStopFor(const QString& what) {
    if (!m_confirmStop) return true;
    return QMessageBox::question(
               this, "Stop training?",
               what + " stops the current run. Its curves stay until the next run starts.") ==
           QMessageBox::Yes;
}

QString MainWindow::bannerText() const {
    return m_banner->isHidden() ? QString() : m_banner->text();
}

void MainWindow::showNotice(const QString& text, const QString& kind) {
    m_noticeKind = kind;
    m_banner->setStyleSheet(
        "QLabel { background: #e3f0fb; color: #0b3a5e; padding: 6px; border: 1px solid #9cc3e6; }");
    m_banner->setText(text);
    m_banner->show();
}

void MainWindow::showError(const QString& message) {
    m_lastError = message;
    m_noticeKind.clear();
    m_banner->setStyleSheet(
        "QLabel { background: #fde2e1; color: #7a0000; padding: 6px; border: 1px solid #e0a0a0; }");
    m_banner->setText("<b>Problem:</b> " + message.toHtmlEscaped());
    emit problem(message);
    m_banner->show();
    m_status->setText("error");
}

void MainWindow::showMessage(const QString& message) {
    statusBar()->showMessage(message, 8000);
}

QString MainWindow::currentRunDir() const {
    return m_run->currentRunDir();
}

QString MainWindow::metricsCsv() const {
    return m_training->metricsCsv();
}

void MainWindow::openCheckpoint(const QString& path) {
    if (isTraining()) return showError("stop training before opening a checkpoint");
    m_continue = true;
    toWorker([path](TrainingWorker* w) { w->loadCheckpoint(path); });
}

void MainWindow::openPath(const QString& path) {
    const QFileInfo info(path);
    if (!info.exists()) return showError(QString("cannot open %1: no such file").arg(path));
    if (info.isDir()) {
        if (QFileInfo::exists(QDir(path).filePath("config.json"))) return openRun(path);
        m_setup->setDataDir(info.absoluteFilePath());
        return;
    }
    if (path.endsWith(".llck", Qt::CaseInsensitive)) {
        addRecent(info.absoluteFilePath());
        return openCheckpoint(info.absoluteFilePath());
    }
    openModelFile(info.absoluteFilePath());
}

void MainWindow::addRecent(const QString& path) {
    QSettings s;
    QStringList list = s.value("recentFiles").toStringList();
    list.removeAll(path);
    list.prepend(path);
    while (list.size() > 8)
        list.removeLast();
    s.setValue("recentFiles", list);
    refreshRecent();
}

void MainWindow::refreshRecent() {
    if (!m_recent) return;
    m_recent->clear();
    const QStringList list = QSettings().value("recentFiles").toStringList();
    for (const QString& path : list) {
        m_recent->addAction(QFileInfo(path).fileName(), this, [this, path] {
            if (path.endsWith(".llck")) {
                openCheckpoint(path);
            } else {
                openModelFile(path);
            }
        });
    }
    m_recent->setEnabled(!list.isEmpty());
}

QString MainWindow::aboutText() {
    QString facts;
    for (const QString& line : QString::fromStdString(buildInfo(qtVersionLine())).split('\n'))
        if (!line.isEmpty()) facts += line.toHtmlEscaped() + "<br>";
    return QString(
               "<b>LayerLens %1</b><br>See inside a neural network while it trains.<br>"
               "C++17, Qt 6, QCustomPlot, OpenCV, Eigen; its own training core with "
               "hand-written backpropagation.<br><br>%2")
        .arg(buildVersion(), facts);
}

std::string qtVersionLine() {
    return std::string("Qt: ") + qVersion() + " (built with " QT_VERSION_STR ")\n";
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu("&File");
    file->addAction("&Open model file…", QKeySequence::Open, this, [this] {
        const QString path =
            QFileDialog::getOpenFileName(this, "Open a model file", {},
                                         "Models (*.json *.onnx);;LayerLens models (*.json);;ONNX "
                                         "models (*.onnx);;All files (*)");
        if (!path.isEmpty()) openModelFile(path);
    });
    file->addAction("Open &checkpoint…", this, [this] {
        if (isTraining()) return showError("stop training before opening a checkpoint");
        const QString path = QFileDialog::getOpenFileName(this, "Open a checkpoint", {},
                                                          "LayerLens checkpoints (*.llck)");
        if (path.isEmpty()) return;
        addRecent(path);
        openCheckpoint(path);
    });
    file->addAction("&Save checkpoint…", QKeySequence::Save, this, [this] {
        if (isTraining()) return showError("stop or finish training before saving a checkpoint");
        const QString path = QFileDialog::getSaveFileName(
            this, "Save checkpoint", m_info.model + ".llck", "LayerLens checkpoints (*.llck)");
        if (path.isEmpty()) return;
        addRecent(path);
        toWorker([path](TrainingWorker* w) { w->saveCheckpoint(path); });
    });
    QMenu* exp = file->addMenu("&Export");
    auto plotExport = [this](Plot* p, const QString& name) {
        exportPlotInteractively(p, this, name);
    };
    exp->addAction("Model as &ONNX…", this, [this] {
        if (isTraining()) return showError("stop or finish training before exporting the model");
        const QString path = QFileDialog::getSaveFileName(
            this, "Export the model as ONNX", m_info.model + ".onnx", "ONNX models (*.onnx)");
        if (!path.isEmpty()) exportModelAsOnnx(path);
    });
    exp->addSeparator();
    exp->addAction("Loss plot…", this, [=] { plotExport(m_training->lossPlot(), "loss"); });
    exp->addAction("Accuracy plot…", this,
                   [=] { plotExport(m_training->accuracyPlot(), "accuracy"); });
    exp->addAction("Gradient-norm plot…", this,
                   [=] { plotExport(m_training->gradientPlot(), "gradient-norms"); });
    exp->addAction("Feature maps…", this,
                   [this] { exportWidgetInteractively(m_layers->grid(), this, "feature-maps"); });
    exp->addAction("Input with receptive field…", this, [this] {
        exportWidgetInteractively(m_layers->inputView(), this, "receptive-field");
    });
    exp->addAction("Lab maps…", this,
                   [this] { exportWidgetInteractively(m_lab->outputGrid(), this, "lab-maps"); });
    exp->addAction("Cost chart…", this, [=] { plotExport(m_cost->chart(), "costs"); });
    exp->addAction("Confusion matrix…", this,
                   [=] { plotExport(m_insight->heatmap(), "confusion-matrix"); });
    exp->addAction("Misclassified images…", this, [this] {
        exportWidgetInteractively(m_insight->gallery(), this, "misclassified");
    });
    exp->addAction("Weight histogram…", this,
                   [=] { plotExport(m_insight->weightHistogram(), "weight-histogram"); });
    exp->addAction("Gradient histogram…", this,
                   [=] { plotExport(m_insight->gradientHistogram(), "gradient-histogram"); });
    exp->addAction("Experiment summary chart…", this,
                   [=] { plotExport(m_experimentView->chart(), "experiment"); });
    exp->addAction("Experiment gradient norms per layer…", this, [=] {
        plotExport(m_experimentView->normsChart(), "experiment-gradient-norms");
    });
    exp->addAction("Units grid (top-k and optimized inputs)…", this,
                   [this] { exportWidgetInteractively(m_units->grid(), this, "units"); });
    exp->addAction("Units ascent curve…", this,
                   [=] { plotExport(m_units->curvePlot(), "activation-ascent"); });
    exp->addSeparator();
    exp->addAction("Metrics as CSV…", this, [this] {
        const QString path =
            QFileDialog::getSaveFileName(this, "Export metrics", "metrics.csv", "CSV (*.csv)");
        if (!path.isEmpty() && !writeText(path, metricsCsv())) showError("could not write " + path);
    });
    exp->addAction("Cost table as CSV…", this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, "Export cost table", m_info.model + "-costs.csv", "CSV (*.csv)");
        if (!path.isEmpty() && !writeText(path, m_cost->csv()))
            showError("could not write " + path);
    });
    exp->addAction("Experiment summary as Markdown…", this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, "Export experiment summary",
                                                          "experiment.md", "Markdown (*.md)");
        if (!path.isEmpty() && !writeText(path, m_experimentView->markdown()))
            showError("could not write " + path);
    });
    exp->addAction("Units summary as Markdown…", this, [this] {
        const QString path = QFileDialog::getSaveFileName(this, "Export the units summary",
                                                          "units.md", "Markdown (*.md)");
        if (!path.isEmpty() && !writeText(path, m_units->markdown()))
            showError("could not write " + path);
    });
    exp->addAction("Cost table as Markdown…", this, [this] {
        const QString path = QFileDialog::getSaveFileName(
            this, "Export cost table", m_info.model + "-costs.md", "Markdown (*.md)");
        if (!path.isEmpty() && !writeText(path, m_cost->markdown()))
            showError("could not write " + path);
    });
    file->addAction("Download &MNIST…", this, [this] { downloadData("mnist"); });
    file->addAction("Download CIFAR-&10…", this, [this] { downloadData("cifar10"); });
    m_recent = file->addMenu("&Recent files");
    refreshRecent();
    file->addSeparator();
    file->addAction("&Quit", QKeySequence::Quit, this, &QWidget::close);

    QMenu* run = menuBar()->addMenu("&Run");
    run->addAction("&Train", QKeySequence("Ctrl+T"), this, &MainWindow::startTraining);
    run->addAction("&Pause / resume", QKeySequence("Ctrl+P"), this, &MainWindow::pauseOrResume);
    run->addAction("&Step one batch", QKeySequence("Ctrl+J"), this, &MainWindow::stepOnce);
    run->addAction("Sto&p", QKeySequence("Ctrl+K"), this, &MainWindow::stopTraining);
    run->addSeparator();
    QAction* tensorboard = run->addAction("Write &TensorBoard logs");
    tensorboard->setCheckable(true);
    tensorboard->setToolTip(
        "Each run also writes a TensorBoard log in its run folder (tensorboard/): tensorboard "
        "--logdir on the runs folder shows them all, live");
    tensorboard->setChecked(QSettings().value("writeTensorBoard", false).toBool());
    m_run->setWriteTensorBoard(tensorboard->isChecked());
    connect(tensorboard, &QAction::toggled, this, [this](bool on) {
        QSettings().setValue("writeTensorBoard", on);
        m_run->setWriteTensorBoard(on);
    });

    QMenu* experiments = menuBar()->addMenu("&Experiments");
    for (const std::string& e : experimentNames()) {
        const QString name = QString::fromStdString(e);
        std::string explain;
        experimentVariants(e, explain);
        QAction* a = experiments->addAction(name, this, [this, name] { runExperiment(name); });
        a->setToolTip(QString::fromStdString(explain));
        a->setStatusTip(QString::fromStdString(explain));
    }
    experiments->addSeparator();
    QAction* fold = experiments->addAction("Fold batch norm of the current model", this,
                                           &MainWindow::checkBatchNormFolding);
    fold->setToolTip(
        "Folds every BatchNorm that follows a Conv2d or Linear into it and compares the outputs "
        "on the test set: same outputs, fewer layers");
    experiments
        ->addAction("Apply activations after max-pooling of the current model", this,
                    &MainWindow::checkActivationSwap)
        ->setToolTip(
            "Moves every monotonic activation (ReLU, sigmoid, tanh) that feeds a "
            "max-pool after it and compares the outputs on the test set: same outputs, "
            "fewer activation evaluations");
    experiments->setToolTipsVisible(true);

    QMenu* view = menuBar()->addMenu("&View");
    for (int i = 0; i < m_tabs->count(); ++i) {
        view->addAction(m_tabs->tabText(i), QKeySequence(QString("Ctrl+%1").arg(i + 1)), this,
                        [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    view->addAction(findChild<QDockWidget*>("setupDock")->toggleViewAction());
    view->addAction(findChild<QDockWidget*>("runsDock")->toggleViewAction());
    view->addAction("Reset layout", this, &MainWindow::resetLayout);
    view->addAction("Next layer (PgDn)", this, [this] { m_layers->nextLayer(); });
    view->addAction("Previous layer (PgUp)", this, [this] { m_layers->previousLayer(); });

    QMenu* help = menuBar()->addMenu("&Help");
    help->addAction("&Keyboard shortcuts", this, [this] {
        QMessageBox::information(
            this, "Keyboard shortcuts",
            "Ctrl+T  train\nCtrl+P  pause / resume\nCtrl+J  one batch while paused\nCtrl+K  stop\n"
            "Ctrl+1…7  Training / Layers / Cost / Insight / Experiment / Graph / Units\nPgUp/PgDn "
            "or ←/→  "
            "previous "
            "/ next layer (Layers "
            "tab)\n"
            "Mouse wheel / drag  zoom / pan a plot; double-click  reset the view\nRight-click  "
            "export a plot or image");
    });
    help->addAction("&About LayerLens", this,
                    [this] { QMessageBox::about(this, "About LayerLens", aboutText()); });
}

}  // namespace ll::ui
