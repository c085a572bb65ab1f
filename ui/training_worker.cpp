#include "ui/training_worker.h"

#include "core/onnx/onnx_export.h"
#include "core/onnx/onnx_import.h"

#include <filesystem>

#include <QEvent>
#include <QMetaObject>
#include <algorithm>
#include <cmath>
#include <utility>

#include "core/analysis/conv_lab.h"
#include "core/analysis/cost.h"
#include "core/analysis/insight.h"
#include "core/analysis/receptive_field.h"
#include "core/analysis/transforms.h"
#include "core/checkpoint.h"
#include "core/data/synthetic.h"
#include "core/layers/conv2d.h"
#include "core/model_file.h"
#include "core/tensorboard_log.h"
#include "ui/thread_handoff.h"

namespace ll::ui {

namespace {

bool sameData(const DataOptions& a, const DataOptions& b) {
    return a.dataset == b.dataset && a.dir == b.dir && a.channels == b.channels &&
           a.height == b.height && a.width == b.width && a.trainSubset == b.trainSubset &&
           a.testSubset == b.testSubset && a.labelNoise == b.labelNoise && a.classes == b.classes &&
           a.seed == b.seed;
}

Tensor sampleOf(const Tensor& batch) {
    Tensor t = batch;
    t.reshape(batch.shape().sample());
    return t;
}

}  // namespace

// Runs on the worker thread, inside Trainer::run.
class TrainingWorker::Observer : public TrainObserver {
public:
    explicit Observer(TrainingWorker& w) : m_w(w) { m_sinceEmit.start(); }
    /// Also writes the reports to `log` (may be null) until a write fails (said once).
    void setTensorBoard(TensorBoardLog* log) { m_tensorboard = log; }
    void onBatch(const BatchReport& r) override {
        toTensorBoard([&] { m_tensorboard->onBatch(r); });
        m_points.batches.push_back(r);
        if (m_sinceEmit.elapsed() >= 50) flush();
        // Gradients of this batch are still in the parameters here (zeroed at the next step), and
        // until an inspection runs: saliency, Grad-CAM and receptive fields end with zeroGrad(), so
        // the histograms are taken first (served after an inspection they were all zeros).
        if (!m_w.m_sinceHistograms.isValid() || m_w.m_sinceHistograms.elapsed() >= 1000 ||
            r.batch == r.batchesPerEpoch) {
            m_w.m_sinceHistograms.start();
            m_w.computeHistograms(r.step);
        }
        m_w.m_liveStep = r.step;
        m_w.serveInspection(false);
    }
    void onEval(const EvalReport& e) override {
        toTensorBoard([&] { m_tensorboard->onEval(e); });
        flush();
        handOver(Handoff::ToWindow), emit m_w.evaluated(e);
    }
    void onEpoch(const EpochReport& e) override {
        toTensorBoard([&] { m_tensorboard->onEpoch(e); });
        flush();
        handOver(Handoff::ToWindow), emit m_w.epochDone(e);
        // A full pass over the test set: not when the run is stopping (quit waits for it).
        if (!m_w.m_control->stopRequested()) m_w.computeConfusion(e.epoch);
    }
    void flush() {
        if (m_points.batches.isEmpty()) return;
        // Hand the points over and start a fresh list: clearing the list the queued signal still
        // shares would test its reference count with a relaxed load and could destroy the
        // reports the window has just read without ordering (a ThreadSanitizer report).
        BatchPoints out;
        std::swap(out, m_points);
        handOver(Handoff::ToWindow), emit m_w.batches(out);
        m_sinceEmit.restart();
    }

private:
    TrainingWorker& m_w;
    BatchPoints m_points;
    QElapsedTimer m_sinceEmit;
    TensorBoardLog* m_tensorboard = nullptr;

    template <typename F>
    void toTensorBoard(F&& write) {
        if (!m_tensorboard) return;
        try {
            write();
        } catch (const std::exception& e) {
            m_tensorboard = nullptr;
            handOver(Handoff::ToWindow),
                emit m_w.message(QString("TensorBoard log stopped: %1").arg(e.what()));
        }
    }
};

TrainingWorker::TrainingWorker() : m_control(std::make_unique<TrainControl>()) {
    m_sinceInspect.start();
}

TrainingWorker::~TrainingWorker() = default;

void TrainingWorker::requestInspection(const InspectRequest& r) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_pending = r;
    }
    m_control->poke();
    // When no run is going, the worker's event loop is free: serve it there.
    handOver(Handoff::ToWorker);
    QMetaObject::invokeMethod(this, &TrainingWorker::inspectPending, Qt::QueuedConnection);
}

