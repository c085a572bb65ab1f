#include "ui/main_window.h"

#include <QAction>
#include <QApplication>
#include <QClipboard>
#include <QCloseEvent>
#include <QDateTime>
#include <QDockWidget>
#include <QFile>
#include <QFileDialog>
#include <QFileInfo>
#include <QLabel>
#include <QListWidget>
#include <QMenuBar>
#include <QMessageBox>
#include <QPointer>
#include <QProgressDialog>
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

#include "core/data/download.h"
#include "core/data/file_io.h"
#include "core/data/synthetic.h"
#include "core/experiments.h"
#include "core/model_file.h"
#include "ui/cost_view.h"
#include "ui/experiment_view.h"
#include "ui/image_views.h"
#include "ui/insight_view.h"
#include "ui/layers_view.h"
#include "ui/plot.h"
#include "ui/plot_export.h"
#include "ui/runs_panel.h"
#include "ui/setup_panel.h"
#include "ui/training_view.h"

namespace ll::ui {

namespace {

// A preset, or a model file that is (still) there.
bool modelAvailable(const QString& model) {
    const auto presets = presetNames();
    return std::find(presets.begin(), presets.end(), model.toStdString()) != presets.end() ||
           QFileInfo::exists(model);
}
void registerTypes() {
    qRegisterMetaType<ll::ui::ModelInfo>();
    qRegisterMetaType<ll::ui::BatchPoints>();
    qRegisterMetaType<ll::ui::InspectRequest>();
    qRegisterMetaType<ll::ui::InspectSnapshot>();
    qRegisterMetaType<ll::ui::ConfusionSnapshot>();
    qRegisterMetaType<ll::ui::HistogramSnapshot>();
    qRegisterMetaType<ll::ui::RunSettings>();
    qRegisterMetaType<ll::EvalReport>();
    qRegisterMetaType<ll::EpochReport>();
}

bool writeText(const QString& path, const QString& text) {
    QFile f(path);
    if (!f.open(QIODevice::WriteOnly | QIODevice::Text)) return false;
    QTextStream(&f) << text;
    return true;
}
}  // namespace

MainWindow::MainWindow(QWidget* parent) : QMainWindow(parent) {
    registerTypes();
    setWindowTitle("LayerLens");
    m_worker = new TrainingWorker;
    m_worker->moveToThread(&m_thread);
    connect(&m_thread, &QThread::finished, m_worker, &QObject::deleteLater);
    m_thread.setObjectName("training");
    m_thread.start();

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
    connect(m_runs, &RunsPanel::rootChosen, this,
            [](const QString& root) { QSettings().setValue("runsRoot", root); });

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

    // Worker → window (queued: the worker lives in another thread).
    connect(m_worker, &TrainingWorker::modelReady, this, [this](const ModelInfo& info) {
        m_info = info;
        m_layers->setModel(info);
        m_cost->setModel(info);
        setWindowTitle(QString("LayerLens — %1 on %2").arg(info.model, info.dataset));
        showMessage(QString("%1: %2 training / %3 test images from %4")
                        .arg(info.dataset)
                        .arg(info.trainSize)
                        .arg(info.testSize)
                        .arg(info.dataSource));
        emit modelLoaded();
    });
    connect(m_runs, &RunsPanel::sameStartRequested, this, &MainWindow::sameStartAs);
    connect(m_runs, &RunsPanel::openRequested, this, &MainWindow::openRun);
    connect(m_runs, &RunsPanel::overlaysChanged, this,
            [this] { m_training->setOverlays(m_runs->checkedRuns()); });
    connect(m_worker, &TrainingWorker::batches, this, [this](const BatchPoints& p) {
        m_training->addBatches(p);
        if (m_runLog)
            for (const BatchReport& r : p.batches)
                m_runLog->appendBatch(r);
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
        const BatchReport& r = m_lastBatch;
        m_lastImagesPerSecond = r.imagesPerSecond;
        const int epochs = m_setup->settings().config.epochs;
        const double done = ((r.epoch - 1) * static_cast<double>(r.batchesPerEpoch) + r.batch) /
                            (static_cast<double>(r.batchesPerEpoch) * epochs);
        const double elapsed = m_runClock.elapsed() / 1000.0;
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
    connect(m_worker, &TrainingWorker::evaluated, this, [this](const EvalReport& e) {
        m_training->addEval(e);
        if (m_runLog) m_runLog->appendEval(e);
    });
    connect(m_worker, &TrainingWorker::epochDone, this, [this](const EpochReport& e) {
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
        m_lastEpoch = e;
        if (m_runLog) m_runLog->appendEpoch(e);
        emit epochReported(line);
    });
    connect(m_worker, &TrainingWorker::inspected, this, [this](const InspectSnapshot& s) {
        ++m_snapshots;
        m_layers->showSnapshot(s);
    });
    connect(m_worker, &TrainingWorker::started, this, [this] {
        m_running = true;
        m_paused = false;
        m_setup->setRunning(true, false);
        // The number of training images the run really has (a subset given as a fraction
        // becomes a count here), so Same start can ask for exactly that subset again.
        if (m_runLog) {
            const std::string path = m_runLog->dir() + "/config.json";
            try {
                std::ifstream in(path);
                auto c = nlohmann::ordered_json::parse(in);
                c["train_images"] = m_info.trainSize;
                writeFileAtomic(path, c.dump(2) + "\n");
            } catch (const std::exception& e) {
                showMessage(QString("could not complete the run's config.json: %1").arg(e.what()));
            }
        }
    });
    connect(m_worker, &TrainingWorker::finished, this, [this](const QString& how) {
        m_running = false;
        m_paused = false;
        m_setup->setRunning(false, false);
        m_continue = false;
        m_lastImagesPerSecond = m_lastBatch.imagesPerSecond;
        if (m_runLog) {
            // The run's final weights, saved in its folder before anything else runs.
            const QString ckpt = QString::fromStdString(runCheckpointPath(m_runLog->dir()));
            // Queued directly, ahead of any setup the panel scheduled: these are the weights of
            // the run that just ended.
            QMetaObject::invokeMethod(
                m_worker, [w = m_worker, ckpt] { w->saveCheckpoint(ckpt, true); },
                Qt::QueuedConnection);
        }
        m_runs->refresh();
        if (!m_experiment.isEmpty()) {
            m_experimentRuns << currentRunDir();
            if (how == "completed") {
                RunData run;
                try {
                    run = loadRun(currentRunDir().toStdString());
                } catch (const std::exception& e) {
                    showMessage(QString("could not read the run back: %1").arg(e.what()));
                }
                m_experimentView->addResult(m_currentVariant, m_lastEpoch,
                                            m_runClock.elapsed() / 1000.0, run);
                // Same outputs, fewer layers: the trained net with batch norm, before the next
                // variant replaces it.
                if (m_experiment == "batchnorm" && m_currentVariant == "with-bn")
                    QMetaObject::invokeMethod(
                        m_worker, [w = m_worker] { w->checkBatchNormFold(); },
                        Qt::QueuedConnection);
                QTimer::singleShot(0, this, [this] { startNextQueued(); });
            } else {
                m_queue.clear();
                m_experiment.clear();
            }
        }
        m_status->setText(
            QString("run %1 (%2 images/s)").arg(how).arg(m_lastImagesPerSecond, 0, 'f', 0));
        showMessage(QString("run %1").arg(how));
        emit runFinished(how);
    });
    // A failure outside a run (a setup, a checkpoint, an inspection) is only shown: it may be a
    // stale one from a setup the panel asked for before a run started.
    connect(m_worker, &TrainingWorker::failed, this, &MainWindow::showError);
    connect(m_worker, &TrainingWorker::runFailed, this, [this](const QString& msg) {
        m_queue.clear();  // an experiment stops at its first failure
        m_experiment.clear();
        m_running = false;
        m_paused = false;
        m_setup->setRunning(false, false);
        showError(msg);
        emit runFinished("failed");
    });
    connect(m_worker, &TrainingWorker::message, this, &MainWindow::showMessage);
    connect(m_worker, &TrainingWorker::foldChecked, this,
            [this](const QString& model, const QStringList& lines, const QString& error) {
                m_experimentView->setFoldCheck(model, lines, error);
                showMessage(error.isEmpty() ? "batch-norm folding checked: see the Experiment tab"
                                            : "batch-norm folding: " + error);
                emit foldChecked(error);
            });
    connect(m_worker, &TrainingWorker::confusion, m_insight, &InsightView::setConfusion);
    connect(m_worker, &TrainingWorker::histograms, m_insight, &InsightView::addHistograms);
    connect(m_layers, &LayersView::inspectionRequested, this,
            [this](const InspectRequest& r) { m_worker->requestInspection(r); });

    // Window → worker.
    connect(m_setup->trainButton(), &QPushButton::clicked, this, &MainWindow::startTraining);
    connect(m_setup->pauseButton(), &QPushButton::clicked, this, &MainWindow::pauseOrResume);
    connect(m_setup->stepButton(), &QPushButton::clicked, this, &MainWindow::stepOnce);
    connect(m_setup->stopButton(), &QPushButton::clicked, this, &MainWindow::stopTraining);
    connect(m_setup, &SetupPanel::learningRateEdited, this, [this](double lr) {
        if (m_running) m_worker->control().setLearningRate(static_cast<float>(lr));
    });
    connect(m_setup, &SetupPanel::modelOrDataChanged, this, [this](bool dataChanged) {
        if (m_running && !confirmStopFor("Changing the model or data")) return;
        if (m_running) stopTraining();
        if (dataChanged) m_preloaded.reset();
        QSettings().setValue("lastDataDir", m_setup->dataDir());
        loadSetup();
    });

    QSettings settings;
    resize(1360, 860);
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
    const RunSettings s = currentSettings();
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, s] { w->setup(s); }, Qt::QueuedConnection);
}

void MainWindow::toWorker(std::function<void(TrainingWorker*)> work) {
    flushPendingSetup();  // a checkpoint or a check is for the net the panel now shows
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, work = std::move(work)] { work(w); }, Qt::QueuedConnection);
}

