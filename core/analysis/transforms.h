#pragma once
// Model transformations of the course exercises, each rebuilt from the net's model JSON so the
// result is an ordinary Net (inspectable, trainable, saved like any other):
//  - cloneNet: the same structure with the same weights and batch-norm statistics;
//  - foldBatchNorm: every BatchNorm that directly follows a Conv2d or Linear is folded into it
//    (eval mode): W' = W·γ/√(σ²+ε) per output channel, b' = (b − μ)·γ/√(σ²+ε) + β;
//  - fullyConvolutional: Flatten + the first Linear become one Conv2d whose kernel covers the
//    whole map, later Linears become 1×1 convolutions and BatchNorm1d becomes BatchNorm2d, so a
//    larger input yields a map of class scores: the original net slid over every window with
//    the stride of its feature extractor.
// Every layer of the result keeps its name from the original.

#include <string>
#include <vector>

#include "core/net.h"

namespace ll {

/// Throws UsageError when the net was built in code (no model JSON).
Net cloneNet(Net& net);

/// `folded` receives "conv1+bn1" for every fold made.
Net foldBatchNorm(Net& net, std::vector<std::string>* folded = nullptr);

/// The converted net for input samples of shape `inputSample` (C, H, W), at least the original
/// size. Throws ModelError when the net has no Flatten followed by a Linear, or has modules.
Net fullyConvolutional(Net& net, const Shape& inputSample);

}  // namespace ll
