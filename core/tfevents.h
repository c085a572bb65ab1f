#pragma once
// TensorBoard event files (events.out.tfevents.*): the scalars they hold, and a writer of scalars
// and histograms.
//
// An event file is a sequence of TFRecords (tensorflow/core/lib/io/record_writer.cc):
//   uint64 length | uint32 masked CRC-32C of those 8 bytes | data | uint32 masked CRC-32C of data
// all little-endian; each record's data is a serialized tensorflow.Event. Scalars come as a
// Summary.Value's simple_value (TF1, PyTorch's SummaryWriter by default) or as a rank-0 tensor
// (TF2, Keras, SummaryWriter(new_style=True)): DT_FLOAT in float_val or tensor_content, DT_DOUBLE
// in double_val or tensor_content. Everything else (graphs, histograms, images) is skipped.
//
// The writer (EventFileWriter) writes what TensorFlow's own FileWriter and PyTorch's
// SummaryWriter write: the file_version event first, then events of simple_value scalars and of
// HistogramProto histograms, flushed on request so a TensorBoard watching the folder shows them.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <utility>
#include <vector>

#include "core/tensor.h"

namespace ll {

/// CRC-32C (Castagnoli: reflected polynomial 0x82F63B78, init and final xor 0xFFFFFFFF),
/// table-driven. crc32c("123456789") = 0xE3069283.
std::uint32_t crc32c(const void* data, std::size_t n);
/// TFRecord's masked CRC-32C: ((crc >> 15) | (crc << 17)) + 0xa282ead8, so that a CRC of data
/// holding CRCs stays strong.
std::uint32_t maskedCrc32c(const void* data, std::size_t n);
/// One TFRecord framing `data`: what EventFileWriter writes per event (also tests, the fuzz
/// corpus).
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
/// What parseEventScalarsAt read: the scalars, and how far it got.
struct EventScalars {
    std::vector<ScalarEvent> scalars;
    /// Bytes of whole records read (bad ones included): where the next read starts. A record cut
    /// short at the end is not consumed, so a follower reads it again once its writer is done.
    std::uint64_t consumed = 0;
    /// A record's length failed its CRC: nothing after it can be found (and never will be).
    bool lost = false;
};
/// parseEventScalars of bytes read from file offset `base` on (warnings name file offsets);
/// with warnCutShort false, a record cut short at the end is no warning (a follower of a file
/// being written meets one at nearly every read).
EventScalars parseEventScalarsAt(const std::string& bytes, std::uint64_t base,
                                 const std::string& name, std::vector<std::string>& warnings,
                                 bool warnCutShort);
/// The same for a file; throws DataError when it cannot be read or exceeds the memory budget.
std::vector<ScalarEvent> readEventScalars(const std::string& path,
                                          std::vector<std::string>& warnings);

/// A TensorBoard histogram (TensorFlow's HistogramProto): count, sum and sum of squares of the
/// values, their range, and bucket counts. Bucket k holds the values in
/// [bucketLimit[k-1], bucketLimit[k]); the first starts at min, the last is closed and ends at
/// max (bucketLimit.back() == max).
struct TfHistogram {
    double min = 0, max = 0, num = 0, sum = 0, sumSquares = 0;
    std::vector<double> bucketLimit, bucket;  // upper edges and counts, the same length
};

/// The histogram of the finite values of `tensors`, taken together (a layer's weight and bias),
/// in `buckets` (>= 1) equal-width buckets from their min to their max -- the scheme of TF2's
/// tf.summary.histogram (30 buckets by default), whose HistogramProto TensorBoard draws as is.
/// All values equal: one bucket ending at that value. Non-finite values are left out (of num
/// too); no finite value: num 0 and no bucket.
TfHistogram tfHistogram(const std::vector<const Tensor*>& tensors, int buckets = 30);

/// Writes one TensorBoard event file. Events are written as they are added and reach the file
/// at flush() (or when the writer is destroyed): call it after each batch of events so a
/// TensorBoard watching the folder sees them. Not thread-safe: one thread writes.
class EventFileWriter {
public:
    /// Wall time, seconds since 1970 (events carry it; TensorBoard's "relative" axis uses it).
    using Clock = std::function<double()>;

    /// Creates `dir` (and its parents) and in it a new file named
    /// events.out.tfevents.<unix seconds>.<host name> (".1", ".2" ... appended when the name is
    /// taken: an existing file is never overwritten), and writes its first record, the
    /// file_version event "brain.Event:2". `clock` stamps the events (the system clock when
    /// empty). Throws DataError naming the folder or the file when either cannot be created.
    explicit EventFileWriter(const std::string& dir, Clock clock = {});
    /// Closes the file, writing what is left; never throws (flush() is where errors show).
    ~EventFileWriter();
    EventFileWriter(const EventFileWriter&) = delete;
    EventFileWriter& operator=(const EventFileWriter&) = delete;

    /// The event file's path (dir/events.out.tfevents....).
    const std::string& path() const { return m_path; }
    /// One event at `step` holding these scalars (tag, value) as simple_value (a float, as
    /// TensorBoard keeps scalars).
    void addScalars(std::int64_t step, const std::vector<std::pair<std::string, float>>& values);
    void addScalar(const std::string& tag, std::int64_t step, float value) {
        addScalars(step, {{tag, value}});
    }
    /// One event at `step` holding a histogram.
    void addHistogram(const std::string& tag, std::int64_t step, const TfHistogram& h);
    /// Hands what was written to the system, so other processes read it. Throws DataError
    /// naming the file when a write failed (a full disk).
    void flush();

private:
    void writeEvent(const std::string& data);
    double now() const;

    std::string m_path;
    std::FILE* m_file = nullptr;
    Clock m_clock;
};

}  // namespace ll
