#pragma once
// Small file helpers for the loaders and checkpoints.

#include <cstdint>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace ll {

bool fileExists(const std::string& path);
/// Whole file, gunzipped when it is gzip-compressed (detected by content, not by name).
/// Throws DataError naming the file when it cannot be opened or the compressed stream is damaged.
std::vector<std::uint8_t> readMaybeGzip(const std::string& path);
/// Writes `bytes` to `path` atomically: a temporary file in the same directory, flushed and
/// synced, then renamed over the target. A crash leaves either the old file or the new one.
/// Also removes what an earlier writer of `path` left when it was killed mid-write
/// (removeStaleTempFiles).
void writeFileAtomic(const std::string& path, const std::string& bytes);
/// writeFileAtomic for files that belong together (an ONNX model and its external data), each a
/// (path, bytes) pair: every file is written to its temporary file and synced before any target
/// changes, then they are renamed in the order given. A failure while writing leaves every
/// target as it was (the temporary files are removed). A failed rename (rare: the temporary
/// files are in the targets' directories) removes the temporary files left and the targets
/// already renamed, so no new file of the set stays beside an old one; the old files those
/// replaced are gone. A crash between two renames can leave the first new file beside the old
/// second one. Throws DataError naming the file.
void writeFilesAtomic(const std::vector<std::pair<std::string, std::string_view>>& files);
/// Removes the temporary files "<name>.tmp.<pid>" in `dir` whose writing process no longer runs
/// (a kill during writeFileAtomic); those of live processes are kept. Returns how many were
/// removed. Never throws.
int removeStaleTempFiles(const std::string& dir);

}  // namespace ll
