#pragma once
// CIFAR-10 in the official binary layout (cifar-10-batches-bin): records of 1 label byte and
// 3,072 pixel bytes (1,024 R, 1,024 G, 1,024 B, row-major 32×32).

#include <string>
#include <vector>

#include "core/data/dataset.h"

namespace ll {

/// The usual CIFAR-10 statistics per channel (R, G, B; training set, [0, 1] scale): the mean and
/// stddev of every CIFAR-10 Dataset, which normalization uses.
inline constexpr float kCifar10Mean[3] = {0.4914f, 0.4822f, 0.4465f};
inline constexpr float kCifar10Std[3] = {0.2470f, 0.2435f, 0.2616f};

/// The directory holding the .bin files: dir/cifar-10-batches-bin if it exists, else dir.
std::string cifarDirectory(const std::string& dir);
/// "train": every data_batch_{1..5}.bin present (at least one); "test": test_batch.bin.
/// Class names from batches.meta.txt when present. Throws DataError for a missing file (saying
/// where it looked), a length that is not a multiple of 3,073, or a label outside 0-9.
Dataset loadCifar10(const std::string& dir, const std::string& split);
/// Appends the records of one file in memory (exposed for tests).
void parseCifarBatch(const std::vector<std::uint8_t>& bytes, const std::string& name,
                     Dataset& into);

}  // namespace ll