void TrainingWorker::ensureSetup(const RunSettings& s, bool keepWeights) {
    DataOptions want = s.data;
    ModelSpec spec;
    const std::string modelName = s.model.toStdString();
    if (isOnnxPath(modelName)) {
        // A large ONNX file takes seconds to parse and convert: say so while it does.
        std::error_code ec;
        const auto bytes = std::filesystem::file_size(modelName, ec);
        handOver(Handoff::ToWindow),
            emit message(QString("importing %1 (%2 MB)…")
                             .arg(QString::fromStdString(
                                 std::filesystem::path(modelName).filename().string()))
                             .arg(ec ? 0.0 : static_cast<double>(bytes) / 1e6, 0, 'f', 1));
    }
    Net net = loadModel(modelName, &spec);
    keepWeights = keepWeights && m_net && s.model == m_loadedModel;
    if (want.dataset.empty()) want.dataset = spec.defaults.dataset;
    if (want.classes.empty()) want.classes = spec.defaults.classes;
    if (net.inputSample().rank() == 3) {
        want.channels = net.inputSample()[0];
        want.height = net.inputSample()[1];
        want.width = net.inputSample()[2];
    }
    // Why the data cannot feed this model (AlexNet names no data set; an ImageNet model on
    // MNIST): it is then shown on random images, so Layers and Cost work, and Train says so.
    std::string mismatch;
    std::shared_ptr<const DataPair> data = s.preloaded;
    if (!data) {
        if (m_data && m_inputsOnly.empty() && sameData(want, m_loadedData) &&
            !m_loadedData.dir.empty()) {
            data = m_data;
        } else if (want.dataset == "none") {
            mismatch = "it names no data set";
        } else {
            data = std::make_shared<DataPair>(loadData(want));
        }
    }
    if (data) {
        const Shape sample({data->train.channels, data->train.height, data->train.width});
        if (sample != net.inputSample())
            mismatch = strCat(data->train.name, " images are ", sample);
    }
    m_inputsOnly.clear();
    if (!mismatch.empty()) {
        const Shape out = net.outputSample();
        data = std::make_shared<DataPair>(
            randomImages(net.inputSample(), out.rank() == 2 ? out[1] : 1, s.config.seed));
        m_inputsOnly =
            strCat("model '", spec.name, "' expects input ", net.inputSample(), " but ", mismatch,
                   ": Layers and Cost show it on random images. To train it, "
                   "choose data of that shape (an image folder, one sub-folder per "
                   "class, is converted to it)");
    }
    if (!keepWeights) {
        m_net = std::make_unique<Net>(std::move(net));
        m_net->resetParameters(s.config.seed);
        ++m_weightLoads;
        m_epochsDone = 0;
        m_steps = 0;
    }
    m_data = data;
    m_loadedModel = s.model;
    m_loadedData = want;

    ModelInfo info;
    info.setupId = s.setupId;
    info.model = QString::fromStdString(spec.name);
    info.description = QString::fromStdString(spec.description);
    info.modelJson = m_net->modelJson();
    info.input = m_net->inputSample();
    const auto shapes = m_net->outputShapes();
    info.costs = computeCosts(*m_net);
    info.layerCostRow.fill(-1, m_net->size());
    for (std::size_t r = 0; r < info.costs.rows.size(); ++r)
        if (info.costs.rows[r].node >= 0)
            info.layerCostRow[info.costs.rows[r].node] = static_cast<int>(r);
    for (int i = 0; i < m_net->size(); ++i) {
        info.layerNames.push_back(QString::fromStdString(m_net->layer(i).name()));
        info.layerTypes.push_back(m_net->layer(i).type());
        info.layerShapes.push_back(shapes[static_cast<std::size_t>(i)].sample());
        const std::vector<int>& from = m_net->inputsOf(i);
        info.layerInputs.push_back(QVector<int>(from.begin(), from.end()));
    }
    info.dataset = QString::fromStdString(data->train.name);
    info.dataSource = QString::fromStdString(data->train.source);
    info.trainSize = data->train.size();
    info.testSize = data->test.size();
    info.classes = data->train.numClasses();
    // An imported model's own class names (ONNX metadata or labels.txt) name its outputs when
    // the data has none of its own or is only random images for it.
    const std::vector<std::string>& names =
        !spec.classNames.empty() && (data->train.classNames.empty() || !m_inputsOnly.empty())
            ? spec.classNames
            : data->train.classNames;
    for (const std::string& c : names)
        info.classNames.push_back(QString::fromStdString(c));
    info.testLabels = std::vector<int>(data->test.labels.begin(), data->test.labels.end());
    info.notice = QString::fromStdString(m_inputsOnly);
    handOver(Handoff::ToWindow), emit modelReady(info);
    for (const Dataset* ds : {&data->train, &data->test}) {
        if (!ds->warnings.empty()) {
            handOver(Handoff::ToWindow),
                emit message(QString("%1 images: %2 file(s) skipped, e.g. %3")
                                 .arg(QString::fromStdString(ds->split))
                                 .arg(ds->warnings.size())
                                 .arg(QString::fromStdString(ds->warnings.front())));
        }
    }
}

