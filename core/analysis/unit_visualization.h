#pragma once
// What does a unit look for? Two answers, for any node of a net (graph nets included):
//  - top-k examples (Zeiler & Fergus 2014): the k samples of a data set that excite each channel
//    most, with the position of the strongest response and the input patch under that
//    position's analytic receptive field (core/analysis/receptive_field.h);
//  - activation maximization (Erhan et al. 2009; Yosinski et al. 2015): gradient ascent on the
//    input through the engine's own backward pass, with Yosinski's regularizers (L2 decay,
//    Gaussian blur every few steps, clipping of pixels with a small norm or a small
//    contribution) and random jitter (Mordvintsev et al. 2015).
//
// A node's output per sample is read as channels × positions: (C, H, W) is C channels of H·W
// positions (spatial: it has receptive fields), (F) is F channels of one position (linear units,
// class scores), (C, L) is C channels of L positions. A channel's number is its maximum over the
// positions, their mean, or one chosen position (UnitSpec).
//
// Images live in pixel space: floats in [0, 1] (the stored byte / 255) per channel, (C, H, W).
// PixelSpace turns them into what the net is fed — (x − mean) / std, x, or 255·x, as makeBatch
// does for the BatchOptions given — so a maximized image is a picture the data set could hold.

#include <atomic>
#include <cstdint>
#include <functional>
#include <string>
#include <vector>

#include "core/analysis/receptive_field.h"
#include "core/data/dataset.h"
#include "core/net.h"

namespace ll {

/// How the positions of a channel give one number.
enum class UnitReduce {
    Max,   // the largest over the positions (top-k's default: "somewhere in the image")
    Mean,  // their mean (activation maximization's default: the whole map)
    Unit,  // the position (row, col) only
};

struct UnitSpec {
    UnitReduce reduce = UnitReduce::Max;
    int row = 0, col = 0;  // for UnitReduce::Unit; (0, col) for a (C, L) output, (0, 0) for (F)
};

/// "max", "mean" or "unit (r, c)".
std::string describe(const UnitSpec& spec);

/// A node's output per sample as channels × height × width (height = 1 for (C, L); both 1 for
/// (F)); `spatial` for (C, H, W) outputs, whose positions have receptive fields.
struct OutputLayout {
    int channels = 0, height = 1, width = 1;
    bool spatial = false;
    int positions() const { return height * width; }
};
/// Throws UsageError for an output of rank 0 or above 3 (per sample).
OutputLayout outputLayout(const Shape& sample);

/// Index of the node called `name`; throws UsageError naming the net's first nodes when there is
/// none (`what` names the option, e.g. "--layer").
int nodeByName(const Net& net, const std::string& name, const std::string& what = "layer");

/// Checks `channel` and `spec` against node `node`'s output; throws UsageError saying the valid
/// range otherwise.
void checkUnit(const Net& net, int node, int channel, const UnitSpec& spec);

/// The value of one channel of one sample (channel plane `plane`, `positions` floats) and the
/// position it came from (the argmax for Max and Mean; the chosen one for Unit).
float reduceChannel(const float* plane, const OutputLayout& layout, const UnitSpec& spec,
                    int* position = nullptr);

// ---------------------------------------------------------------------------------------------
// Top-k examples

struct TopKOptions {
    int k = 9;
    UnitSpec unit;    // Max by default
    int limit = 0;    // look at the first `limit` samples only (0: all)
    int batch = 200;  // samples per forward pass
};

struct TopExample {
    int index = 0;         // sample index in the data set
    float activation = 0;  // the channel's number (UnitSpec) for that sample
    int row = 0, col = 0;  // the position it came from
    UnitRegion region;     // input pixels under that position (the whole image if not spatial)
};

struct TopKResult {
    int node = -1;
    std::string nodeName;
    OutputLayout layout;
    UnitSpec unit;
    ReceptiveField field;  // of the node; field.valid false: regions are the whole image
    int samplesSeen = 0, samplesTotal = 0;
    bool cancelled = false;
    int imageChannels = 0, imageHeight = 0, imageWidth = 0;
    /// Per channel, the best first: larger activation first, ties by smaller sample index.
    std::vector<std::vector<TopExample>> channels;
};

/// Called after each batch with the samples done and the total; on the calling thread.
using ProgressFn = std::function<void(int done, int total)>;

/// One pass over the first min(limit, size) samples of `data` in batches (Eval mode, inference
/// that keeps only `node`'s activation): for every channel of node `node`, the k samples with the
/// largest number. `options` scales the pixels as training does (augmentation is ignored).
/// `cancel`, when set, stops after the current batch: the result then holds what the samples
/// seen so far gave, with `cancelled` set. The net's activations are overwritten; parameters and
/// their gradients are untouched. Throws UsageError for a bad node, k < 1 or a unit outside the
/// output, ShapeError when the data does not fit the net.
TopKResult topKExamples(Net& net, const Dataset& data, int node, const BatchOptions& options,
                        const TopKOptions& topk = {}, const ProgressFn& progress = {},
                        const std::atomic<bool>* cancel = nullptr);

/// The clipped region of sample `index` as bytes (C, h, w), h and w the clipped sizes (0 when the
/// region lies wholly in the padding).
std::vector<std::uint8_t> cropRegion(const Dataset& data, int index, const UnitRegion& region);

// ---------------------------------------------------------------------------------------------
// Activation maximization

/// Pixel space [0, 1] to the net's input and back, as makeBatch scales (per channel).
struct PixelSpace {
    enum class Scale { Normalized, Unit, Raw };
    Scale scale = Scale::Unit;
    std::vector<float> mean, stddev;  // per channel (Normalized); also the "grey" of decay

