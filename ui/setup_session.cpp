#include "ui/setup_session.h"

#include <QFileInfo>
#include <QSettings>
#include <QTimer>
#include <algorithm>
#include <iterator>

#include "core/data/file_io.h"
#include "core/error.h"
#include "core/model_file.h"
#include "core/onnx/onnx_import.h"
#include "ui/run_controller.h"

namespace ll::ui {

namespace {
// A preset, or a model file that is (still) there.
bool modelAvailable(const QString& model) {
    const auto presets = presetNames();
    return std::find(presets.begin(), presets.end(), model.toStdString()) != presets.end() ||
           QFileInfo::exists(model);
}
}  // namespace

SetupSession::SetupSession(SetupPanel* panel, RunController* run, std::function<bool()> mayStopRun,
                           QObject* parent)
    : QObject(parent), m_panel(panel), m_run(run), m_mayStopRun(std::move(mayStopRun)) {
    connect(m_run, &RunController::modelReady, this, &SetupSession::onModelReady);
    connect(m_run, &RunController::setupFailed, this,
            [this](int id, const QString&) { onSetupFailed(id); });
    connect(m_run, &RunController::runFinished, this, [this] { m_continue = false; });
    connect(m_panel, &SetupPanel::modelOrDataChanged, this, [this](bool dataChanged) {
        if (m_run->isRunning()) {
            if (m_mayStopRun && !m_mayStopRun()) {
                // The run goes on with the model the panel showed: show it again.
                m_file.clear();
                return restore();
            }
            m_run->stop();
        }
        if (dataChanged) m_preloaded.reset();
        load();
    });
}

RunSettings SetupSession::settings() const {
    RunSettings s = m_panel->settings();
    s.preloaded = m_preloaded;
    s.freshWeights = !m_continue;
    return s;
}

void SetupSession::load(std::shared_ptr<const DataPair> preloaded) {
    if (preloaded) m_preloaded = std::move(preloaded);
    m_continue = false;
    emit loadRequested();
    // Loading each intermediate state of several changes (a model, then its data set) could fail
    // (the model with the previous model's data set) and report an error nobody asked for.
    if (m_pending) return;
    m_pending = true;
    QTimer::singleShot(0, this, &SetupSession::flush);
}

void SetupSession::flush() {
    if (!m_pending) return;  // done already, or a run started: it sets itself up
    m_pending = false;
    RunSettings s = settings();
    s.setupId = m_nextId++;
    m_sent[s.setupId] = Sent{m_panel->saveState(), m_preloaded, m_continue, m_file};
    m_file.clear();
    if (!m_run->load(s)) m_sent.erase(s.setupId);
}

void SetupSession::toWorker(std::function<void(TrainingWorker*)> work) {
    flush();
    m_run->toWorker(std::move(work));
}

void SetupSession::restore() {
    if (!m_committed) return;  // nothing loaded yet: nothing to go back to
    m_panel->restoreState(m_committed->panel);
    m_preloaded = m_committed->preloaded;
    m_continue = m_committed->continueWeights;
}

void SetupSession::onModelReady(const ModelInfo& info) {
    if (info.setupId <= 0) return;  // a run's own setup
    const auto it = m_sent.find(info.setupId);
    if (it == m_sent.end()) return;
    m_committed = it->second;
    m_sent.erase(m_sent.begin(), std::next(it));
    if (!m_committed->file.isEmpty()) emit fileLoaded(m_committed->file);
    m_committed->file.clear();
    QSettings().setValue("lastDataDir", m_committed->panel.dataDir);
}

void SetupSession::onSetupFailed(int id) {
    // Nothing changed in the worker: the panel goes back to what it has loaded, unless another
    // setup is on its way (it decides).
    m_sent.erase(m_sent.begin(), m_sent.upper_bound(id));
    if (m_sent.empty() && !m_pending) restore();
}

QString SetupSession::useDownloaded(const QString& dataset, const QString& dir) {
    m_panel->setDataDir(dir);
    m_panel->setDataset(dataset);
    m_preloaded.reset();
    load();
    return QString("%1 downloaded and verified in %2.").arg(dataset, dir.toHtmlEscaped());
}

QString SetupSession::openAtInputSize(const QString& model, const QString& answer) {
    const QString name = QFileInfo(model).fileName();
    const auto size = parseInputSize(answer.toStdString());
    if (!size)
        throw UsageError(strCat("input size '", answer.toStdString(), "' for ", name.toStdString(),
                                ": give the height and width, e.g. 224x224"));
    const auto [h, w] = *size;
    m_lastInputSize = QString("%1x%2").arg(h).arg(w);
    setOnnxInputSize(h, w);
    openModelFile(model);
    return QString("opening %1 at %2×%3 (its input size is dynamic)").arg(name).arg(h).arg(w);
}

void SetupSession::restoreLast() {
    const QSettings settings;
    const QString dir = settings.value("lastDataDir").toString();
    if (!dir.isEmpty()) m_panel->setDataDir(dir);
    // The last model, if it is still there (a preset, or a file that was not deleted since).
    const QString model = settings.value("lastModel").toString();
    if (!model.isEmpty() && modelAvailable(model)) m_panel->setModel(model);
}

void SetupSession::rememberLast() const {
    if (!m_committed) return;
    QSettings settings;
    settings.setValue("lastDataDir", m_committed->panel.dataDir);
    settings.setValue("lastModel", m_committed->panel.model);
}

void SetupSession::openModelFile(const QString& path) {
    if (m_committed && m_committed->panel.model == path && !m_pending && m_sent.empty())
        return emit fileLoaded(path);  // loaded already
    m_file = path;
    // Shown but not loaded (it failed before anything loaded, so the panel had nothing to go
    // back to): load it again, e.g. with an input size given since.
    if (m_panel->model() == path && !m_run->isRunning()) {
        load();
    } else {
        m_panel->setModel(path);  // asks to stop a run, then loads (or goes back)
    }
}

QString SetupSession::sameStartAs(const QString& runDir) {
    const RunData run = loadRun(runDir.toStdString());
    return QString(
               "Set up from run <b>%1</b>: %2 — the next run starts from the same weights and "
               "data order; change one thing and compare.")
        .arg(QString::fromStdString(run.name).toHtmlEscaped(), applyRun(run));
}

QString SetupSession::openRun(const QString& runDir) {
    const RunData run = loadRun(runDir.toStdString());
    QString text = QString("Opened run <b>%1</b> (%2): its curves are overlaid")
                       .arg(QString::fromStdString(run.name).toHtmlEscaped(), applyRun(run));
    const QString ckpt = QString::fromStdString(runCheckpointPath(run.dir));
    if (QFileInfo::exists(ckpt)) {
        // Queued after the setup the panel change asked for: the weights land on its net.
        toWorker([ckpt](TrainingWorker* w) { w->loadCheckpoint(ckpt); });
        m_continue = true;
        text +=
            "; its final weights are loaded — Layers and Insight show the trained net, Train "
            "continues from it.";
    } else {
        text +=
            "; it has no final weights (it did not end: the app was closed or crashed while it "
            "trained).";
    }
    for (const std::string& w : run.warnings)
        text += "<br>" + QString::fromStdString(w).toHtmlEscaped();
    return text;
}

QString SetupSession::applyRun(const RunData& run) {
    // Another tool's log (TensorBoard, a Lightning or Keras CSV) has curves but no settings.
    if (run.kind != "layerlens")
        throw DataError(strCat("'", run.name, "' is a ", run.kind,
                               " log: tick it to overlay its curves; it holds no model or "
                               "settings to open"));
    const RunConfig c = readRunConfig(run.configJson);
    QString model = QString::fromStdString(c.model);
    if (!modelAvailable(model)) {
        if (c.modelJson.empty())
            throw DataError(
                strCat("the run's model '", model.toStdString(), "' is no longer there"));
        const std::string file = run.dir + "/model.json";
        writeFileAtomic(file, c.modelJson);
        model = QString::fromStdString(file);
    }
    if (model != m_panel->model()) m_panel->setModel(model);
    if (!c.dataset.empty() && c.dataset != "(in memory)")
        m_panel->setDataset(QString::fromStdString(c.dataset));
    m_panel->setSeed(c.seed);
    if (c.batch) m_panel->setBatch(*c.batch);
    if (c.epochs) m_panel->setEpochs(*c.epochs);
    if (c.labelNoise) m_panel->setLabelNoise(*c.labelNoise);
    if (c.trainSubset) m_panel->setTrainingSubset(*c.trainSubset);
    if (c.training)
        m_panel->setTraining(QString::fromStdString(c.training->optimizer), c.training->lr,
                             c.training->lrSchedule, c.training->momentum, c.training->weightDecay,
                             QString::fromStdString(c.training->loss));
    return QString("model %1, seed %2").arg(model.toHtmlEscaped()).arg(c.seed);
}

}  // namespace ll::ui
