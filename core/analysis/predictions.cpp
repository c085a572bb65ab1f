#include "core/analysis/predictions.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"
#include "core/layers/softmax.h"

namespace ll {

ClassProbabilities classProbabilities(const Tensor& output) {
    if (output.rank() != 2 || output.dim(1) < 2)
        throw ShapeError(
            strCat("class probabilities need an output (N, classes ≥ 2), got ", output.shape()));
    const int N = output.dim(0), K = output.dim(1);
    bool probabilities = true;
    for (int n = 0; n < N && probabilities; ++n) {
        double sum = 0;
        for (int k = 0; k < K; ++k) {
            const float p = output[static_cast<std::int64_t>(n) * K + k];
            // Written so that NaN fails too.
            if (!(p >= 0.0f && p <= 1.0f)) probabilities = false;
            sum += p;
        }
        if (!(std::abs(sum - 1.0) <= 1e-3)) probabilities = false;
    }
    if (probabilities) return {output, false};
    ClassProbabilities c{Tensor(), true};
    Softmax().forward(output, c.probabilities, Mode::Eval);
    return c;
}

std::vector<ClassScore> topClasses(const Tensor& probabilities, int n, int k) {
    LL_CHECK(probabilities.rank() == 2 && n >= 0 && n < probabilities.dim(0) && k >= 0,
             "topClasses: sample ", n, ", k ", k, " of ", probabilities.shape());
    const int K = probabilities.dim(1);
    std::vector<ClassScore> all;
    for (int c = 0; c < K; ++c)
        all.push_back({c, probabilities[static_cast<std::int64_t>(n) * K + c]});
    const auto count = static_cast<std::size_t>(std::min(k, K));
    // NaN last: a NaN probability is no evidence for its class.
    std::partial_sort(all.begin(), all.begin() + static_cast<std::ptrdiff_t>(count), all.end(),
                      [](const ClassScore& a, const ClassScore& b) {
                          const bool an = std::isnan(a.probability), bn = std::isnan(b.probability);
                          if (an != bn) return bn;
                          if (!an && a.probability != b.probability)
                              return a.probability > b.probability;
                          return a.cls < b.cls;
                      });
    all.resize(count);
    return all;
}

}  // namespace ll
