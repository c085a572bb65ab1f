#pragma once
// Immutable value types the training worker sends to the window through queued signals. They
// own copies of everything (tensors, tables); nothing in them points into the worker's net.

#include <QMetaType>
#include <QString>
#include <QStringList>
#include <QVector>
#include <memory>
#include <vector>

#include "core/analysis/conv_lab.h"
#include "core/analysis/cost.h"
#include "core/analysis/insight.h"
#include "core/data/load.h"
#include "core/tensor.h"
#include "core/trainer.h"

namespace ll::ui {

/// What the worker has loaded: the model's structure and the data, sent once per setup.
struct ModelInfo {
    QString model, description;
    std::string modelJson;  // to rebuild the structure (cost tables under other conventions)
    Shape input;            // one sample
    QVector<QString> layerNames, layerTypes;
    QVector<Shape> layerShapes;         // output of each top-level layer, one sample
    CostTable costs;                    // under the course convention, receptive fields included
    QVector<int> layerCostRow;          // index in costs.rows of each top-level layer
    QVector<QVector<int>> layerInputs;  // the top-level layers each reads (−1: the input)
    QString dataset, dataSource;        // "MNIST", "/data/mnist"
    int trainSize = 0, testSize = 0, classes = 0;
    QVector<QString> classNames;
    std::vector<int> testLabels;  // for picking a test image by class
    int setupId = 0;              // RunSettings::setupId of the setup that sent it
    QString notice;  // non-empty: the data does not fit the model, which shows random images
};

/// Per-batch points, batched by the worker (one signal every ≥ 50 ms).
struct BatchPoints {
    QVector<BatchReport> batches;
};

/// What to inspect: one input (a test image by index, or a user's image), one top-level layer,
/// optionally one unit (channel, i, j) for the effective receptive field.
struct InspectRequest {
    int layer = 0;
    int testIndex = 0;
    /// A user's image (opened or dropped), already resized to the model's (C, H, W) as 0..255
    /// pixels; empty for a test image. Normalized like the data set.
    std::vector<std::uint8_t> customPixels;
    QString customName;
    bool wantUnit = false;
    int channel = 0, i = 0, j = 0;
    /// The heatmap over the input: 0 the effective receptive field of the unit, 1 saliency,
    /// 2 Grad-CAM of this layer; for class overlayClass (-1: the predicted class).
    int overlay = 0;
    int overlayClass = -1;
    int serial = 0;  // echoed back, so the window can drop stale answers
};

/// The answer: the input and every top-level activation for that one sample.
struct InspectSnapshot {
    InspectRequest request;
    QString source;  // "test image #17, label 3 (three)"
    int label = -1;
    Tensor input;                     // (C, H, W)
    std::vector<Tensor> activations;  // per top-level layer, batch dimension dropped
    std::vector<float> probabilities;
    Tensor filters;     // weights of the requested layer when it is a convolution, else empty
    Tensor filterBias;  // (Cout) its biases; empty without
    Tensor erf;         // (H, W) heatmap over the input: the unit's effective receptive field, the
                        // saliency or the Grad-CAM map (upsampled), as requested; else empty
    int overlayClass = -1;  // the class the saliency / Grad-CAM map is for
};

/// The confusion matrix on the test set after an epoch, and the misclassified images (at most
/// 100) with their labels and probabilities, for the insight view.
struct ConfusionSnapshot {
    int epoch = 0;
    ConfusionMatrix matrix;
    QVector<QString> classNames;
    struct Mistake {
        int index = 0, truth = 0, predicted = 0;
        float pPredicted = 0, pTruth = 0;
        std::vector<std::uint8_t> pixels;  // (C, H, W) as stored
    };
    std::vector<Mistake> mistakes;
    int channels = 0, height = 0, width = 0;
};

/// Histograms of every parameterized layer's weights and gradients (all its parameters), taken
/// at most once a second while training.
struct HistogramSnapshot {
    std::int64_t step = 0;
    struct Layer {
        QString name;
        double wLo = 0, wHi = 0, gLo = 0, gHi = 0;  // bin range: [-max|v|, +max|v|]
        std::vector<int> weights, grads;            // kHistogramBins counts each
    };
    std::vector<Layer> layers;
};
constexpr int kHistogramBins = 41;

/// A copy of the worker's net as it is now, with its data, for analyses that run off both the
/// window's and the worker's threads (top-k examples, activation maximization: ui/unit_view.h).
/// The net is a clone nobody else holds; the data is shared read-only with the worker.
struct NetCopy {
    std::shared_ptr<Net> net;
    std::shared_ptr<const DataPair> data;
    BatchOptions batch;  // how training scales the pixels
    /// Names these weights: the model, a counter of weight loads and the training step. Results
    /// computed from a copy are cached under it.
    QString key;
    QString weights;  // for people: "step 1200", "initial weights"
    QString error;    // why there is no copy (no model, random images): net is null
};

/// The model identities (core/analysis/conv_lab.h: batch-norm folding, FC → conv, activations
/// after max-pooling) of the worker's net on the first test images: each check with both outputs,
/// a line per check for people, and what was not checked and why; or the error.
struct ModelIdentities {
    QString model;
    std::vector<IdentityCheck> checks;
    QStringList lines;
    QString error;
};

}  // namespace ll::ui

Q_DECLARE_METATYPE(ll::ui::ModelIdentities)
Q_DECLARE_METATYPE(ll::ui::HistogramSnapshot)
Q_DECLARE_METATYPE(ll::ui::NetCopy)
Q_DECLARE_METATYPE(ll::ui::ConfusionSnapshot)
Q_DECLARE_METATYPE(ll::ui::ModelInfo)
Q_DECLARE_METATYPE(ll::ui::BatchPoints)
Q_DECLARE_METATYPE(ll::ui::InspectRequest)
Q_DECLARE_METATYPE(ll::ui::InspectSnapshot)
Q_DECLARE_METATYPE(ll::EvalReport)
Q_DECLARE_METATYPE(ll::EpochReport)
