#include "core/trainer.h"

#include <chrono>
#include <cmath>
#include <limits>
#include <numeric>

namespace ll {

// --- TrainControl ------------------------------------------------------------------------------

void TrainControl::requestStop() {
    m_stop = true;
    m_cv.notify_all();
}

void TrainControl::pause() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_paused = true;
    m_steps = 0;
}

void TrainControl::resume() {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_paused = false;
    }
    m_cv.notify_all();
}

void TrainControl::step(int n) {
    {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_paused = true;
        m_steps += n;
    }
    m_cv.notify_all();
}

void TrainControl::setLearningRate(float lr) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_lr = lr;
    m_hasLr = true;
}

bool TrainControl::paused() const {
    std::lock_guard<std::mutex> lock(m_mutex);
    return m_paused;
}

void TrainControl::setIdleHook(std::function<void()> hook) {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_idle = std::move(hook);
}

void TrainControl::reset() {
    std::lock_guard<std::mutex> lock(m_mutex);
    m_stop = false;
    m_paused = false;
    m_steps = 0;
    m_hasLr = false;
}

void TrainControl::poke() {
    m_cv.notify_all();
}

bool TrainControl::waitForPermission() {
    std::unique_lock<std::mutex> lock(m_mutex);
    auto ready = [&] { return m_stop.load() || !m_paused || m_steps > 0; };
    while (!ready()) {
        if (!m_idle) {
            m_cv.wait(lock, ready);
            break;
        }
        const std::function<void()> idle = m_idle;
        lock.unlock();
        idle();
        lock.lock();
        m_cv.wait_for(lock, std::chrono::milliseconds(30));
    }
    if (m_stop) return false;
    if (m_paused) --m_steps;
    return true;
}

bool TrainControl::takeLearningRate(float& lr) {
    std::lock_guard<std::mutex> lock(m_mutex);
    if (!m_hasLr) return false;
    lr = m_lr;
    m_hasLr = false;
    return true;
}

// --- Trainer -----------------------------------------------------------------------------------

namespace {
using Clock = std::chrono::steady_clock;

double seconds(Clock::time_point a, Clock::time_point b) {
    return std::chrono::duration<double>(b - a).count();
}

// Each layer's sum of squared gradients into sums (indexed by layer); false if one is not finite,
// which is when some gradient is not (Tensor::sumSquares). One parallel pass over the gradients
// serves both the check before the update and the gradient norms after it: they were two
// single-threaded passes (about 15% of vgg-cifar's step in the trainer, the other core waiting).
bool gradSquares(Net& net, std::vector<double>& sums) {
    sums.assign(static_cast<std::size_t>(net.size()), 0.0);
    bool finite = true;
    for (int i = 0; i < net.size(); ++i) {
        for (Param* p : net.layer(i).params())
            sums[static_cast<std::size_t>(i)] += p->grad.sumSquares();
        finite = finite && std::isfinite(sums[static_cast<std::size_t>(i)]);
    }
    return finite;
}
}  // namespace

TrainConfig trainConfigFromDefaults(const ModelDefaults& d) {
    TrainConfig c;
    c.optimizer = d.optimizer;
    c.loss = d.loss;
    c.opt.lr = d.lr;
    c.lrSchedule = d.lrSchedule;
    c.opt.momentum = d.momentum;
    c.opt.weightDecay = d.weightDecay;
    c.batch = d.batch;
    c.epochs = d.epochs;
    c.batchOptions.rawPixels = d.rawPixels;
    c.batchOptions.augment = d.augment;
    c.batchOptions.signedLabels = makeLoss(d.loss)->signedLabels();
    return c;
}

std::vector<LayerNorms> layerNorms(Net& net, const std::vector<double>* gradSquares) {
    std::vector<LayerNorms> out;
    for (int i = 0; i < net.size(); ++i) {
        Layer& l = net.layer(i);
        auto ps = l.params();
        if (ps.empty()) continue;
        LayerNorms n;
        n.layer = l.name();
        double w = 0, g = 0;
        for (Param* p : ps) {
            w += p->value.sumSquares();
            if (!gradSquares) g += p->grad.sumSquares();
        }
        if (gradSquares) g = gradSquares->at(static_cast<std::size_t>(i));
        n.weightNorm = std::sqrt(w);
        n.gradNorm = std::sqrt(g);
        out.push_back(n);
    }
    return out;
}

