#include "ui/run_controller.h"

#include <QCoreApplication>
#include <QDateTime>
#include <QDir>
#include <QEvent>
#include <QFileInfo>
#include <QMetaObject>
#include <QTimer>
#include <fstream>

#include <nlohmann/json.hpp>

#include "core/data/file_io.h"
#include "core/data/synthetic.h"
#include "core/error.h"
#include "core/experiments.h"
#include "ui/thread_handoff.h"

namespace ll::ui {

namespace {
void registerTypes() {
    qRegisterMetaType<ll::ui::ModelInfo>();
    qRegisterMetaType<ll::ui::BatchPoints>();
    qRegisterMetaType<ll::ui::InspectRequest>();
    qRegisterMetaType<ll::ui::InspectSnapshot>();
    qRegisterMetaType<ll::ui::ConfusionSnapshot>();
    qRegisterMetaType<ll::ui::HistogramSnapshot>();
    qRegisterMetaType<ll::ui::NetCopy>();
    qRegisterMetaType<ll::ui::ModelIdentities>();
    qRegisterMetaType<ll::ui::RunSettings>();
    qRegisterMetaType<ll::EvalReport>();
    qRegisterMetaType<ll::EpochReport>();
}
}  // namespace

RunController::RunController(QObject* parent) : QObject(parent) {
    registerTypes();
    m_worker = new TrainingWorker;
    m_worker->moveToThread(&m_thread);
    m_thread.setObjectName("training");
    // Worker → controller, queued: the worker lives in the other thread. The receiver is this
    // object, so what the worker sent before quit() joined it can be delivered then, and
    // nothing of it ever reaches a worker that is gone.
    connect(m_worker, &TrainingWorker::modelReady, this, [this](const ModelInfo& info) {
        m_info = info;
        m_hasModel = true;
        if (info.setupId > 0 && m_loadsInFlight > 0) --m_loadsInFlight;
        if (m_state == State::Loading && m_loadsInFlight == 0) setState(State::Ready);
        emit modelReady(info);
    });
    connect(m_worker, &TrainingWorker::setupFailed, this, [this](int id, const QString& msg) {
        if (m_loadsInFlight > 0) --m_loadsInFlight;
        if (m_state == State::Loading && m_loadsInFlight == 0) setState(idleState());
        emit setupFailed(id, msg);
    });
    connect(m_worker, &TrainingWorker::batches, this, [this](const BatchPoints& p) {
        if (m_runLog)
            for (const BatchReport& r : p.batches)
                m_runLog->appendBatch(r);
        if (!p.batches.isEmpty()) {
            m_lastBatch = p.batches.back();
            m_progressDue = true;
        }
        emit batches(p);
    });
    auto* progressTimer = new QTimer(this);
    progressTimer->setInterval(200);
    connect(progressTimer, &QTimer::timeout, this, [this] {
        if (!m_progressDue) return;
        m_progressDue = false;
        const BatchReport& r = m_lastBatch;
        const double done = ((r.epoch - 1) * static_cast<double>(r.batchesPerEpoch) + r.batch) /
                            (static_cast<double>(r.batchesPerEpoch) * std::max(1, m_runEpochs));
        // A run's last batches, reported after it ended: the bars show where it ended (a
        // completed run's at 100%, not at the tick before its end), with no time left.
        const bool running = isRunning();
        emit progress(r, m_runEpochs, running && done > 0 ? runSeconds() * (1 - done) / done : -1);
    });
    progressTimer->start();
    connect(m_worker, &TrainingWorker::evaluated, this, [this](const EvalReport& e) {
        if (m_runLog) m_runLog->appendEval(e);
        emit evaluated(e);
    });
    connect(m_worker, &TrainingWorker::epochDone, this, [this](const EpochReport& e) {
        m_lastEpoch = e;
        if (m_runLog) m_runLog->appendEpoch(e);
        emit epochDone(e);
    });
    connect(m_worker, &TrainingWorker::inspected, this, &RunController::inspected);
    connect(m_worker, &TrainingWorker::confusion, this, &RunController::confusion);
    connect(m_worker, &TrainingWorker::histograms, this, &RunController::histograms);
    connect(m_worker, &TrainingWorker::started, this, &RunController::onStarted);
    connect(m_worker, &TrainingWorker::finished, this, &RunController::onFinished);
    connect(m_worker, &TrainingWorker::runFailed, this, &RunController::onRunFailed);
    connect(m_worker, &TrainingWorker::failed, this, &RunController::failed);
    connect(m_worker, &TrainingWorker::message, this, &RunController::message);
    connect(m_worker, &TrainingWorker::foldChecked, this, &RunController::foldChecked);
    connect(m_worker, &TrainingWorker::inputSizeNeeded, this, &RunController::inputSizeNeeded);
    connect(m_worker, &TrainingWorker::modelIdentitiesChecked, this,
            &RunController::modelIdentitiesChecked);
    connect(m_worker, &TrainingWorker::netCopied, this, &RunController::netCopied);
    m_thread.start();
}

RunController::~RunController() {
    quit(QuitMode::Save);
}

QString RunController::stateName(State s) {
    switch (s) {
        case State::Idle:
            return "idle";
        case State::Loading:
            return "loading";
        case State::Ready:
            return "ready";
        case State::Training:
            return "training";
        case State::Paused:
            return "paused";
        case State::Stopping:
            return "stopping";
        case State::Closed:
            return "closed";
    }
    return {};
}

bool RunController::isRunning() const {
    return m_state == State::Training || m_state == State::Paused || m_state == State::Stopping;
}

void RunController::setState(State s) {
    if (s == m_state) return;
    m_state = s;
    emit stateChanged(s);
}

QString RunController::currentRunDir() const {
    return m_runLog ? QString::fromStdString(m_runLog->dir()) : m_lastRunDir;
}

bool RunController::load(const RunSettings& settings) {
    if (!m_worker) return false;
    // While a run stops, the worker loads after it: the state says Loading once it has ended.
    ++m_loadsInFlight;
    if (!isRunning()) setState(State::Loading);
    handOver(Handoff::ToWorker);
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, settings] { w->setup(settings); }, Qt::QueuedConnection);
    return true;
}

