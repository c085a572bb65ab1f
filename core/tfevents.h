#pragma once
// TensorBoard event files (events.out.tfevents.*): the scalars they hold.
//
// An event file is a sequence of TFRecords (tensorflow/core/lib/io/record_writer.cc):
//   uint64 length | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
// all little-endian; each record's data is a serialized tensorflow.Event. Scalars come as a
// Summary.Value's simple_value (TF1, PyTorch's SummaryWriter by default) or as a rank-0 tensor
// (TF2, Keras, SummaryWriter(new_style=True)): DT_FLOAT in float_val or tensor_content, DT_DOUBLE
// in double_val or tensor_content. Everything else (graphs, histograms, images) is skipped.

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace ll {

/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF),
/// table-driven. crc32c("123456789") = 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t n);
/// TFRecord's masked CRC-32C: ((crc >> 15) | (crc << 17)) + 0xa282ead8, so that a CRC of data
/// holding CRCs stays strong.
std::uint32_t maskedCrc32c(const void* data, std::size_t n);
/// One TFRecord framing `data` (tests, the fuzz corpus, a future writer).
std::string tfRecord(const std::string& data);

struct ScalarEvent {
    std::string tag;
    std::int64_t step = 0;
    double wallTime = 0;  // seconds since 1970
    double value = 0;
};

/// The scalars of an event file's bytes, in file order. Never throws on bad bytes: a record
/// whose data CRC does not match, or which is no Event, is skipped with a warning naming `name`
/// and the record's byte offset; a record cut short at the end (a writer still busy, or killed)
/// is ignored with a warning; a length whose CRC does not match ends the reading (the records
/// after it cannot be found) with a warning.
std::vector<ScalarEvent> parseEventScalars(const std::string& bytes, const std::string& name,
                                           std::vector<std::string>& warnings);
/// The same for a file; throws DataError when it cannot be read or exceeds the memory budget.
std::vector<ScalarEvent> readEventScalars(const std::string& path,
                                          std::vector<std::string>& warnings);

}  // namespace ll