void MainWindow::startTraining() {
    startRun(currentSettings(), QString());
}

void MainWindow::startRun(const RunSettings& rs, const QString& runName) {
    if (m_running) return;
    m_setupPending = false;  // the run loads its own model and data
    if (!m_lastError.isEmpty()) m_banner->hide();
    m_lastError.clear();
    m_training->reset();
    m_insight->clearHistograms();
    m_training->setOverlays(m_runs->checkedRuns());
    m_runClock.start();
    // Every run is saved as it goes: its settings now, its metrics line by line.
    {
        DataOptions record = rs.data;
        if (rs.preloaded) record.dataset = "(in memory)";
        const QString name =
            (runName.isEmpty() ? QFileInfo(rs.model).completeBaseName() : runName) + "-" +
            QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
        try {
            m_runLog = std::make_unique<RunLog>(
                RunLog::create(m_runs->root().toStdString(), name.toStdString(),
                               runConfigJson(rs.model.toStdString(), "", record, rs.config)));
        } catch (const std::exception& e) {
            m_runLog.reset();
            showError(QString("the run will not be saved: %1").arg(e.what()));
        }
    }
    m_running = true;  // until started/failed arrives, so a second click does nothing
    m_setup->setRunning(true, false);
    const RunSettings s = rs;
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, s] { w->train(s); }, Qt::QueuedConnection);
}