Trainer::Trainer(Net& net, const Dataset& train, const Dataset* test, TrainConfig config)
    : m_net(net),
      m_train(train),
      m_test(test),
      m_config(std::move(config)),
      m_augmentRng(m_config.seed ^ 0xa116) {
    if (m_config.batch <= 0)
        throw UsageError(strCat("batch size must be positive, got ", m_config.batch));
    if (m_config.epochs <= 0)
        throw UsageError(strCat("epochs must be positive, got ", m_config.epochs));
    if (train.size() == 0) throw DataError("the training set is empty");
    if (Shape(train.sampleShape()) != net.inputSample()) {
        throw ShapeError(strCat("model '", net.name(), "' expects input ", net.inputSample(),
                                " but ", train.name, " samples are ", train.sampleShape()));
    }
    const Shape out = net.outputSample();
    m_loss = makeLoss(m_config.loss);
    if (m_loss->signedLabels()) {
        if (out[1] != 1)
            throw ShapeError(strCat("the ", m_config.loss, " loss needs a one-output model; '",
                                    net.name(), "' has ", out[1], " outputs"));
        if (train.numClasses() != 2)
            throw UsageError(
                strCat("the ", m_config.loss, " loss needs a two-class task (use --classes A,B)"));
        m_config.batchOptions.signedLabels = true;
    } else if (m_config.loss == "cross_entropy" && out[1] < train.numClasses()) {
        throw ShapeError(strCat("model '", net.name(), "' has ", out[1], " outputs but ",
                                train.name, " has ", train.numClasses(), " classes"));
    }
    m_optimizer = makeOptimizer(m_config.optimizer, net.params(), m_config.opt);
    m_baseLr = m_config.opt.lr;
}

float Trainer::scheduledLr(int epoch) const {
    return static_cast<float>(m_baseLr * m_config.lrSchedule.factor(epoch, m_config.epochs));
}

std::string Trainer::diagnoseNonFinite(bool inBackward) const {
    if (!m_net.input().allFinite()) return "the input batch itself contains NaN or infinity";
    if (!inBackward) {
        for (int i = 0; i < m_net.size(); ++i) {
            if (!m_net.activation(i).allFinite()) {
                return strCat("the output of ", m_net.layer(i).label(), " (layer ", i,
                              ") went non-finite first");
            }
        }
        return "every activation is finite; the loss itself overflowed";
    }
    for (int i = m_net.size() - 1; i >= 0; --i) {
        Layer& l = const_cast<Net&>(m_net).layer(i);
        for (Param* p : l.params()) {
            if (!p->grad.allFinite()) {
                return strCat("the gradient of ", l.label(), " (layer ", i,
                              ") went non-finite first");
            }
        }
    }
    return "a parameter gradient went non-finite";
}

void Trainer::trainBatch(const std::vector<int>& order, int start, int count, double& loss,
                         int& correct) {
    makeBatch(m_train, order, start, count, m_x, m_y, m_config.batchOptions, &m_augmentRng);
    // A Train-mode forward updates batch-norm running statistics: keep a copy so a bad step can
    // be undone completely (they are a few numbers per channel).
    auto buffers = m_net.namedBuffers();
    m_bufferBackup.resize(buffers.size());
    for (std::size_t i = 0; i < buffers.size(); ++i)
        m_bufferBackup[i] = *buffers[i].tensor;
    auto restoreBuffers = [&] {
        for (std::size_t i = 0; i < buffers.size(); ++i)
            *buffers[i].tensor = m_bufferBackup[i];
    };
    m_net.zeroGrad();
    const Tensor& z = m_net.forward(m_x, Mode::Train);
    loss = m_loss->forward(z, m_y);
    const std::int64_t step = m_step + 1;
    // Nothing has been updated yet: the model is still as it was before this step.
    if (!std::isfinite(loss)) {
        restoreBuffers();
        throw NumericError(
            strCat("training stopped: the loss is ", loss, " at step ", step, " (batch of ", count,
                   "); ", diagnoseNonFinite(false),
                   ". Try a smaller learning rate. The model is left as before this step."));
    }
    correct = countCorrect(z, m_y);
    m_loss->backward(z, m_y, m_dz);
    m_net.backward(m_dz);
    if (!gradSquares(m_net, m_gradSquares)) {
        restoreBuffers();
        throw NumericError(strCat(
            "training stopped: non-finite gradient at step ", step, "; ", diagnoseNonFinite(true),
            ". Try a smaller learning rate. The model is left as before this step."));
    }
    m_optimizer->step();
    ++m_step;
}

