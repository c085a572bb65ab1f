#pragma once
// The layer registry: one entry per layer type (Caffe's layer factory). A type's entry names it
// as model files do, gives the prefix of its default node names ("conv" → conv1, conv2, ...) and
// reads its node from a model file; the layer itself writes its node back (Layer::write) and
// states its cost (Layer::cost) and receptive-field rule (Layer::fieldRule). Adding a layer type
// is: its header and source (with a static kind()), one line in registry.cpp, its test, its
// README line.

#include <string>
#include <vector>

#include "core/layer.h"

namespace ll {

class LayerReader;

struct LayerKind {
    const char* type;    // "Conv2d": the model file's "type"
    const char* prefix;  // "conv": default node names conv1, conv2, ...
    /// Builds the layer of a model-file node; throws ModelError through the reader.
    LayerPtr (*read)(const LayerReader& r);
};

/// Every registered layer type, in registration order. Checked once: names and prefixes are
/// non-empty and no type is registered twice (CheckError otherwise).
const std::vector<LayerKind>& layerKinds();
/// The kind of a type name, or null.
const LayerKind* findLayerKind(const std::string& type);
/// "Conv2d, Linear, ..." for messages.
std::string layerTypeList();
/// The default-name prefix of a registered type; CheckError for an unregistered one.
std::string namePrefix(const std::string& type);

}  // namespace ll