QString MainWindow::applyRunSettings(const RunData& run) {
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
    if (m_running) return showError("stop training before opening a run");
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
    if (m_running) return showError("stop or finish training before checking batch-norm folding");
    m_tabs->setCurrentWidget(m_experimentView);
    toWorker([](TrainingWorker* w) { w->checkBatchNormFold(); });
}

void MainWindow::runExperiment(const QString& name) {
    if (m_running) return showError("stop the current run before starting an experiment");
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
    m_queue.clear();
    m_experimentRuns.clear();
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
        m_queue.push_back({r, QString("%1-%2").arg(name, QString::fromStdString(v.name))});
    }
    m_experiment = name;
    m_experimentView->start(name, QString::fromStdString(explain));
    showNotice(QString("<b>Experiment %1</b>: %2 %3 runs from the same start (seed %4), each saved "
                       "and overlaid when done.%5")
                   .arg(name, QString::fromStdString(explain).toHtmlEscaped())
                   .arg(m_queue.size())
                   .arg(panel.config.seed)
                   .arg(recommended > 0 ? QString(" Each trains %1 epochs, what the effect needs "
                                                  "(not the panel's epochs).")
                                              .arg(recommended)
                                        : QString()));
    startNextQueued();
}

void MainWindow::startNextQueued() {
    if (m_queue.empty()) {
        if (m_experiment.isEmpty()) return;
        m_runs->checkRuns(m_experimentRuns);  // overlay every run of the experiment
        emit experimentFinished(m_experiment);
        m_experiment.clear();
        return;
    }
    const auto [settings, runName] = m_queue.front();
    m_queue.erase(m_queue.begin());
    m_currentVariant = runName.mid(m_experiment.size() + 1);  // "optimizers-adam" → "adam"
    startRun(settings, runName);
}

void MainWindow::pauseOrResume() {
    if (!m_running) return;
    m_paused = !m_paused;
    if (m_paused) {
        m_worker->control().pause();
    } else {
        m_worker->control().resume();
    }
    m_setup->setRunning(true, m_paused);
    m_status->setText(m_paused ? "paused (Step trains one batch)" : "training");
}