TrainStatus Trainer::run(TrainControl* control, TrainObserver* observer) {
    const int N = m_train.size();
    const int B = m_config.batch;
    const int batches = (N + B - 1) / B;
    std::vector<int> order(static_cast<std::size_t>(N));
    for (int epoch = m_epochsDone + 1; epoch <= m_config.epochs; ++epoch) {
        // The order of epoch e depends only on (seed, e), so a resumed run sees the same batches.
        std::iota(order.begin(), order.end(), 0);
        Rng shuffle(m_config.seed * 0x9e3779b97f4a7c15ULL + static_cast<std::uint64_t>(epoch));
        shuffle.shuffle(order);
        // A constant schedule leaves the rate alone (a resumed run keeps its checkpoint's).
        if (m_config.lrSchedule.kind != LrSchedule::Kind::Constant)
            m_optimizer->setLearningRate(scheduledLr(epoch));
        const auto t0 = Clock::now();
        double trainTime = 0, lossSum = 0;
        std::int64_t correctSum = 0, seen = 0;
        for (int b = 0; b < batches; ++b) {
            if (control) {
                if (!control->waitForPermission()) return TrainStatus::Stopped;
                float lr;
                if (control->takeLearningRate(lr)) {
                    m_baseLr = lr;
                    m_optimizer->setLearningRate(scheduledLr(epoch));
                }
            }
            const int start = b * B, count = std::min(B, N - start);
            const auto s0 = Clock::now();
            double loss = 0;
            int correct = 0;
            trainBatch(order, start, count, loss, correct);
            trainTime += seconds(s0, Clock::now());
            lossSum += loss * count;
            correctSum += correct;
            seen += count;
            if (observer) {
                BatchReport r;
                r.epoch = epoch;
                r.batch = b + 1;
                r.batchesPerEpoch = batches;
                r.step = m_step;
                r.loss = loss;
                r.accuracy = static_cast<double>(correct) / count;
                r.lr = m_optimizer->learningRate();
                r.imagesPerSecond = seen / std::max(trainTime, 1e-9);
                if (m_config.layerNorms) r.norms = layerNorms(m_net, &m_gradSquares);
                observer->onBatch(r);
            }
            if (m_test && m_config.evalEvery > 0 && (b + 1) % m_config.evalEvery == 0 &&
                b + 1 < batches) {
                EvalReport e = evaluate(*m_test);
                e.epoch = epoch;
                if (observer) observer->onEval(e);
            }
        }
        EpochReport er;
        er.epoch = epoch;
        er.trainLoss = lossSum / static_cast<double>(seen);
        er.trainAccuracy = static_cast<double>(correctSum) / static_cast<double>(seen);
        er.imagesPerSecond = static_cast<double>(seen) / std::max(trainTime, 1e-9);
        er.testLoss = er.testAccuracy = std::numeric_limits<double>::quiet_NaN();
        if (m_test) {
            EvalReport e = evaluate(*m_test);
            e.epoch = epoch;
            er.testLoss = e.loss;
            er.testAccuracy = e.accuracy;
            if (observer) observer->onEval(e);
        }
        er.seconds = seconds(t0, Clock::now());
        m_epochsDone = epoch;
        if (observer) observer->onEpoch(er);
    }
    return TrainStatus::Completed;
}

EvalReport Trainer::evaluate(const Dataset& data) {
    EvalReport r;
    r.step = m_step;
    const int N = data.size();
    if (N == 0) return r;
    std::vector<int> order(static_cast<std::size_t>(N));
    std::iota(order.begin(), order.end(), 0);
    BatchOptions bo = m_config.batchOptions;
    bo.augment = false;
    double lossSum = 0;
    std::int64_t correct = 0;
    Tensor x, y;
    for (int start = 0; start < N; start += m_config.evalBatch) {
        const int count = std::min(m_config.evalBatch, N - start);
        makeBatch(data, order, start, count, x, y, bo);
        const Tensor& z = m_net.forward(x, Mode::Eval);
        lossSum += m_loss->forward(z, y) * count;
        correct += countCorrect(z, y);
    }
    r.loss = lossSum / N;
    r.accuracy = static_cast<double>(correct) / N;
    r.samples = N;
    return r;
}

}  // namespace ll
