#include "core/experiments.h"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <map>

#include <nlohmann/json.hpp>

#include "core/error.h"
#include "core/loss.h"
#include "core/model_file.h"

namespace ll {

namespace {

// The same depth as sigmoid-mlp with ReLU: the vanishing-gradient comparison.
std::string reluTwin(const std::string& sigmoidJson) {
    auto doc = nlohmann::json::parse(sigmoidJson);
    doc["name"] = "relu-mlp";
    for (auto& l : doc["layers"])
        if (l["type"] == "Sigmoid") l["type"] = "ReLU";
    return doc.dump();
}

// smallnet-bn without its batch-norm layers.
std::string withoutBatchNorm(const std::string& json) {
    auto doc = nlohmann::json::parse(json);
    doc["name"] = "smallnet";
    nlohmann::json kept = nlohmann::json::array();
    for (auto& l : doc["layers"])
        if (l["type"] != "BatchNorm1d" && l["type"] != "BatchNorm2d") kept.push_back(l);
    doc["layers"] = kept;
    return doc.dump();
}

}  // namespace

std::vector<ExperimentVariant> experimentVariants(const std::string& name, std::string& explain) {
    auto opt = [](const std::string& o, float lr) {
        return [o, lr](TrainConfig& c, DataOptions&) {
            c.optimizer = o;
            c.opt.lr = lr;
        };
    };
    if (name == "optimizers") {
        explain =
            "LeNet-5 from the same start with SGD, momentum (both textbook forms: the same "
            "trajectory), Nesterov and Adam.";
        return {{"sgd", "lenet5", "", opt("sgd", 0.05f)},
                {"momentum", "lenet5", "", opt("momentum", 0.05f)},
                {"momentum-form1", "lenet5", "", opt("momentum_form1", 0.05f)},
                {"nesterov", "lenet5", "", opt("nesterov", 0.05f)},
                {"adam", "lenet5", "", opt("adam", 0.001f)}};
    }
    if (name == "loss-functions") {
        explain =
            "Logistic regression on MNIST 4 vs 9 (raw pixels, plain SGD): cross-entropy "
            "against the non-CE squared loss, whose gradient vanishes when the sigmoid "
            "saturates on the wrong side.";
        auto loss = [](const std::string& l) {
            return [l](TrainConfig& c, DataOptions&) {
                c.loss = l;
                c.batchOptions.signedLabels = true;
            };
        };
        return {{"cross-entropy", "logreg", "", loss("logistic")},
                {"non-ce", "logreg", "", loss("non_ce")}};
    }
    if (name == "random-labels") {
        explain =
            "Zhang et al. 2017: mlp-mnist (784-512-512-10) on a 10% MNIST subset with a "
            "growing fraction of random labels; it still fits the training set while test "
            "accuracy falls to chance.";
        std::vector<ExperimentVariant> v;
        for (double p : {0.0, 0.2, 0.4, 0.6, 0.8, 1.0}) {
            char n[32];
            std::snprintf(n, sizeof n, "noise-%.1f", p);
            v.push_back({n, "mlp-mnist", "", [p](TrainConfig& c, DataOptions& d) {
                             d.labelNoise = p;
                             if (d.trainSubset == 0) d.trainSubset = 0.1;
                             c.epochs = std::max(c.epochs, 1);
                         }});
        }
        return v;
    }
    if (name == "vanishing-gradients") {
        explain =
            "The deep sigmoid MLP against the same depth with ReLU: the ratio of the first "
            "layer's gradient norm to the last layer's.";
        return {{"sigmoid", "sigmoid-mlp", "", {}},
                {"relu", "sigmoid-mlp", reluTwin(presetJson("sigmoid-mlp")), {}}};
    }
    if (name == "batchnorm") {
        explain =
            "smallnet-bn with and without batch normalization, same start and learning "
            "rate.";
        return {{"with-bn", "smallnet-bn", "", {}},
                {"without-bn", "smallnet-bn", withoutBatchNorm(presetJson("smallnet-bn")), {}}};
    }
    if (name == "shortcuts") {
        explain =
            "He et al. 2016, figure 6: ResNet-20 against the same 20 layers without shortcuts "
            "(plain-20), from the same weights and data order. The shortcuts carry the gradient "
            "to the first layers: compare the training loss and the per-layer gradient norms.";
        return {{"plain-20", "plain20-cifar", "", {}}, {"resnet-20", "resnet20-cifar", "", {}}};
    }
    throw UsageError(strCat("unknown experiment '", name,
                            "' (optimizers, loss-functions, random-labels, vanishing-gradients, "
                            "batchnorm, shortcuts)"));
}

std::vector<LayerNorms> meanLayerNorms(const RunData& run, int epoch) {
    if (epoch == 0)
        for (const BatchReport& b : run.batches)
            if (!b.norms.empty()) epoch = std::max(epoch, b.epoch);
    std::vector<LayerNorms> mean;
    std::vector<int> count;
    for (const BatchReport& b : run.batches) {
        if (b.epoch != epoch || b.norms.empty()) continue;
        if (mean.empty()) {
            for (const LayerNorms& n : b.norms)
                mean.push_back({n.layer, 0, 0});
            count.assign(mean.size(), 0);
        }
        for (std::size_t i = 0; i < std::min(mean.size(), b.norms.size()); ++i) {
            mean[i].weightNorm += b.norms[i].weightNorm;
            mean[i].gradNorm += b.norms[i].gradNorm;
            ++count[i];
        }
    }
    for (std::size_t i = 0; i < mean.size(); ++i) {
        mean[i].weightNorm /= std::max(count[i], 1);
        mean[i].gradNorm /= std::max(count[i], 1);
    }
    return mean;
}

double maxBatchLossDifference(const RunData& a, const RunData& b, std::size_t* compared) {
    std::map<std::int64_t, double> byStep;
    for (const BatchReport& r : a.batches)
        byStep[r.step] = r.loss;
    double diff = 0;
    std::size_t n = 0;
    for (const BatchReport& r : b.batches) {
        const auto it = byStep.find(r.step);
        if (it == byStep.end()) continue;
        diff = std::max(diff, std::fabs(it->second - r.loss));
        ++n;
    }
    if (compared) *compared = n;
    return diff;
}

std::vector<std::string> experimentFindings(
    const std::string& name, const std::vector<std::pair<std::string, RunData>>& runs) {
    auto find = [&](const std::string& variant) -> const RunData* {
        for (const auto& [v, r] : runs)
            if (v == variant) return &r;
        return nullptr;
    };
    std::vector<std::string> out;
    char line[256];
    if (name == "optimizers") {
        const RunData* a = find("momentum");
        const RunData* b = find("momentum-form1");
        if (a && b) {
            std::size_t n = 0;
            const double d = maxBatchLossDifference(*a, *b, &n);
            std::snprintf(
                line, sizeof line,
                "momentum form I (θ⁺ = θ − αg + β(θ − θ⁻)) against form II (v⁺ = g + "
                "βv, θ⁺ = θ − αv⁺): largest batch-loss difference %.2g over %zu batches — the "
                "same trajectory up to rounding.",
                d, n);
            out.emplace_back(line);
        }
    }
    if (name == "vanishing-gradients" || name == "batchnorm" || name == "shortcuts") {
        for (const auto& [v, r] : runs) {
            const std::vector<LayerNorms> m = meanLayerNorms(r);
            if (m.size() < 2 || m.back().gradNorm <= 0) continue;
            std::snprintf(line, sizeof line,
                          "%s: gradient norm of the first layer (%s) / the last (%s), mean over "
                          "the last epoch: %.3g.",
                          v.c_str(), m.front().layer.c_str(), m.back().layer.c_str(),
                          m.front().gradNorm / m.back().gradNorm);
            out.emplace_back(line);
        }
    }
    return out;
}

std::vector<PlannedRun> planExperiment(const std::string& name, const ExperimentBase& base,
                                       std::string& explain) {
    const int recommended = experimentEpochs(name);
    std::vector<PlannedRun> plan;
    for (const ExperimentVariant& v : experimentVariants(name, explain)) {
        PlannedRun r;
        r.variant = v.name;
        r.model = v.modelJson.empty() ? v.model : std::string();
        r.modelJson = v.modelJson;
        if (v.modelJson.empty()) {
            r.spec = readModelSpec(v.model);
        } else {
            buildNet(v.modelJson, &r.spec, v.name, Build::ShapesOnly);
        }
        const ModelDefaults& d = r.spec.defaults;
        r.config = trainConfigFromDefaults(d);
        r.config.epochs = base.epochs > 0           ? base.epochs
                          : recommended > 0         ? recommended
                          : base.fallbackEpochs > 0 ? base.fallbackEpochs
                                                    : d.epochs;
        r.config.seed = base.seed;
        r.data = base.data ? base.data(d) : DataOptions{};
        if (v.adjust) v.adjust(r.config, r.data);
        r.config.batchOptions.signedLabels = makeLoss(r.config.loss)->signedLabels();
        plan.push_back(std::move(r));
    }
    return plan;
}

int experimentEpochs(const std::string& name) {
    return name == "random-labels" ? 30 : 0;
}

std::vector<std::string> experimentNames() {
    return {"optimizers",          "loss-functions", "random-labels",
            "vanishing-gradients", "batchnorm",      "shortcuts"};
}

}  // namespace ll
