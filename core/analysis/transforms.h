#pragma once
// Model transformations of the course exercises, each rebuilt from the net's model document so the
// result is an ordinary Net (inspectable, trainable, saved like any other):
//  - cloneNet: the same structure with the same weights and batch-norm statistics;
//  - foldBatchNorm: every BatchNorm that reads a Conv2d or Linear (which feeds nothing else) is
//    folded into it
//    (eval mode): W' = W·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β;
//  - fullyConvolutional: Flatten + the first Linear become one Conv2d whose kernel covers the
//    whole map, later Linears become 1×1 convolutions and BatchNorm1d becomes BatchNorm2d, so a
//    larger input yields a map of class scores: the original net slid over every window with
//    the stride of its feature extractor.
// Every layer of the result keeps its name from the original.

#include <string>
#include <vector>

#include "core/data/dataset.h"
#include "core/net.h"

namespace ll {

/// The same graph, weights and statistics (the net writes its own model document).
Net cloneNet(Net& net);

/// `folded` receives "conv1+bn1" for every fold made; `refused` a sentence for every BN that
/// follows a Conv2d or Linear whose output another node reads too (left unfolded).
Net foldBatchNorm(Net& net, std::vector<std::string>* folded = nullptr,
                  std::vector<std::string>* refused = nullptr);

/// Two nets that should agree, run on the first `samples` samples of `data` (Eval mode): the
/// largest output difference, how many predictions agree, both accuracies and forward times.
/// Throws UsageError when `data` is empty.
struct OutputComparison {
    int samples = 0;
    int samePredictions = 0;      // argmax (sign for one output) agrees
    double maxAbsDifference = 0;  // over every output value
    double maxAbsOutput = 0;      // for scale
    double accuracyBefore = 0, accuracyAfter = 0;
    double secondsBefore = 0, secondsAfter = 0;  // forward passes over the samples
};
OutputComparison compareOutputs(Net& before, Net& after, const Dataset& data,
                                const BatchOptions& options, int samples = 1000, int batch = 250);

/// "Same outputs, fewer layers": the net against its folded copy on the first `samples` samples
/// of `data` (Eval mode); the comparison's fields are its own.
struct FoldCheck : OutputComparison {
    int layersBefore = 0, layersAfter = 0;  // top-level layers
    std::int64_t paramsBefore = 0, paramsAfter = 0;
    std::vector<std::string> folded;   // "conv1+bn1", ...
    std::vector<std::string> refused;  // BNs left unfolded, and why
};
/// Throws UsageError when no BatchNorm directly follows a Conv2d or Linear, or `data` is empty.
FoldCheck checkBatchNormFold(Net& net, const Dataset& data, const BatchOptions& options,
                             int samples = 1000, int batch = 250);
/// The check in sentences, for the command line and the window.
std::vector<std::string> describe(const FoldCheck& c);

/// The converted net for input samples of shape `inputSample` (C, H, W), at least the original
/// size. Throws ModelError when the net has no Flatten followed by a Linear, or has modules.
Net fullyConvolutional(Net& net, const Shape& inputSample);

/// Whether an element-wise activation of this type (and model-file hyper-parameters, for
/// LeakyReLU's slope) never decreases: ReLU, Sigmoid, Tanh, ReLU6, HardSigmoid, Identity,
/// LeakyReLU with a slope ≥ 0. GELU, SiLU and HardSwish dip and rise again: not monotonic.
bool isMonotonicActivation(const std::string& type, double leakySlope = 0.01);
/// Whether `type` is an element-wise activation type the swap knows (monotonic or not).
bool isElementwiseActivation(const std::string& type);

/// Moves every monotonic activation that feeds a MaxPool2d alone after the pooling (the pool
/// reads what the activation read; the activation reads the pool; the pool's readers read the
/// activation). Layer names and weights stay. `swapped` receives "relu1 after pool1" for every
/// swap; `refused` a sentence naming the activation for every pair left alone (a non-monotonic
/// activation such as GELU, or one whose output feeds another node too).
Net activationsAfterMaxPool(Net& net, std::vector<std::string>* swapped = nullptr,
                            std::vector<std::string>* refused = nullptr);

/// "Same outputs, fewer activation evaluations": the net against activationsAfterMaxPool's copy.
struct SwapCheck {
    std::vector<std::string> swapped;                          // "relu1 after pool1", ...
    std::vector<std::string> refused;                          // activations left in place, and why
    std::int64_t activationsBefore = 0, activationsAfter = 0;  // evaluations per sample (cost)
    OutputComparison same;
};
/// Throws UsageError when no activation can move (naming the refused ones) or `data` is empty.
SwapCheck checkActivationSwap(Net& net, const Dataset& data, const BatchOptions& options,
                              int samples = 1000, int batch = 250);
std::vector<std::string> describe(const SwapCheck& c);

}  // namespace ll