bool RunController::train(const RunSettings& settings, const QString& runName) {
    if (!m_worker || isRunning()) return false;
    RunSettings s = settings;
    s.setupId = 0;
    // Every run is saved as it goes: its settings now, its metrics line by line, its final
    // weights when it ends (the worker writes them before it says finished).
    m_runLog.reset();
    m_lastRunDir.clear();
    {
        DataOptions record = s.data;
        if (s.preloaded) record.dataset = "(in memory)";
        const QString name = (runName.isEmpty() ? QFileInfo(s.model).completeBaseName() : runName) +
                             "-" + QDateTime::currentDateTime().toString("yyyyMMdd-HHmmss");
        try {
            m_runLog = std::make_unique<RunLog>(
                RunLog::create(m_runsRoot.toStdString(), name.toStdString(),
                               runConfigJson(s.model.toStdString(), "", record, s.config)));
            s.finalCheckpoint = QString::fromStdString(runCheckpointPath(m_runLog->dir()));
            if (m_writeTensorBoard)
                s.tensorboardDir = QString::fromStdString(m_runLog->dir()) + "/tensorboard";
        } catch (const std::exception& e) {
            m_runLog.reset();
            emit failed(QString("the run will not be saved: %1").arg(e.what()));
        }
    }
    m_runStarted = false;
    m_lastEpoch = EpochReport();
    m_lastBatch = BatchReport();
    m_progressDue = false;
    m_runEpochs = s.config.epochs;
    m_runClock.start();
    // Reset here, not in the worker: a stop asked for while the run loads stops it at once.
    m_worker->control().reset();
    m_worker->setSaveFinal(true);
    setState(State::Training);
    handOver(Handoff::ToWorker);
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, s] { w->train(s); }, Qt::QueuedConnection);
    return true;
}