void TrainingWorker::setup(const RunSettings& s) {
    try {
        m_batchOptions = s.config.batchOptions;
        ensureSetup(s, false);
    } catch (const std::exception& e) {
        if (dynamic_cast<const OnnxInputSizeError*>(&e))
            handOver(Handoff::ToWindow), emit inputSizeNeeded(s.model);
        handOver(Handoff::ToWindow), emit setupFailed(s.setupId, QString::fromStdString(e.what()));
        return;
    }
    serveInspection(true);
}

void TrainingWorker::train(const RunSettings& s) {
    m_running = true;
    m_inspectEveryMs = s.inspectEveryMs;
    std::unique_ptr<TensorBoardLog> tensorboard;  // outlives the observer that writes to it
    Observer observer(*this);
    try {
        ensureSetup(s, !s.freshWeights);
        if (!m_inputsOnly.empty()) throw UsageError(m_inputsOnly);
        requireTrainingMemory(*m_net, s.config.batch, s.config.optimizer);
        m_batchOptions = s.config.batchOptions;
        m_control->setIdleHook([this, &observer] {
            observer.flush();  // a single step's point must not wait for the next batch
            serveInspection(false);
        });
        Trainer trainer(*m_net, m_data->train, m_data->test.size() ? &m_data->test : nullptr,
                        s.config);
        if (!s.tensorboardDir.isEmpty()) {
            try {
                tensorboard =
                    std::make_unique<TensorBoardLog>(s.tensorboardDir.toStdString(), m_net.get());
                observer.setTensorBoard(tensorboard.get());
            } catch (const std::exception& e) {
                handOver(Handoff::ToWindow),
                    emit message(QString("no TensorBoard log: %1").arg(e.what()));
            }
        }
        handOver(Handoff::ToWindow), emit started();
        if (!s.freshWeights) {
            trainer.setEpochsDone(0);  // a new run of config.epochs epochs from these weights
            trainer.setSteps(m_steps);
        }
        const TrainStatus st = trainer.run(m_control.get(), &observer);
        m_epochsDone = trainer.epochsDone();
        m_steps = trainer.steps();
        observer.flush();
        m_running = false;
        m_liveStep = -1;
        m_control->setIdleHook({});  // it refers to this run's observer
        if (!s.finalCheckpoint.isEmpty() && m_saveFinal) saveCheckpoint(s.finalCheckpoint, true);
        if (!m_control->stopRequested()) serveInspection(true);
        handOver(Handoff::ToWindow),
            emit finished(st == TrainStatus::Completed ? "completed" : "stopped");
    } catch (const std::exception& e) {
        observer.flush();
        m_running = false;
        m_liveStep = -1;
        ++m_weightLoads;  // a failed run may have left other weights
        m_control->setIdleHook({});
        handOver(Handoff::ToWindow), emit runFailed(QString::fromStdString(e.what()));
    }
}

void TrainingWorker::saveCheckpoint(const QString& path, bool quiet) {
    try {
        if (!m_net) throw UsageError("no model loaded");
        ll::saveCheckpoint(path.toStdString(), *m_net, nullptr, m_epochsDone, m_steps,
                           m_net->modelJson());
        if (!quiet)
            handOver(Handoff::ToWindow), emit message(QString("checkpoint saved: %1").arg(path));
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit failed(QString::fromStdString(e.what()));
    }
}

void TrainingWorker::exportOnnx(const QString& path) {
    try {
        if (!m_net) throw UsageError("no model loaded");
        const std::vector<std::string> warnings = ll::exportOnnx(*m_net, path.toStdString());
        QString text = QString("model exported as ONNX: %1").arg(path);
        for (const std::string& w : warnings)
            text += "\n" + QString::fromStdString(w);
        handOver(Handoff::ToWindow), emit message(text);
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit failed(QString::fromStdString(e.what()));
    }
}