    /// From BatchOptions and the data set's statistics (one value each per channel).
    static PixelSpace from(const BatchOptions& options, const std::vector<float>& mean,
                           const std::vector<float>& stddev);
    /// The input for pixels (C, H, W): a (1, C, H, W) tensor.
    Tensor toInput(const Tensor& pixels) const;
    /// d(input)/d(pixel) of channel c: 1/std, 1 or 255.
    float slope(int c) const;
    /// The mean pixel of channel c in pixel space (0.5 without statistics): what decay and
    /// clipping pull towards, the "zero" of Yosinski's mean-subtracted images.
    float centre(int c) const;
};

/// The objective (the channel's number for UnitSpec) of pixels (C, H, W), and its gradient with
/// respect to the pixels (same shape) when `grad` is set: a forward (Eval) and one backward from
/// the node through the engine. Parameter gradients are left zeroed.
float unitObjective(Net& net, const PixelSpace& space, const Tensor& pixels, int node, int channel,
                    const UnitSpec& spec, Tensor* grad = nullptr);

struct MaximizeOptions {
    int steps = 200;
    /// Each step moves the pixels along the gradient scaled to a mean absolute change of
    /// `stepSize` (pixel units), so one setting suits nets whose gradients differ by orders of
    /// magnitude.
    float stepSize = 0.02f;
    // Yosinski et al. 2015's regularizers, applied after each step (0 turns one off).
    float l2Decay = 0.01f;             // x ← centre + (1 − decay)·(x − centre)
    int blurEvery = 4;                 // Gaussian blur every N steps ...
    float blurSigma = 0.5f;            // ... of this width (pixels)
    float normPercentile = 0;          // pixels whose norm over channels is at most this
                                       // percentile (0–100) go back to the centre
    float contributionPercentile = 0;  // same for |Σ_c (x − centre)·∂a/∂x| (the pixel's share
                                       // of the activation, to first order)
    int jitter = 1;  // each step sees the image shifted by up to ±jitter pixels
    // Start: noise around the data set's mean pixel, or a given image.
    float noise = 0.1f;  // standard deviation of the starting noise (pixel units)
    Tensor start;        // (C, H, W) pixels in [0, 1]; empty: noise
    std::uint64_t seed = 1;
};

struct MaximizeStep {
    int step = 0;          // 1-based
    float activation = 0;  // the objective before this step's update (of the jittered image)
    const Tensor* image = nullptr;  // the pixels after the step (C, H, W), valid during the call
};
/// Return false to stop early.
using MaximizeFn = std::function<bool(const MaximizeStep&)>;

struct MaximizeResult {
    Tensor image;                // (C, H, W) pixels in [0, 1]
    std::vector<float> history;  // the objective at each step (before its update)
    float activation = 0;        // of the final image, without jitter
    int steps = 0;               // steps done
    bool stopped = false;        // the callback asked to stop
};

/// Gradient ascent on the pixels of an input to node `node`'s channel `channel` (UnitSpec: Mean,
/// Max or Unit; a class score is a channel of a (classes) output). Each step: shift by a random
/// jitter, forward and backward from the unit, unshift the gradient, x ← x + step·g/mean|g|, then
/// the regularizers, then clip to [0, 1]. The net's parameters are untouched (their gradients are
/// left zeroed). Throws UsageError for a bad node, channel or option.
MaximizeResult maximizeActivation(Net& net, const PixelSpace& space, int node, int channel,
                                  const UnitSpec& spec, const MaximizeOptions& options = {},
                                  const MaximizeFn& onStep = {});

/// Gaussian blur of every channel of (C, H, W), separable, borders reflected; sigma ≤ 0 is a
/// no-op. The kernel reaches ceil(3σ) pixels each side.
void gaussianBlur(Tensor& image, float sigma);

// ---------------------------------------------------------------------------------------------
// Pictures (RGB bytes; the command line writes them as PNG, the window as QImage)

struct RgbImage {
    int width = 0, height = 0;
    std::vector<std::uint8_t> pixels;  // row-major, 3 bytes (R, G, B) per pixel
};

/// Sample `e.index` of `data` (grey or RGB) enlarged `scale` times (nearest), the pixels outside
/// the example's clipped region darkened to `dim` of their value and the region outlined in
/// yellow — unless the region is the whole image (a linear unit), shown as it is.
RgbImage exampleTile(const Dataset& data, const TopExample& e, int scale, float dim = 0.35f);
/// Channel `channel`'s examples, best first, row by row in ceil(√k) columns, `gap` dark pixels
/// between tiles. An empty picture when the channel has no examples.
RgbImage topKGrid(const Dataset& data, const TopKResult& r, int channel, int scale, int gap = 2);
/// Pixels (C, H, W) in [0, 1] (1 or 3 channels; else the first) enlarged `scale` times.
RgbImage pixelsImage(const Tensor& pixels, int scale);

/// Pixels (C, H, W) in [0, 1] as bytes (round(255·x), clamped).
std::vector<std::uint8_t> pixelsToBytes(const Tensor& pixels);
/// Sample `index` of `data` as pixels (C, H, W) in [0, 1].
Tensor samplePixels(const Dataset& data, int index);

}  // namespace ll
