#pragma once
// Model files: a small JSON description of a network (documented in README.md, "Model files").
//
// {
//   "name": "lenet5", "input": [1, 28, 28], "dataset": "mnist", "loss": "cross_entropy",
//   "defaults": {"optimizer": "sgd", "lr": 0.1, "batch": 100, "epochs": 10},
//   "layers": [ {"type": "Conv2d", "out": 6, "kernel": 5, "padding": 2}, {"type": "Tanh"}, ... ]
// }
//
// Input channels and features are inferred from the previous layer's output; when a file gives
// them ("in") they are checked. Presets are the JSON files of resources/models, compiled in.

#include <string>
#include <vector>

#include "core/lr_schedule.h"
#include "core/net.h"

namespace ll {

/// Training defaults a model file may name.
struct ModelDefaults {
    std::string dataset = "mnist";
    std::string loss = "cross_entropy";
    std::string optimizer = "sgd";
    float lr = 0.01f;
    LrSchedule lrSchedule;  // "lr_schedule": "step:0.5,0.75" (core/lr_schedule.h)
    float momentum = 0.9f;
    float weightDecay = 0.0f;
    int batch = 64;
    int epochs = 1;
    std::vector<int> classes;  // a two-class task, e.g. {4, 9}; empty for all classes
    bool rawPixels = false;    // feed pixel values 0..255 as stored (no /255, no normalization)
    bool augment = false;      // random 4-pixel-padded crops and horizontal flips (CIFAR recipes)
};

struct ModelSpec {
    std::string name;
    std::string description;
    std::string source;  // "preset" or the file path
    std::string json;    // the document, for checkpoints and run records
    ModelDefaults defaults;
    std::vector<std::string> classNames;  // an imported model's class names (else empty)
    std::vector<std::string> warnings;    // what importing it dropped or guessed
};

/// What building a net allocates: its weights (to train or run it), or only its shapes (cost
/// tables, receptive fields, parameter counts: a few kB whatever the model's size).
enum class Build { Weights, ShapesOnly };

/// Builds a net from a model document. Throws ModelError naming the layer (index, name, type)
/// and the shapes when the document is malformed or inconsistent, and ModelError naming the size
/// when its weights would not fit the memory available (memoryBudget()).
Net buildNet(const std::string& jsonText, ModelSpec* spec = nullptr,
             const std::string& source = "model", Build build = Build::Weights);
/// Reads and builds a model file. Throws DataError when the file cannot be read.
Net loadModelFile(const std::string& path, ModelSpec* spec = nullptr, Build build = Build::Weights);
/// Names of the compiled-in presets, sorted.
std::vector<std::string> presetNames();
/// The JSON text of a preset; throws UsageError listing the presets for an unknown name.
const std::string& presetJson(const std::string& name);
/// A preset by name, or a model file when `nameOrPath` is not a preset name: a LayerLens JSON
/// document, or an ONNX file (".onnx", core/onnx/onnx_import.h) whose net comes with its weights
/// (Net::pretrained).
Net loadModel(const std::string& nameOrPath, ModelSpec* spec = nullptr,
              Build build = Build::Weights);
/// Only the spec (name, description, defaults, document) of a preset or model file, without
/// building the net: cheap even for AlexNet. The layers are not checked; loadModel does that.
ModelSpec readModelSpec(const std::string& nameOrPath);

}  // namespace ll
