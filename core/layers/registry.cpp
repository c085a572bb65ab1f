#include "core/layers/registry.h"

#include <set>

#include "core/layers/adaptive_avg_pool2d.h"
#include "core/layers/add.h"
#include "core/layers/avg_pool2d.h"
#include "core/layers/batch_norm.h"
#include "core/layers/channel_pad.h"
#include "core/layers/concat.h"
#include "core/layers/conv2d.h"
#include "core/layers/dropout.h"
#include "core/layers/flatten.h"
#include "core/layers/gelu.h"
#include "core/layers/global_avg_pool2d.h"
#include "core/layers/hard_sigmoid.h"
#include "core/layers/hard_swish.h"
#include "core/layers/identity.h"
#include "core/layers/leaky_relu.h"
#include "core/layers/linear.h"
#include "core/layers/lrn.h"
#include "core/layers/max_pool2d.h"
#include "core/layers/mul.h"
#include "core/layers/relu.h"
#include "core/layers/relu6.h"
#include "core/layers/sigmoid.h"
#include "core/layers/silu.h"
#include "core/layers/softmax.h"
#include "core/layers/sparse_conv2d.h"
#include "core/layers/tanh.h"
#include "core/layers/zero_pad2d.h"

namespace ll {

namespace {

// One line per layer type. The list is explicit (not static registrars spread over the layer
// sources) because the core is a static library: the linker drops an object file nobody
// references, and its registrar with it.
std::vector<LayerKind> builtinKinds() {
    return {Conv2d::kind(),
            SparseConv2d::kind(),
            Linear::kind(),
            MaxPool2d::kind(),
            AvgPool2d::kind(),
            BatchNorm2d::kind(),
            BatchNorm1d::kind(),
            ReLU::kind(),
            Sigmoid::kind(),
            Tanh::kind(),
            Flatten::kind(),
            Dropout::kind(),
            Concat::kind(),
            Add::kind(),
            Mul::kind(),
            ChannelPad::kind(),
            GlobalAvgPool2d::kind(),
            ReLU6::kind(),
            LeakyReLU::kind(),
            HardSigmoid::kind(),
            HardSwish::kind(),
            SiLU::kind(),
            GELU::kind(),
            Identity::kind(),
            Softmax::kind(),
            AdaptiveAvgPool2d::kind(),
            LRN::kind(),
            ZeroPad2d::kind()};
}

}  // namespace

const std::vector<LayerKind>& layerKinds() {
    static const std::vector<LayerKind> kinds = [] {
        std::vector<LayerKind> k = builtinKinds();
        std::set<std::string> seen;
        for (const LayerKind& kind : k) {
            LL_CHECK(kind.type && *kind.type && kind.prefix && *kind.prefix && kind.read,
                     "a layer kind without a type name, prefix or reader");
            LL_CHECK(seen.insert(kind.type).second, "layer type '", kind.type,
                     "' is registered twice");
        }
        return k;
    }();
    return kinds;
}

const LayerKind* findLayerKind(const std::string& type) {
    for (const LayerKind& k : layerKinds())
        if (type == k.type) return &k;
    return nullptr;
}

std::string layerTypeList() {
    std::string s;
    for (const LayerKind& k : layerKinds())
        s += (s.empty() ? "" : ", ") + std::string(k.type);
    return s;
}

std::string namePrefix(const std::string& type) {
    const LayerKind* k = findLayerKind(type);
    LL_CHECK(k != nullptr, "layer type '", type, "' is not registered (core/layers/registry.cpp)");
    return k->prefix;
}

}  // namespace ll
