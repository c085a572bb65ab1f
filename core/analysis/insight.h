#pragma once
// Insight into a trained net: the confusion matrix on a data set and saliency maps (the gradient
// of a class score with respect to the input, Simonyan et al. 2014) through the engine's own
// backward pass.

#include <cstdint>
#include <vector>

#include "core/data/dataset.h"
#include "core/net.h"

namespace ll {

struct ConfusionMatrix {
    int classes = 0;
    std::vector<std::int64_t> counts;  // row = true class, column = predicted, row-major
    std::int64_t at(int truth, int predicted) const {
        return counts[static_cast<std::size_t>(truth * classes + predicted)];
    }
    std::int64_t total() const;
    double accuracy() const;
    /// Fraction of row `truth` predicted as `predicted` (0 for an empty row).
    double rate(int truth, int predicted) const;
};

/// Builds the matrix from predicted and true labels (both in [0, classes)).
ConfusionMatrix confusionFromLabels(const std::vector<int>& truth,
                                    const std::vector<int>& predicted, int classes);
/// Predictions of `net` (Eval mode, argmax; sign for one-output nets) on every sample of `data`,
/// in batches; `predicted` receives them when non-null. A net with more outputs than `data` has
/// classes predicts among the data set's classes (its first outputs) only.
ConfusionMatrix confusionMatrix(Net& net, const Dataset& data, const BatchOptions& options,
                                std::vector<int>* predicted = nullptr, int batch = 500);

/// Counts of the values of `tensors` in `bins` equal bins over [lo, hi] = [−m, m], m the largest
/// |value| (hi is 1e-12 when every value is 0); a value on a bin's upper edge counts in the next
/// bin, m itself in the last. Each pass is split over the threads, with a maximum and counts per
/// thread: the same numbers at any split. The weight and gradient histograms of the Insight tab.
struct SymmetricHistogram {
    double lo = 0, hi = 0;
    std::vector<int> counts;
};
SymmetricHistogram symmetricHistogram(const std::vector<const Tensor*>& tensors, int bins);

/// ∂(score of class k)/∂x for one input x (C, H, W) or (1, C, H, W), same shape as the sample;
/// the score is the net's output before softmax. Parameter gradients are left zeroed.
Tensor saliency(Net& net, const Tensor& x, int classIndex);

/// Grad-CAM (Selvaraju et al. 2017) for top-level layer `layer` (an (K, h, w) output, usually the
/// last convolution): ReLU(Σ_k α_k A_k) with α_k the spatial mean of ∂(score of class)/∂A_k.
/// Returns the (h, w) map at the layer's resolution; parameter gradients are left zeroed.
Tensor gradCam(Net& net, const Tensor& x, int layer, int classIndex);

}  // namespace ll
