#pragma once
// A training run written as a TensorBoard log, as it trains: a TrainObserver that turns the
// trainer's reports into events of one event file (core/tfevents.h).
//
// What is written, and its tags (the scalar tags are names the run reader maps back to our
// curves, core/foreign_runs.cpp, so the folder read back as a run draws the same curves):
//   every batch, at its step:      train/loss, train/accuracy, train/learning_rate,
//                                  grad_norm/<layer> and weight_norm/<layer> (the L2 norm of all
//                                  the layer's parameters, when the report has norms);
//   every evaluation, at its step: test/loss, test/accuracy;
//   every epoch's end, at the step of its last batch: epoch/train_loss and epoch/train_accuracy
//                                  (means over the epoch), and with a net, the histograms
//                                  weights/<layer> and gradients/<layer> of every layer with
//                                  parameters (all of them taken together; the gradients of the
//                                  epoch's last batch), 30 equal-width buckets from min to max.
// Steps are the trainer's: batches since the start of training (1-based), so a resumed run goes
// on where it stopped. Values are floats (TensorBoard's simple_value). The file is flushed after
// every report.

#include <cstdint>
#include <string>

#include "core/net.h"
#include "core/tfevents.h"
#include "core/trainer.h"

namespace ll {

class TensorBoardLog : public TrainObserver {
public:
    /// Creates `dir` and a new event file in it (EventFileWriter: throws DataError naming the
    /// folder or file when either cannot be created). `net` (may be null: no histograms) is the
    /// net being trained; it is read at each epoch's end, on the thread that calls the observer
    /// (the training thread). `clock`: the events' wall time (tests); the system clock if empty.
    explicit TensorBoardLog(const std::string& dir, Net* net = nullptr,
                            EventFileWriter::Clock clock = {});

    const std::string& path() const { return m_writer.path(); }

    /// Each writes its events and flushes; throws DataError when the file cannot be written.
    void onBatch(const BatchReport& r) override;
    void onEval(const EvalReport& e) override;
    void onEpoch(const EpochReport& e) override;

private:
    EventFileWriter m_writer;
    Net* m_net;
    std::int64_t m_step = 0;  // of the last batch: where the epoch's summaries are drawn
};

}  // namespace ll
