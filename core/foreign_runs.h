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

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/runs.h"
#include "core/tfevents.h"

namespace ll {

/// The curve a tag or column name maps to (case-insensitive), with its rank among the names of
/// that curve (0 = preferred: when a log has several names of one curve, the best one is used
/// and the others are listed in RunData::unmapped). nullopt: no curve of ours.
std::optional<std::pair<Curve, int>> curveForName(const std::string& name);

/// Names a user mapped to curves (the Runs dock's Map tags… dialog, remembered there): tag or
/// column name, lower-case, to curve. A mapped name is taken before every name of the table for
/// its curve; a name the table maps elsewhere follows the user.
using TagMapping = std::map<std::string, Curve>;

/// curveForName with `mapping` first (rank −1: preferred to the table's names).
std::optional<std::pair<Curve, int>> curveForName(const std::string& name,
                                                  const TagMapping& mapping);

/// The kind of foreign log `dir` holds ("tensorboard", "lightning-csv", "keras-csv"), or "" when it
/// holds none (or is a LayerLens run folder, even one that lost its config.json).
std::string foreignRunKind(const std::string& dir);

/// Reads a foreign log folder into a RunData: `curves` as the log has them; `batches` (loss,
/// accuracy and the learning rate in effect, at the steps with a training loss or accuracy) and
/// `evals` (test loss and accuracy) made from them, so the window and `layerlens runs` draw and
/// count them like ours; `epochs` for Keras (one row per epoch). Keras' points sit at step =
/// its epoch column (0-based), as TensorBoard draws Keras' epoch_* scalars. Throws DataError when
/// `dir` holds no foreign log.
RunData loadForeignRun(const std::string& dir, const TagMapping& mapping = {});

/// Follows a foreign log folder that a job elsewhere may still be writing (a training on a
/// cluster, its folder on a shared or synced disk). The constructor reads it all, as
/// loadForeignRun does; each poll() then reads only the bytes appended to its event files since,
/// from the byte after the last whole record (a record still being written is read once
/// complete), and picks up event files that appeared. A file that shrank was replaced: it is read
/// again from its start. A CSV log is read again whole when its size or modification time
/// changed: PyTorch Lightning's CSVLogger rewrites metrics.csv (with a wider header when a metric
/// first appears), so appended bytes alone would not do. The files are only read.
class ForeignRunFollower {
public:
    /// Throws DataError when `dir` holds no foreign log (as loadForeignRun).
    explicit ForeignRunFollower(const std::string& dir, TagMapping mapping = {});
    /// Reads what is new; true when the run changed (run() then has it). Never throws: a file
    /// that cannot be read now is tried again at the next poll.
    bool poll();
    const RunData& run() const { return m_run; }
    /// Bytes read from the files so far (what "without re-reading the whole file" is measured by).
    std::uint64_t bytesRead() const { return m_bytesRead; }

private:
    struct EventFile {
        std::string path, shown, prefix;  // shown: as seen from the run folder
        std::uint64_t offset = 0;         // the byte after the last whole record read
        std::uint64_t size = 0;           // the size at the last poll
        bool lost = false;                // a length CRC failed: nothing more can be read
        std::vector<ScalarEvent> scalars;
    };
    bool pollEvents();
    bool pollCsv();

    std::string m_dir, m_kind;
    TagMapping m_mapping;
    RunData m_run;
    std::vector<EventFile> m_files;
    std::vector<std::string> m_warnings;  // the event files' bad records, as they were met
    std::uint64_t m_bytesRead = 0;
    bool m_csvRead = false;  // the CSV was read at m_csvSize and m_csvTime
    std::uint64_t m_csvSize = 0;
    std::int64_t m_csvTime = 0;
};

}  // namespace ll
