#include "core/tensorboard_log.h"

#include <utility>
#include <vector>

namespace ll {

TensorBoardLog::TensorBoardLog(const std::string& dir, Net* net, EventFileWriter::Clock clock)
    : m_writer(dir, std::move(clock)), m_net(net) {}

void TensorBoardLog::onBatch(const BatchReport& r) {
    m_step = r.step;
    std::vector<std::pair<std::string, float>> v = {
        {"train/loss", static_cast<float>(r.loss)},
        {"train/accuracy", static_cast<float>(r.accuracy)},
        {"train/learning_rate", r.lr},
    };
    for (const LayerNorms& n : r.norms) {
        v.emplace_back("grad_norm/" + n.layer, static_cast<float>(n.gradNorm));
        v.emplace_back("weight_norm/" + n.layer, static_cast<float>(n.weightNorm));
    }
    m_writer.addScalars(r.step, v);
    m_writer.flush();
}

void TensorBoardLog::onEval(const EvalReport& e) {
    m_writer.addScalars(e.step, {{"test/loss", static_cast<float>(e.loss)},
                                 {"test/accuracy", static_cast<float>(e.accuracy)}});
    m_writer.flush();
}

void TensorBoardLog::onEpoch(const EpochReport& e) {
    m_writer.addScalars(m_step, {{"epoch/train_loss", static_cast<float>(e.trainLoss)},
                                 {"epoch/train_accuracy", static_cast<float>(e.trainAccuracy)}});
    if (m_net) {
        for (int i = 0; i < m_net->size(); ++i) {
            Layer& l = m_net->layer(i);
            std::vector<const Tensor*> weights, grads;
            for (Param* p : l.params()) {
                weights.push_back(&p->value);
                grads.push_back(&p->grad);
            }
            if (weights.empty()) continue;
            m_writer.addHistogram("weights/" + l.name(), m_step, tfHistogram(weights));
            m_writer.addHistogram("gradients/" + l.name(), m_step, tfHistogram(grads));
        }
    }
    m_writer.flush();
}

}  // namespace ll
