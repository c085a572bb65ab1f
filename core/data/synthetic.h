#pragma once
// Built-in synthetic data sets, generated on the fly and deterministic by seed, so LayerLens runs
// usefully with no download:
//  - "synthetic-digits": 28×28 grey digits 0-9 drawn with OpenCV's Hershey fonts in varied
//    font, thickness, rotation, scale and shift, plus pixel noise (an MNIST stand-in);
//  - "synthetic-shapes": 32×32 colour images of ten shape classes (circle, square, triangle,
//    cross, ring, diamond, star, ellipse, bar, pentagon) with random colours, sizes, places and
//    backgrounds (a CIFAR-10 stand-in).
// Image i of a split depends only on (seed, split, i): generation runs in parallel and any subset
// is reproducible.

#include <cstdint>
#include <string>

#include "core/data/dataset.h"

namespace ll {

Dataset makeSyntheticDigits(int count, std::uint64_t seed, const std::string& split);
Dataset makeSyntheticShapes(int count, std::uint64_t seed, const std::string& split);

/// Inputs for a model no data set fits (AlexNet names none; an ImageNet model on MNIST): `count`
/// test images of uniform noise of shape `sample` (C, H, W), labelled 0, 1, ... modulo `classes`
/// ("class 0", ...); the training split is empty. For looking at the model, not for training.
struct DataPair;
DataPair randomImages(const Shape& sample, int classes, std::uint64_t seed, int count = 16);

/// True for "synthetic-digits" and "synthetic-shapes".
bool isSyntheticDataset(const std::string& name);

}  // namespace ll
