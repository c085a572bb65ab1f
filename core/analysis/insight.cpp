#include "core/analysis/insight.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/parallel.h"

namespace ll {

SymmetricHistogram symmetricHistogram(const std::vector<const Tensor*>& tensors, int bins) {
    LL_CHECK(bins >= 1, "a histogram needs at least one bin, got ", bins);
    // On one thread, with the other waiting, these passes over every weight and gradient took
    // about 6% of vgg-cifar's training time in the window (once a second).
    const int T = numThreads();
    std::vector<double> maxes(static_cast<std::size_t>(T), 0.0);
    for (const Tensor* t : tensors) {
        const float* v = t->data();
        parallelRanges(t->numel(), [&](std::int64_t k0, std::int64_t k1) {
            double& m = maxes[static_cast<std::size_t>(threadIndex())];
            for (std::int64_t k = k0; k < k1; ++k)
                m = std::max(m, static_cast<double>(std::fabs(v[k])));
        });
    }
    double m = 0;
    for (double x : maxes)
        m = std::max(m, x);
    SymmetricHistogram h;
    h.lo = -m;
    h.hi = m > 0 ? m : 1e-12;
    const double lo = h.lo, range = h.hi - h.lo;
    std::vector<int> local(static_cast<std::size_t>(T) * bins, 0);
    for (const Tensor* t : tensors) {
        const float* v = t->data();
        parallelRanges(t->numel(), [&](std::int64_t k0, std::int64_t k1) {
            int* c = local.data() + static_cast<std::size_t>(threadIndex()) * bins;
            for (std::int64_t k = k0; k < k1; ++k) {
                const int b = static_cast<int>((v[k] - lo) / range * bins);
                ++c[std::clamp(b, 0, bins - 1)];
            }
        });
    }
    h.counts.assign(static_cast<std::size_t>(bins), 0);
    for (int th = 0; th < T; ++th) {
        for (int b = 0; b < bins; ++b)
            h.counts[static_cast<std::size_t>(b)] += local[static_cast<std::size_t>(th) * bins + b];
    }
    return h;
}

std::int64_t ConfusionMatrix::total() const {
    std::int64_t t = 0;
    for (auto c : counts)
        t += c;
    return t;
}

double ConfusionMatrix::accuracy() const {
    std::int64_t diag = 0;
    for (int k = 0; k < classes; ++k)
        diag += at(k, k);
    const std::int64_t t = total();
    return t ? static_cast<double>(diag) / static_cast<double>(t) : 0.0;
}

double ConfusionMatrix::rate(int truth, int predicted) const {
    std::int64_t row = 0;
    for (int k = 0; k < classes; ++k)
        row += at(truth, k);
    return row ? static_cast<double>(at(truth, predicted)) / static_cast<double>(row) : 0.0;
}

ConfusionMatrix confusionFromLabels(const std::vector<int>& truth,
                                    const std::vector<int>& predicted, int classes) {
    LL_CHECK(truth.size() == predicted.size(), "confusion matrix: ", truth.size(), " labels but ",
             predicted.size(), " predictions");
    ConfusionMatrix m;
    m.classes = classes;
    m.counts.assign(static_cast<std::size_t>(classes) * classes, 0);
    for (std::size_t i = 0; i < truth.size(); ++i) {
        LL_CHECK(truth[i] >= 0 && truth[i] < classes && predicted[i] >= 0 && predicted[i] < classes,
                 "confusion matrix: label ", truth[i], " or prediction ", predicted[i],
                 " outside [0, ", classes, ")");
        ++m.counts[static_cast<std::size_t>(truth[i] * classes + predicted[i])];
    }
    return m;
}

ConfusionMatrix confusionMatrix(Net& net, const Dataset& data, const BatchOptions& options,
                                std::vector<int>* predicted, int batch) {
    std::vector<int> order(static_cast<std::size_t>(data.size()));
    for (int i = 0; i < data.size(); ++i)
        order[static_cast<std::size_t>(i)] = i;
    std::vector<int> truth, pred;
    Tensor x, y;
    BatchOptions bo = options;
    bo.augment = false;
    bo.signedLabels = false;
    for (int start = 0; start < data.size(); start += batch) {
        const int n = std::min(batch, data.size() - start);
        makeBatch(data, order, start, n, x, y, bo);
        const Tensor& z = net.forward(x, Mode::Eval);
        const int K = z.dim(1);
        // A model with more outputs than the data set has classes (AlexNet's 1000 on a two-class
        // folder) predicts among the data set's classes only.
        const int candidates = std::min(K, std::max(2, data.numClasses()));
        for (int i = 0; i < n; ++i) {
            const float* row = z.data() + static_cast<std::int64_t>(i) * K;
            pred.push_back(K == 1
                               ? (row[0] >= 0 ? 1 : 0)
                               : static_cast<int>(std::max_element(row, row + candidates) - row));
            truth.push_back(static_cast<int>(y[i]));
        }
    }
    if (predicted) *predicted = pred;
    return confusionFromLabels(truth, pred, std::max(2, data.numClasses()));
}

Tensor saliency(Net& net, const Tensor& x, int classIndex) {
    Tensor input = x;
    if (input.rank() == net.inputSample().rank()) input.reshape(input.shape().batched(1));
    if (input.dim(0) != 1) throw ShapeError(strCat("saliency needs one input, got ", x.shape()));
    const Tensor& z = net.forward(input, Mode::Eval);
    if (classIndex < 0 || classIndex >= z.dim(1))
        throw UsageError(
            strCat("class ", classIndex, " is outside the net's ", z.dim(1), " outputs"));
    Tensor seed(z.shape(), 0.0f);
    seed[classIndex] = 1.0f;
    net.backward(seed, true);
    net.zeroGrad();
    Tensor g = net.inputGrad();
    g.reshape(g.shape().sample());
    return g;
}

Tensor gradCam(Net& net, const Tensor& x, int layer, int classIndex) {
    LL_CHECK(layer >= 0 && layer < net.size(), "Grad-CAM layer ", layer, " of ", net.size());
    {
        // The layer's gradient is read below; the net's setting is restored, even on an error.
        struct Retain {
            Net& net;
            const bool was = net.retainsGradients();
            ~Retain() { net.retainGradients(was); }
        } retain{net};
        net.retainGradients(true);
        saliency(net, x, classIndex);  // forward and backward from the class score
    }
    const Tensor& a = net.activation(layer);
    const Tensor& g = net.activationGrad(layer);
    if (a.rank() != 4)
        throw UsageError(strCat("Grad-CAM needs a layer with feature maps; ",
                                net.layer(layer).label(), " outputs ", a.shape().sample()));
    const int K = a.dim(1), h = a.dim(2), w = a.dim(3), hw = h * w;
    Tensor cam({h, w}, 0.0f);
    for (int k = 0; k < K; ++k) {
        double alpha = 0;
        for (int p = 0; p < hw; ++p)
            alpha += g[static_cast<std::int64_t>(k) * hw + p];
        alpha /= hw;
        for (int p = 0; p < hw; ++p)
            cam[p] += static_cast<float>(alpha * a[static_cast<std::int64_t>(k) * hw + p]);
    }
    for (std::int64_t p = 0; p < cam.numel(); ++p)
        cam[p] = std::max(cam[p], 0.0f);
    return cam;
}

}  // namespace ll
