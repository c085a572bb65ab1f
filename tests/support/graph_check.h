#pragma once
// Gradient checks of graphs (several-input layers inside a net): finite differences of the
// whole net against its backward pass, which sums the gradients of tensors read twice.

#include <string>
#include <vector>

#include "core/model_file.h"
#include "support/check.h"

namespace ll::test {

/// Gradient check of the whole graph described by `modelJson` (a model-file document) under a
/// projection loss through a final Flatten and Linear, input and parameters both.
inline void expectGraphGradientsMatch(const std::string& modelJson, int batch = 2,
                                      GradCheckOptions o = {}) {
    Net net = buildNet(modelJson);
    net.resetParameters(3);
    Rng rng(5);
    Tensor x(net.inputSample().batched(batch));
    for (float& v : x.vector())
        v = rng.uniform(-1.0f, 1.0f);
    const Shape out = net.outputShape(x.shape());
    Tensor target({batch});
    for (int n = 0; n < batch; ++n)
        target[n] = static_cast<float>(rng.below(static_cast<std::uint64_t>(out[1])));
    SoftmaxCrossEntropy ce;
    o.maxProbes = 24;
    const GradCheckResult r = checkNetGradients(net, ce, x, target, o);
    EXPECT_TRUE(r.passed(o.tolerance)) << r.str();
    EXPECT_GT(r.checked, 20) << r.str();
    EXPECT_LE(r.skipped, r.checked / 4 + 1) << "too many probes at kinks: " << r.str();
}

}  // namespace ll::test