void TrainingWorker::loadCheckpoint(const QString& path) {
    try {
        if (!m_net) throw UsageError("no model loaded: pick the checkpoint's model first");
        const CheckpointInfo info = ll::loadCheckpoint(path.toStdString(), *m_net);
        ++m_weightLoads;
        m_epochsDone = info.epoch;
        m_steps = info.step;
        handOver(Handoff::ToWindow),
            emit message(QString("checkpoint loaded: %1 (epoch %2); Train continues from it")
                             .arg(path)
                             .arg(info.epoch));
        serveInspection(true);
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit failed(QString::fromStdString(e.what()));
    }
}

// A model transform's check on the test set, reported as foldChecked(heading, its sentences) or
// foldChecked(heading, {}, why it could not be made). `heading` has %1 for the model's name.
template <typename Check>
void TrainingWorker::reportTransformCheck(const char* heading, Check check) {
    const QString model = m_net ? QString::fromStdString(m_net->name()) : QString("the model");
    const QString title = QString(heading).arg(model);
    try {
        if (!m_net || !m_data) throw UsageError("no model loaded");
        if (m_data->test.size() == 0) throw UsageError("no test set to compare the outputs on");
        QStringList lines;
        for (const std::string& l : describe(check(*m_net, m_data->test, m_batchOptions)))
            lines << QString::fromStdString(l);
        handOver(Handoff::ToWindow), emit foldChecked(title, lines, {});
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit foldChecked(title, {}, QString::fromStdString(e.what()));
    }
}

void TrainingWorker::checkBatchNormFold() {
    reportTransformCheck("Batch-norm folding of %1, same outputs with fewer layers:",
                         [](Net& net, const Dataset& test, const BatchOptions& bo) {
                             return ll::checkBatchNormFold(net, test, bo);
                         });
}

void TrainingWorker::checkActivationSwap() {
    reportTransformCheck(
        "Activations after max-pooling in %1, same outputs with fewer activation evaluations:",
        [](Net& net, const Dataset& test, const BatchOptions& bo) {
            return ll::checkActivationSwap(net, test, bo);
        });
}

void TrainingWorker::checkModelIdentities() {
    ModelIdentities r;
    r.model = m_net ? QString::fromStdString(m_net->name()) : QString("the model");
    try {
        if (!m_net || !m_data) throw UsageError("no model loaded");
        const Dataset& d = m_data->test.size() ? m_data->test : m_data->train;
        if (d.size() == 0) throw UsageError("no images to compare the outputs on");
        const int n = std::min(8, d.size());
        std::vector<int> order(static_cast<std::size_t>(n));
        for (int i = 0; i < n; ++i)
            order[static_cast<std::size_t>(i)] = i;
        BatchOptions bo = m_batchOptions;
        bo.augment = false;
        bo.signedLabels = false;
        Tensor x, y;
        makeBatch(d, order, 0, n, x, y, bo);
        std::vector<std::string> skipped;
        r.checks = modelIdentities(*m_net, x, &skipped);
        for (const IdentityCheck& c : r.checks)
            r.lines << QString("%1: largest difference %2 (outputs up to %3) — %4")
                           .arg(QString::fromStdString(c.title))
                           .arg(c.maxAbsDifference, 0, 'g', 3)
                           .arg(c.maxAbsValue, 0, 'g', 3)
                           .arg(c.asExpected() ? "holds" : "DOES NOT HOLD");
        for (const std::string& s : skipped)
            r.lines << "not checked: " + QString::fromStdString(s);
    } catch (const std::exception& e) {
        r.checks.clear();
        r.lines.clear();
        r.error = QString::fromStdString(e.what());
    }
    handOver(Handoff::ToWindow), emit modelIdentitiesChecked(r);
}

void TrainingWorker::computeHistograms(std::int64_t step) {
    HistogramSnapshot s;
    s.step = step;
    for (int i = 0; i < m_net->size(); ++i) {
        Layer& l = m_net->layer(i);
        const auto ps = l.params();
        if (ps.empty()) continue;
        HistogramSnapshot::Layer h;
        h.name = QString::fromStdString(l.name());
        auto fill = [&](bool grad, double& lo, double& hi, std::vector<int>& counts) {
            std::vector<const Tensor*> ts;
            for (Param* p : ps)
                ts.push_back(grad ? &p->grad : &p->value);
            SymmetricHistogram sh = symmetricHistogram(ts, kHistogramBins);
            lo = sh.lo;
            hi = sh.hi;
            counts = std::move(sh.counts);
        };
        fill(false, h.wLo, h.wHi, h.weights);
        fill(true, h.gLo, h.gHi, h.grads);
        s.layers.push_back(std::move(h));
    }
    handOver(Handoff::ToWindow), emit histograms(s);
}

