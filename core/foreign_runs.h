#pragma once
// Runs logged by other tools, read so that they overlay like LayerLens' own saved runs:
//   - "tensorboard": events.out.tfevents.* files (core/tfevents.h) in the folder, or in its
//     train/ and validation/ sub-folders (Keras' TensorBoard callback; validation tags are read
//     as "val_<tag>"); each folder of event files is one run;
//   - "lightning-csv": PyTorch Lightning's CSVLogger, a metrics.csv with `step` (and `epoch`) and
//     one column per logged metric, blank where a metric was not logged, several rows per step;
//   - "keras-csv": Keras' CSVLogger, one row per epoch (`epoch`, loss, accuracy, val_loss, ...),
//     in any *.csv or *.log file of the folder;
// Their tag and column names map onto LayerLens' curves by one table (foreign_runs.cpp). The
// files are only read: never written, renamed or cleaned up. A last line cut short (a job still
// writing, or killed) is ignored with a warning; a cell that is no number is a warning naming the
// file and line, and only that cell is lost.

#include <optional>
#include <string>

#include "core/runs.h"

namespace ll {

/// The curve a tag or column name maps to (case-insensitive), with its rank among the names of
/// that curve (0 = preferred: when a log has several names of one curve, the best one is used
/// and the others are listed in RunData::unmapped). nullopt: no curve of ours.
std::optional<std::pair<Curve, int>> curveForName(const std::string& name);

/// The kind of foreign log `dir` holds ("tensorboard", "lightning-csv", "keras-csv"), or "" when it
/// holds none (or is a LayerLens run folder, even one that lost its config.json).
std::string foreignRunKind(const std::string& dir);

/// Reads a foreign log folder into a RunData: `curves` as the log has them; `batches` (loss,
/// accuracy and the learning rate in effect, at the steps with a training loss or accuracy) and
/// `evals` (test loss and accuracy) made from them, so the window and `layerlens runs` draw and
/// count them like ours; `epochs` for Keras (one row per epoch). Keras' points sit at step =
/// its epoch column (0-based), as TensorBoard draws Keras' epoch_* scalars. Throws DataError when
/// `dir` holds no foreign log.
RunData loadForeignRun(const std::string& dir);

}  // namespace ll