void MainWindow::stepOnce() {
    if (m_running && m_paused) m_worker->control().step(1);
}

void MainWindow::stopTraining() {
    if (m_running) m_worker->control().requestStop();
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

void MainWindow::shutdown() {
    if (m_shutDown) return;
    m_shutDown = true;
    if (m_download) {
        *m_cancelDownload = true;
        m_download->wait();
    }
    m_worker->control().requestStop();
    m_thread.quit();
    m_thread.wait();
}

void MainWindow::closeEvent(QCloseEvent* e) {
    QSettings settings;
    settings.setValue("geometry", saveGeometry());
    settings.setValue("windowState", saveState());
    settings.setValue("lastDataDir", m_setup->dataDir());
    settings.setValue("lastModel", m_setup->model());
    shutdown();
    e->accept();
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

void MainWindow::showNotice(const QString& text) {
    m_banner->setStyleSheet(
        "QLabel { background: #e3f0fb; color: #0b3a5e; padding: 6px; border: 1px solid #9cc3e6; }");
    m_banner->setText(text);
    m_banner->show();
}

void MainWindow::showError(const QString& message) {
    m_lastError = message;
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
    return m_runLog ? QString::fromStdString(m_runLog->dir()) : QString();
}

QString MainWindow::metricsCsv() const {
    return m_training->metricsCsv();
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
                toWorker([path](TrainingWorker* w) { w->loadCheckpoint(path); });
                m_continue = true;
            } else {
                m_setup->setModel(path);
            }
        });
    }
    m_recent->setEnabled(!list.isEmpty());
}

void MainWindow::buildMenus() {
    QMenu* file = menuBar()->addMenu("&File");
    file->addAction("&Open model file…", QKeySequence::Open, this, [this] {
        const QString path = QFileDialog::getOpenFileName(
            this, "Open a model file", {}, "LayerLens models (*.json);;All files (*)");
        if (path.isEmpty()) return;
        if (m_running && !confirmStopFor("Opening another model")) return;
        addRecent(path);
        m_setup->setModel(path);
    });
    file->addAction("Open &checkpoint…", this, [this] {
        if (m_running) return showError("stop training before opening a checkpoint");
        const QString path = QFileDialog::getOpenFileName(this, "Open a checkpoint", {},
                                                          "LayerLens checkpoints (*.llck)");
        if (path.isEmpty()) return;
        addRecent(path);
        m_continue = true;
        toWorker([path](TrainingWorker* w) { w->loadCheckpoint(path); });
    });
    file->addAction("&Save checkpoint…", QKeySequence::Save, this, [this] {
        if (m_running) return showError("stop or finish training before saving a checkpoint");
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
    experiments->setToolTipsVisible(true);

    QMenu* view = menuBar()->addMenu("&View");
    for (int i = 0; i < m_tabs->count(); ++i) {
        view->addAction(m_tabs->tabText(i), QKeySequence(QString("Ctrl+%1").arg(i + 1)), this,
                        [this, i] { m_tabs->setCurrentIndex(i); });
    }
    view->addSeparator();
    view->addAction(findChild<QDockWidget*>("setupDock")->toggleViewAction());
    view->addAction("Next layer (PgDn)", this, [this] { m_layers->nextLayer(); });
    view->addAction("Previous layer (PgUp)", this, [this] { m_layers->previousLayer(); });

    QMenu* help = menuBar()->addMenu("&Help");
    help->addAction("&Keyboard shortcuts", this, [this] {
        QMessageBox::information(
            this, "Keyboard shortcuts",
            "Ctrl+T  train\nCtrl+P  pause / resume\nCtrl+J  one batch while paused\nCtrl+K  stop\n"
            "Ctrl+1…5  Training / Layers / Cost / Insight / Experiment\nPgUp/PgDn or ←/→  previous "
            "/ next layer (Layers "
            "tab)\n"
            "Mouse wheel / drag  zoom / pan a plot; double-click  reset the view\nRight-click  "
            "export a plot or image");
    });
    help->addAction("&About LayerLens", this, [this] {
        QMessageBox::about(this, "About LayerLens",
                           "<b>LayerLens</b><br>See inside a neural network while it trains.<br>"
                           "C++17, Qt 6, QCustomPlot, OpenCV, Eigen; its own training core with "
                           "hand-written backpropagation.");
    });
}

}  // namespace ll::ui