void TrainingWorker::computeConfusion(int epoch) {
    if (!m_net || !m_data || m_data->test.size() == 0) return;
    try {
        const Dataset& test = m_data->test;
        ConfusionSnapshot s;
        s.epoch = epoch;
        std::vector<int> predicted;
        s.matrix = confusionMatrix(*m_net, test, m_batchOptions, &predicted);
        for (const std::string& c : test.classNames)
            s.classNames.push_back(QString::fromStdString(c));
        s.channels = test.channels;
        s.height = test.height;
        s.width = test.width;
        // The first 100 mistakes, with the probabilities of the predicted and the true class.
        BatchOptions bo = m_batchOptions;
        bo.augment = false;
        bo.signedLabels = false;
        Tensor x, y;
        for (int i = 0; i < test.size() && s.mistakes.size() < 100; ++i) {
            const int truth = test.labels[static_cast<std::size_t>(i)];
            if (predicted[static_cast<std::size_t>(i)] == truth) continue;
            ConfusionSnapshot::Mistake m;
            m.index = i;
            m.truth = truth;
            m.predicted = predicted[static_cast<std::size_t>(i)];
            makeBatch(test, {i}, 0, 1, x, y, bo);
            const Tensor& z = m_net->forward(x, Mode::Eval);
            if (z.numel() == 1) {
                const float p1 = sigmoid(z[0]);
                m.pPredicted = m.predicted == 1 ? p1 : 1 - p1;
                m.pTruth = 1 - m.pPredicted;
            } else {
                const float mx = *std::max_element(z.data(), z.data() + z.numel());
                double sum = 0;
                for (std::int64_t k = 0; k < z.numel(); ++k)
                    sum += std::exp(z[k] - mx);
                m.pPredicted = static_cast<float>(std::exp(z[m.predicted] - mx) / sum);
                m.pTruth = static_cast<float>(std::exp(z[truth] - mx) / sum);
            }
            m.pixels.assign(test.image(i), test.image(i) + test.imageSize());
            s.mistakes.push_back(std::move(m));
        }
        handOver(Handoff::ToWindow), emit confusion(s);
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit failed(QString("confusion matrix: ") + e.what());
    }
}

void TrainingWorker::requestNetCopy() {
    m_copyPending = true;
    m_control->poke();
    handOver(Handoff::ToWorker);
    QMetaObject::invokeMethod(this, &TrainingWorker::copyPending, Qt::QueuedConnection);
}

void TrainingWorker::copyPending() {
    if (m_running) return;  // the trainer's hooks serve it
    serveNetCopy();
}

void TrainingWorker::serveNetCopy() {
    if (!m_copyPending.exchange(false)) return;
    try {
        if (!m_net || !m_data) throw UsageError("no model loaded");
        if (!m_inputsOnly.empty()) throw UsageError(m_inputsOnly);
        NetCopy c;
        c.net = std::make_shared<Net>(cloneNet(*m_net));
        c.data = m_data;
        c.batch = m_batchOptions;
        const std::int64_t step = m_liveStep >= 0 ? m_liveStep : m_steps;
        c.key = QString("%1|%2|%3").arg(m_loadedModel).arg(m_weightLoads).arg(step);
        c.weights = step > 0 ? QString("step %1").arg(step) : QString("initial weights");
        handOver(Handoff::ToWindow), emit netCopied(c);
    } catch (const std::exception& e) {
        NetCopy c;  // the asker learns why, and stops waiting
        c.error = QString::fromStdString(e.what());
        handOver(Handoff::ToWindow), emit netCopied(c);
    }
}

void TrainingWorker::inspectPending() {
    if (m_running) return;  // the trainer's hooks serve it
    serveInspection(true);
}

