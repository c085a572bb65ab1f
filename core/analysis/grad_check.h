#pragma once
// The one gradient checker for every layer, loss and net (Caffe's GradientChecker, dlib's
// test_layer): central differences evaluated in double on the float forward pass, projected
// onto a random output gradient g (f = <y, g>), relative error |a − n| / max(|a|, |n|, 1).
//
// It also proves the gradient contract of layer.h: dx is pre-filled with NaN (must be
// overwritten) and parameter gradients with a sentinel (must be accumulated into).
// Probes where the one-sided differences disagree sharply straddle a kink (ReLU at 0, a tie in
// max-pool) and are skipped and counted; a smooth function never trips this.

#include <cstdint>
#include <string>

#include "core/layer.h"
#include "core/loss.h"
#include "core/net.h"

namespace ll {

struct GradCheckOptions {
    double eps = 1e-2;  // finite-difference step (a float forward: larger steps beat rounding)
    double tolerance = 2e-3;  // max relative error
    double kinkThreshold =
        0.05;            // relative disagreement of one-sided differences that marks a kink
    int maxProbes = 48;  // probes per tensor (all elements when fewer)
    std::uint64_t seed = 1;
    Mode mode = Mode::Train;
    bool randomizeParams = true;  // draw parameters from N(0, 1) before checking
};

struct GradCheckResult {
    double maxError = 0.0;  // worst relative error seen
    std::string worst;      // where it was seen, e.g. "weight[12]: analytic 0.31 numeric 0.29"
    int checked = 0;        // probes compared
    int skipped = 0;        // probes skipped at kinks
    std::string failure;    // non-empty when the gradient contract was broken (NaN left in dx...)
    bool passed(double tolerance) const { return failure.empty() && maxError <= tolerance; }
    std::string str() const;
};

/// Checks dL/dx and every dL/dθ of `layer` for an input of shape `inShape`.
GradCheckResult checkLayerGradients(Layer& layer, const Shape& inShape,
                                    const GradCheckOptions& options = {});
/// Checks dL/dz of `loss` at the given z and target.
GradCheckResult checkLossGradients(Loss& loss, const Tensor& z, const Tensor& target,
                                   const GradCheckOptions& options = {});
/// Checks the gradients of loss(net(x), target) for every parameter and the input, through the
/// Net's own backward pass (parameters are used as they are).
GradCheckResult checkNetGradients(Net& net, Loss& loss, const Tensor& x, const Tensor& target,
                                  const GradCheckOptions& options = {});

}  // namespace ll
