#pragma once
// Test helpers shared by the core tests.

#include <gtest/gtest.h>

#include "core/analysis/grad_check.h"

namespace ll::test {

/// Runs the shared gradient checker on a layer and asserts the contract and the tolerance.
inline void expectGradientsMatch(Layer& layer, const Shape& in, GradCheckOptions o = {}) {
    if (layer.name().empty()) layer.setName("under_test");
    const GradCheckResult r = checkLayerGradients(layer, in, o);
    EXPECT_TRUE(r.passed(o.tolerance)) << layer.label() << " on " << in << ": " << r.str();
    // A check that skipped everything proves nothing.
    EXPECT_GT(r.checked, 0) << r.str();
    EXPECT_LE(r.skipped, r.checked / 4 + 1) << "too many probes at kinks: " << r.str();
}

/// Builds a tensor from values (row-major).
inline Tensor tensorOf(const Shape& s, std::vector<float> v) {
    return Tensor(s, std::move(v));
}

}  // namespace ll::test
