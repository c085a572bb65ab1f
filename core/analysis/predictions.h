#pragma once
// What a classifier's output says: class probabilities and the most probable classes of each
// sample. The output is (N, K): K class scores per sample, either logits (the usual last Linear
// layer; a softmax turns them into probabilities) or already probabilities (a Softmax layer last).

#include <vector>

#include "core/tensor.h"

namespace ll {

struct ClassProbabilities {
    Tensor probabilities;  // (N, K), every row sums to 1
    bool softmaxApplied;   // false: the output's rows already were probability vectors
};

/// `output` (N, K) with K >= 2 as probabilities: the output itself when every row is a
/// probability vector (entries in [0, 1], summing to 1 within 1e-3, which float32 rounding of a
/// softmax over thousands of classes stays within), else its softmax over dimension 1 (the Softmax
/// layer's, stable for logits of ±1e4). Throws ShapeError for another shape.
ClassProbabilities classProbabilities(const Tensor& output);

struct ClassScore {
    int cls;
    float probability;
};

/// The min(k, K) most probable classes of sample n of `probabilities` (N, K), most probable first;
/// equal probabilities in class order.
std::vector<ClassScore> topClasses(const Tensor& probabilities, int n, int k);

}  // namespace ll