void RunController::onStarted() {
    m_runStarted = true;
    // The number of training images the run really has (a subset given as a fraction becomes a
    // count here), so Same start can ask for exactly that subset again.
    if (m_runLog) {
        const std::string path = m_runLog->dir() + "/config.json";
        try {
            std::ifstream in(path);
            auto c = nlohmann::ordered_json::parse(in);
            c["train_images"] = m_info.trainSize;
            writeFileAtomic(path, c.dump(2) + "\n");
        } catch (const std::exception& e) {
            emit message(QString("could not complete the run's config.json: %1").arg(e.what()));
        }
    }
    emit runStarted(currentRunDir());
}

void RunController::onFinished(const QString& how) {
    if (m_runLog) m_lastRunDir = QString::fromStdString(m_runLog->dir());
    m_hasModel = true;
    if (m_state != State::Closed) setState(m_loadsInFlight > 0 ? State::Loading : State::Ready);
    emit runFinished(how);
    if (m_experiment.isEmpty()) return;
    m_experimentRuns << currentRunDir();
    if (how == "completed" && !m_quitting) {
        emit variantFinished(m_variant, currentRunDir());
        // Same outputs, fewer layers: the trained net with batch norm folded, checked before the
        // next variant replaces it (as `layerlens experiment batchnorm` does).
        if (m_experiment == "batchnorm" && m_variant == "with-bn")
            toWorker([](TrainingWorker* w) { w->checkBatchNormFold(); });
        // After what was queued on the worker (a check of this variant's net).
        QTimer::singleShot(0, this, &RunController::startNextQueued);
    } else {
        m_queue.clear();
        m_experiment.clear();
    }
}

void RunController::onRunFailed(const QString& msg) {
    if (!m_runStarted && m_runLog) {
        // The run never started (its model or data did not load): no folder for it.
        QDir(QString::fromStdString(m_runLog->dir())).removeRecursively();
        m_runLog.reset();
    }
    if (m_runLog) m_lastRunDir = QString::fromStdString(m_runLog->dir());
    m_queue.clear();  // an experiment stops at its first failure
    m_experiment.clear();
    if (m_state != State::Closed) setState(m_loadsInFlight > 0 ? State::Loading : idleState());
    emit runFailed(msg);
    emit runFinished("failed");
}

void RunController::pauseOrResume() {
    if (!m_worker) return;
    if (m_state == State::Training) {
        m_worker->control().pause();
        setState(State::Paused);
    } else if (m_state == State::Paused) {
        m_worker->control().resume();
        setState(State::Training);
    }
}

void RunController::step() {
    if (m_worker && m_state == State::Paused) m_worker->control().step(1);
}

void RunController::stop() {
    if (!m_worker || (m_state != State::Training && m_state != State::Paused)) return;
    m_queue.clear();  // Stop ends an experiment too
    m_worker->control().requestStop();
    setState(State::Stopping);
}

void RunController::setLearningRate(float lr) {
    if (m_worker && isRunning()) m_worker->control().setLearningRate(lr);
}

void RunController::requestInspection(const InspectRequest& r) {
    if (m_worker) m_worker->requestInspection(r);
}

void RunController::requestNetCopy() {
    if (m_worker) m_worker->requestNetCopy();
}

void RunController::toWorker(std::function<void(TrainingWorker*)> work) {
    if (!m_worker) return;
    handOver(Handoff::ToWorker);
    QMetaObject::invokeMethod(
        m_worker, [w = m_worker, work = std::move(work)] { work(w); }, Qt::QueuedConnection);
}

bool RunController::runExperiment(const QString& name,
                                  std::vector<std::pair<RunSettings, QString>> runs) {
    if (!m_worker || isRunning() || runs.empty()) return false;
    m_queue = std::move(runs);
    m_experiment = name;
    m_experimentRuns.clear();
    startNextQueued();
    return true;
}