void TrainingWorker::serveInspection(bool force) {
    serveNetCopy();
    InspectRequest r;
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        if (m_pending) {
            r = *m_pending;
            m_pending.reset();
        } else if (m_haveLast && (force || m_sinceInspect.elapsed() >= m_inspectEveryMs)) {
            r = m_last;  // live refresh of the current view
        } else {
            return;
        }
    }
    if (!m_net || !m_data) return;
    m_sinceInspect.restart();
    m_last = r;
    m_haveLast = true;
    try {
        InspectSnapshot s;
        s.request = r;
        const Dataset& test = m_data->test.size() ? m_data->test : m_data->train;
        Tensor x;
        Tensor y;
        BatchOptions bo = m_batchOptions;
        bo.augment = false;
        if (!r.customPixels.empty()) {
            Dataset one = test;  // metadata (shape, normalization); one image
            one.images = r.customPixels;
            one.labels = {0};
            LL_CHECK(one.images.size() ==
                         static_cast<std::size_t>(one.channels) * one.height * one.width,
                     "custom image size");
            makeBatch(one, {0}, 0, 1, x, y, bo);
            s.source = r.customName;
        } else {
            const int idx = std::clamp(r.testIndex, 0, test.size() - 1);
            makeBatch(test, {idx}, 0, 1, x, y, bo);
            s.label = test.labels[static_cast<std::size_t>(idx)];
            QString cls = s.label >= 0 && s.label < static_cast<int>(test.classNames.size())
                              ? QString::fromStdString(test.classNames[s.label])
                              : QString::number(s.label);
            s.source = QString("%1 image #%2, label %3")
                           .arg(m_data->test.size() ? "test" : "training")
                           .arg(idx)
                           .arg(cls);
        }
        const int layer = std::clamp(r.layer, 0, m_net->size() - 1);
        if (r.wantUnit) {
            s.erf = effectiveReceptiveField(*m_net, x, layer, r.channel, r.i, r.j);
        } else {
            m_net->forward(x, Mode::Eval);
        }
        if (r.overlay == 1 || r.overlay == 2) {
            const Tensor& out = m_net->output();
            int cls = r.overlayClass;
            if (cls < 0 || cls >= out.dim(1))
                cls =
                    out.dim(1) == 1
                        ? 0
                        : static_cast<int>(std::max_element(out.data(), out.data() + out.numel()) -
                                           out.data());
            s.overlayClass = cls;
            const int C = x.dim(1), H = x.dim(2), W = x.dim(3);
            if (r.overlay == 1) {
                const Tensor g = saliency(*m_net, x, cls);
                s.erf = Tensor({H, W}, 0.0f);
                for (int c = 0; c < C; ++c)
                    for (int p = 0; p < H * W; ++p)
                        s.erf[p] += std::fabs(g[static_cast<std::int64_t>(c) * H * W + p]);
            } else if (m_net->activation(layer).rank() == 4) {
                const Tensor cam = gradCam(*m_net, x, layer, cls);
                const int h = cam.dim(0), w = cam.dim(1);
                s.erf = Tensor({H, W}, 0.0f);  // nearest-neighbour upsampling to the input
                for (int row = 0; row < H; ++row)
                    for (int col = 0; col < W; ++col)
                        s.erf[row * W + col] = cam[(row * h / H) * w + col * w / W];
            }
        }
        s.input = sampleOf(m_net->input());
        for (int i = 0; i < m_net->size(); ++i)
            s.activations.push_back(sampleOf(m_net->activation(i)));
        const Tensor& out = m_net->output();
        if (out.numel() == 1) {
            const float p = sigmoid(out[0]);
            s.probabilities = {1 - p, p};
        } else {
            const float mx = *std::max_element(out.data(), out.data() + out.numel());
            double sum = 0;
            for (std::int64_t k = 0; k < out.numel(); ++k)
                sum += std::exp(static_cast<double>(out[k] - mx));
            for (std::int64_t k = 0; k < out.numel(); ++k)
                s.probabilities.push_back(static_cast<float>(std::exp(out[k] - mx) / sum));
        }
        if (auto* conv = dynamic_cast<Conv2d*>(&m_net->layer(layer))) {
            s.filters = conv->weight().value;
            if (conv->hasBias()) s.filterBias = conv->bias().value;
        }
        handOver(Handoff::ToWindow), emit inspected(s);
    } catch (const std::exception& e) {
        handOver(Handoff::ToWindow), emit failed(QString("inspection: ") + e.what());
    }
}

}  // namespace ll::ui

namespace ll::ui {

bool TrainingWorker::event(QEvent* e) {
    if (e->type() == QEvent::MetaCall) takeOver(Handoff::ToWorker);  // a queued call or signal
    return QObject::event(e);
}

}  // namespace ll::ui