RunController::ExperimentPlan RunController::runExperiment(const QString& name,
                                                           const RunSettings& panel,
                                                           const QString& modelDir) {
    if (!m_worker || isRunning()) throw UsageError("stop the current run before an experiment");
    ExperimentBase base;  // the panel's seed, epochs, data folder and subsets
    base.seed = panel.config.seed;
    base.fallbackEpochs = panel.config.epochs;
    base.data = [&panel](const ModelDefaults& d) {
        DataOptions o = panel.data;
        // The model's data set, unless the panel's is one every model reads (not file-based).
        if (!isSyntheticDataset(o.dataset) && o.dataset != "images") o.dataset = d.dataset;
        o.classes = d.classes;
        return o;
    };
    std::string explain;
    std::vector<std::pair<RunSettings, QString>> queue;
    QDir().mkpath(modelDir);
    for (const PlannedRun& p : planExperiment(name.toStdString(), base, explain)) {
        RunSettings r = panel;
        const QString variant = QString::fromStdString(p.variant);
        r.model = QString::fromStdString(p.model);
        if (!p.modelJson.empty()) {  // a model of its own: a file the run can name
            r.model = QString("%1/%2-%3.json").arg(modelDir, name, variant);
            writeFileAtomic(r.model.toStdString(), p.modelJson);
        }
        r.config = p.config;
        r.data = p.data;
        r.freshWeights = true;
        queue.push_back({r, QString("%1-%2").arg(name, variant)});
    }
    const ExperimentPlan plan{QString::fromStdString(explain), static_cast<int>(queue.size()),
                              experimentEpochs(name.toStdString())};
    runExperiment(name, std::move(queue));
    return plan;
}

void RunController::startNextQueued() {
    if (m_experiment.isEmpty()) return;
    if (m_queue.empty()) {
        const QString name = m_experiment;
        m_experiment.clear();
        emit experimentFinished(name, m_experimentRuns);
        return;
    }
    const auto [settings, runName] = m_queue.front();
    m_queue.erase(m_queue.begin());
    m_variant = runName.mid(m_experiment.size() + 1);  // "optimizers-adam" → "adam"
    if (!train(settings, runName)) m_experiment.clear();
}

void RunController::quit(QuitMode mode) {
    if (m_quitting || !m_worker) return;
    m_quitting = true;
    m_queue.clear();  // no next variant
    const bool running = isRunning();
    const QString runDir =
        running && m_runLog ? QString::fromStdString(m_runLog->dir()) : QString();
    m_worker->setSaveFinal(mode == QuitMode::Save);
    // The trainer checks this between batches and in its pause loop. The event loop quits after
    // the call it is in (a run, a load): work still queued for the worker is not started.
    m_worker->control().requestStop();
    if (running) setState(State::Stopping);
    m_thread.quit();
    m_thread.wait();
    // Joined: deliver what the worker sent meanwhile (the last batches into the log, finished),
    // then delete it here, where nothing else can reach it.
    QCoreApplication::sendPostedEvents(this, QEvent::MetaCall);
    delete m_worker;
    m_worker = nullptr;
    if (running && isRunning()) {
        // The run was queued but never began (quit came first), or ended without a word.
        if (!m_runStarted && m_runLog) {
            QDir(QString::fromStdString(m_runLog->dir())).removeRecursively();
            m_runLog.reset();
        } else {
            emit runFinished("stopped");
        }
    }
    if (mode == QuitMode::Discard && !runDir.isEmpty()) {
        QDir(runDir).removeRecursively();
        m_runLog.reset();
        m_lastRunDir.clear();
    }
    m_experiment.clear();
    setState(State::Closed);
}

}  // namespace ll::ui

namespace ll::ui {

bool RunController::event(QEvent* e) {
    if (e->type() == QEvent::MetaCall) takeOver(Handoff::ToWindow);  // the worker's signals
    return QObject::event(e);
}

}  // namespace ll::ui
