// TensorBoard event files (core/tfevents.h): CRC-32C against its published check values, TFRecord
// framing, and Event / Summary messages encoded here byte by byte from TensorFlow's field
// numbers (independent of the reader's .proto), read back exactly; a corrupted CRC, a cut-off
// record, Keras' train/ and validation/ folders. The writer (EventFileWriter): its bytes against
// hand-computed ones, histogram buckets, folders that cannot be written.
#include <gtest/gtest.h>

#include <unistd.h>  // gethostname

#include <cmath>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <iterator>

#include "core/error.h"
#include "core/foreign_runs.h"
#include "core/runs.h"
#include "core/tfevents.h"
#include "support/data_files.h"

namespace ll {

namespace {

// The protobuf wire format, by hand.
std::string varint(std::uint64_t v) {
    std::string s;
    while (v >= 0x80) {
        s += static_cast<char>((v & 0x7F) | 0x80);
        v >>= 7;
    }
    return s + static_cast<char>(v);
}
std::string key(int field, int wire) {
    return varint(static_cast<std::uint64_t>(field) << 3 | static_cast<std::uint64_t>(wire));
}
std::string le(std::uint64_t v, int bytes) {
    std::string s;
    for (int k = 0; k < bytes; ++k)
        s += static_cast<char>((v >> (8 * k)) & 0xFF);
    return s;
}
std::string bytesField(int field, const std::string& b) {
    return key(field, 2) + varint(b.size()) + b;
}
std::string varintField(int field, std::uint64_t v) {
    return key(field, 0) + varint(v);
}
std::string doubleBits(double d) {
    std::uint64_t u;
    std::memcpy(&u, &d, 8);
    return le(u, 8);
}
std::string floatBits(float f) {
    std::uint32_t u;
    std::memcpy(&u, &f, 4);
    return le(u, 4);
}

// Summary.Value{tag = 1, simple_value = 2 (fixed32)}.
std::string simpleValue(const std::string& tag, float v) {
    return bytesField(1, tag) + key(2, 5) + floatBits(v);
}
// Summary.Value{tag = 1, tensor = 8: TensorProto{dtype = 1, tensor_shape = 2, ...}}.
std::string tensorValue(const std::string& tag, int dtype, const std::string& shape,
                        const std::string& values) {
    return bytesField(1, tag) + bytesField(8, varintField(1, static_cast<std::uint64_t>(dtype)) +
                                                  bytesField(2, shape) + values);
}
std::string floatValTensor(const std::string& tag, float v) {  // float_val = 5, packed
    return tensorValue(tag, 1, "", bytesField(5, floatBits(v)));
}
std::string floatContentTensor(const std::string& tag, float v) {  // tensor_content = 4
    return tensorValue(tag, 1, "", bytesField(4, floatBits(v)));
}
std::string doubleValTensor(const std::string& tag, double v) {  // double_val = 6, packed
    return tensorValue(tag, 2, "", bytesField(6, doubleBits(v)));
}
std::string doubleContentTensor(const std::string& tag, double v) {
    return tensorValue(tag, 2, "", bytesField(4, doubleBits(v)));
}
// Event{wall_time = 1 (fixed64), step = 2, summary = 5: Summary{repeated value = 1}}.
std::string event(std::int64_t step, const std::vector<std::string>& values) {
    std::string summary;
    for (const std::string& v : values)
        summary += bytesField(1, v);
    return key(1, 1) + doubleBits(1.7e9 + static_cast<double>(step)) +
           varintField(2, static_cast<std::uint64_t>(step)) + bytesField(5, summary);
}
std::string fileVersion() {
    return key(1, 1) + doubleBits(1.7e9) + bytesField(3, "brain.Event:2");
}

void writeBytes(const std::string& path, const std::string& bytes) {
    std::filesystem::create_directories(std::filesystem::path(path).parent_path());
    std::ofstream(path, std::ios::binary) << bytes;
}

const CurvePoints* curve(const RunData& r, Curve c) {
    for (const CurvePoints& cp : r.curves)
        if (cp.curve == c) return &cp;
    return nullptr;
}

std::string readBytes(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    return std::string((std::istreambuf_iterator<char>(in)), {});
}

std::string hostName() {
    char host[256] = {};
    ::gethostname(host, sizeof host - 1);
    return host;
}

}  // namespace

TEST(TfEvents, Crc32cCheckValues) {
    EXPECT_EQ(crc32c("123456789", 9), 0xE3069283u);  // the standard check value
    // RFC 3720 (iSCSI) B.4 test vectors.
    std::string zeros(32, '\0'), ones(32, '\xFF'), up(32, '\0'), down(32, '\0');
    for (int i = 0; i < 32; ++i) {
        up[i] = static_cast<char>(i);
        down[i] = static_cast<char>(31 - i);
    }
    EXPECT_EQ(crc32c(zeros.data(), 32), 0x8A9136AAu);
    EXPECT_EQ(crc32c(ones.data(), 32), 0x62A8AB43u);
    EXPECT_EQ(crc32c(up.data(), 32), 0x46DD794Eu);
    EXPECT_EQ(crc32c(down.data(), 32), 0x113FDB5Cu);
    EXPECT_EQ(crc32c("", 0), 0u);
    // Every TensorBoard file starts with the 24-byte file_version record: its length 24 and the
    // masked CRC of it, 18 00 00 00 00 00 00 00 a3 7f 4b 22.
    const std::string framed = tfRecord(fileVersion());
    ASSERT_EQ(fileVersion().size(), 24u);
    EXPECT_EQ(framed.substr(0, 12), std::string("\x18\0\0\0\0\0\0\0\xa3\x7f\x4b\x22", 12));
    EXPECT_EQ(framed.size(), 24u + 16u);
}

TEST(TfEvents, ScalarsBothWaysCorruptAndCutRecords) {
    const std::string dir = test::freshDir("tfevents") + "/run-a";
    std::string bytes = tfRecord(fileVersion());
    bytes += tfRecord(event(0, {simpleValue("loss", 2.5f), floatValTensor("accuracy", 0.25f)}));
    bytes += tfRecord(event(1, {floatContentTensor("loss", 1.5f), doubleValTensor("lr", 0.01)}));
    const std::size_t corruptAt = bytes.size();
    std::string bad = tfRecord(event(2, {simpleValue("loss", 9.0f)}));
    bad[bad.size() - 1] ^= 0x40;  // the data CRC
    bytes += bad;
    // A histogram (Summary.Value.histo = 5), a rank-1 tensor and a tag of no curve of ours.
    const std::string histo = bytesField(1, "weights") + bytesField(5, varintField(1, 3));
    const std::string vector1 = tensorValue("vec", 1, bytesField(2, varintField(1, 2)),
                                            bytesField(5, floatBits(1) + floatBits(2)));
    bytes += tfRecord(event(3, {simpleValue("loss", 0.75f), doubleContentTensor("val_loss", 1.25),
                                histo, vector1, simpleValue("custom/thing", 7)}));
    bytes += tfRecord(event(4, {floatValTensor("val_accuracy", 0.875f)}));
    const std::size_t cutAt = bytes.size();
    const std::string last = tfRecord(event(5, {simpleValue("loss", 0.5f)}));
    bytes += last.substr(0, last.size() - 3);  // the writer is still busy with it
    const std::string file = dir + "/events.out.tfevents.1700000000.host.1.0";
    writeBytes(file, bytes);

    std::vector<std::string> warnings;
    const auto s = readEventScalars(file, warnings);
    ASSERT_EQ(s.size(), 8u);  // not the corrupt record's, the histogram, the vector, the cut one
    EXPECT_EQ(s[0].tag, "loss");
    EXPECT_EQ(s[0].step, 0);
    EXPECT_EQ(s[0].value, 2.5);
    EXPECT_EQ(s[0].wallTime, 1.7e9);
    EXPECT_EQ(s[1].tag, "accuracy");
    EXPECT_EQ(s[1].value, 0.25);
    EXPECT_EQ(s[2].value, 1.5);
    EXPECT_EQ(s[3].tag, "lr");
    EXPECT_EQ(s[3].value, 0.01);  // a double stays a double
    EXPECT_EQ(s[4].step, 3);
    EXPECT_EQ(s[5].tag, "val_loss");
    EXPECT_EQ(s[5].value, 1.25);
    EXPECT_EQ(s[6].tag, "custom/thing");
    EXPECT_EQ(s[6].value, 7.0);
    EXPECT_EQ(s[7].tag, "val_accuracy");
    EXPECT_EQ(s[7].step, 4);
    EXPECT_EQ(s[7].value, 0.875);
    ASSERT_EQ(warnings.size(), 2u);
    const std::string name = "events.out.tfevents.1700000000.host.1.0";
    EXPECT_EQ(warnings[0], name + ": record at offset " + std::to_string(corruptAt) +
                               ": data CRC does not match, skipped");
    EXPECT_EQ(warnings[1], name + ": record at offset " + std::to_string(cutAt) +
                               " cut short (declares " + std::to_string(last.size() - 16) +
                               " bytes of data, " + std::to_string(last.size() - 19) +
                               " present), ignored");

    // As a run: the curves of our tags, the rest listed.
    EXPECT_EQ(foreignRunKind(dir), "tensorboard");
    const RunData r = loadRun(dir);
    EXPECT_EQ(r.kind, "tensorboard");
    EXPECT_EQ(r.name, "run-a");
    EXPECT_EQ(r.warnings, warnings);
    EXPECT_EQ(r.unmapped, std::vector<std::string>{"custom/thing"});
    ASSERT_EQ(r.batches.size(), 3u);
    EXPECT_EQ(r.batches[0].loss, 2.5);
    EXPECT_EQ(r.batches[0].accuracy, 0.25);
    EXPECT_TRUE(std::isnan(r.batches[0].lr));  // no learning rate logged yet
    EXPECT_EQ(r.batches[1].lr, 0.01f);
    EXPECT_EQ(r.batches[2].step, 3);
    EXPECT_EQ(r.batches[2].loss, 0.75);
    EXPECT_EQ(r.batches[2].lr, 0.01f);
    ASSERT_EQ(r.evals.size(), 2u);
    EXPECT_EQ(r.evals[0].loss, 1.25);
    EXPECT_EQ(r.evals[1].step, 4);
    EXPECT_EQ(r.evals[1].accuracy, 0.875);
    EXPECT_EQ(curve(r, Curve::Loss)->points.size(), 3u);
    EXPECT_EQ(curve(r, Curve::LearningRate)->points.size(), 1u);
}

TEST(TfEvents, BrokenLengthEmptyAndGarbage) {
    std::vector<std::string> w;
    EXPECT_TRUE(parseEventScalars("", "e", w).empty());
    EXPECT_TRUE(w.empty());
    std::string bytes = tfRecord(event(0, {simpleValue("loss", 1)}));
    const std::size_t second = bytes.size();
    std::string next = tfRecord(event(1, {simpleValue("loss", 2)}));
    next[8] ^= 1;  // the length's CRC: the records after it cannot be found
    bytes += next + tfRecord(event(2, {simpleValue("loss", 3)}));
    const auto s = parseEventScalars(bytes, "e", w);
    ASSERT_EQ(s.size(), 1u);
    ASSERT_EQ(w.size(), 1u);
    EXPECT_EQ(w[0], "e: record at offset " + std::to_string(second) +
                        ": CRC of its length does not match; the rest of the file (" +
                        std::to_string(bytes.size() - second) + " bytes) skipped");
    // A record with good CRCs around bytes that are no Event; a header cut short.
    w.clear();
    const auto g = parseEventScalars(tfRecord("\xff\xff\xff") + "\x01\x02", "e", w);
    EXPECT_TRUE(g.empty());
    ASSERT_EQ(w.size(), 2u);
    EXPECT_EQ(w[0], "e: record at offset 0 is no TensorFlow Event, skipped");
    EXPECT_EQ(w[1], "e: record at offset 19 cut short (2 bytes of its 12-byte header), ignored");
}

// Keras' TensorBoard callback: train/ and validation/ folders of one run, epoch_* tags as tensors;
// a folder of several runs, each its own.
TEST(TfEvents, KerasTrainAndValidationFoldersAndSeveralRuns) {
    const std::string root = test::freshDir("tfevents_keras");
    for (const std::string run : {"fit-1", "fit-2"}) {
        std::string train = tfRecord(fileVersion()), val = tfRecord(fileVersion());
        for (int e = 0; e < 3; ++e) {
            train += tfRecord(event(e, {floatValTensor("epoch_loss", 2.0f - 0.5f * e),
                                        floatValTensor("epoch_accuracy", 0.25f * (e + 1)),
                                        floatValTensor("epoch_learning_rate", 0.5f)}));
            val += tfRecord(event(e, {floatValTensor("epoch_loss", 2.5f - 0.5f * e),
                                      floatValTensor("epoch_accuracy", 0.125f * (e + 1))}));
        }
        writeBytes(root + "/" + run + "/train/events.out.tfevents.1.host.1.0.v2", train);
        writeBytes(root + "/" + run + "/validation/events.out.tfevents.1.host.1.1.v2", val);
    }
    const auto runs = listRuns(root);
    ASSERT_EQ(runs.size(), 2u);
    EXPECT_EQ(runs[1], root + "/fit-2");
    const RunData r = loadRun(runs[0]);
    EXPECT_EQ(r.kind, "tensorboard");
    EXPECT_TRUE(r.warnings.empty());
    EXPECT_TRUE(r.unmapped.empty());
    EXPECT_EQ(curve(r, Curve::TestLoss)->source, "val_epoch_loss");
    ASSERT_EQ(r.batches.size(), 3u);
    EXPECT_EQ(r.batches[2].loss, 1.0);
    EXPECT_EQ(r.batches[2].accuracy, 0.75);
    EXPECT_EQ(r.batches[2].lr, 0.5f);
    ASSERT_EQ(r.evals.size(), 3u);
    EXPECT_EQ(r.evals[1].loss, 2.0);
    EXPECT_EQ(r.evals[2].accuracy, 0.375);
}

// The writer's bytes, with a fixed clock, against bytes and CRCs computed by hand (a bitwise
// CRC-32C in Python, not this library's table): the file_version record, then one scalar.
TEST(TfEventsWriter, GoldenBytesAndFileName) {
    const std::string dir = test::freshDir("tfevents_golden") + "/logs";  // made by the writer
    double t = 1.7e9;
    const auto clock = [&t] { return t; };
    std::string path;
    {
        EventFileWriter w(dir, clock);
        path = w.path();
        t += 1;
        w.addScalar("loss", 1, 2.5f);
        w.flush();
    }
    EXPECT_EQ(path, dir + "/events.out.tfevents.1700000000." + hostName());
    // Record 1: length 24, masked CRC a37f4b22; Event{wall_time 1.7e9, file_version
    // "brain.Event:2"}; masked data CRC 9d8fedec.
    const std::string first = std::string("\x18\0\0\0\0\0\0\0\xa3\x7f\x4b\x22", 12) +
                              fileVersion() + std::string("\xec\xed\x8f\x9d", 4);
    // Record 2: length 26, masked CRC 2dd89b12; Event{wall_time 1700000001, step 1, summary
    // {value {tag "loss", simple_value 2.5}}}; masked data CRC 1a2a3696.
    const std::string second(
        "\x1a\x00\x00\x00\x00\x00\x00\x00"                  // length 26
        "\x12\x9b\xd8\x2d"                                  // its masked CRC
        "\x09\x00\x00\x40\x40\xfc\x54\xd9\x41"              // wall_time 1700000001.0
        "\x10\x01"                                          // step 1
        "\x2a\x0d\x0a\x0b\x0a\x04loss\x15\x00\x00\x20\x40"  // summary {value {tag, simple 2.5}}
        "\x96\x36\x2a\x1a",                                 // the data's masked CRC
        42);
    ASSERT_EQ(second.substr(12, 26), event(1, {simpleValue("loss", 2.5f)}));  // the same event
    EXPECT_EQ(readBytes(path), first + second);

    // A second writer in the same second gets a file of its own; the first is left as it was.
    t = 1.7e9 + 0.5;
    {
        EventFileWriter again(dir, clock);
        EXPECT_EQ(again.path(), path + ".1");
    }
    EXPECT_EQ(readBytes(path), first + second);
    EXPECT_EQ(readBytes(path + ".1").size(), 40u);  // its file_version record only
}

TEST(TfEventsWriter, HistogramBuckets) {
    const float nan = std::nanf("");
    const Tensor a(Shape({4}), std::vector<float>{-1, -0.5f, 0, nan});
    const Tensor b(Shape({3}), std::vector<float>{0.25f, 1, 3});
    const TfHistogram h = tfHistogram({&a, &b}, 4);  // width 1 from -1 to 3
    EXPECT_EQ(h.min, -1);
    EXPECT_EQ(h.max, 3);
    EXPECT_EQ(h.num, 6);  // the NaN left out
    EXPECT_EQ(h.sum, 2.75);
    EXPECT_EQ(h.sumSquares, 11.3125);
    EXPECT_EQ(h.bucketLimit, (std::vector<double>{0, 1, 2, 3}));
    EXPECT_EQ(h.bucket, (std::vector<double>{2, 2, 1, 1}));  // [-1,0) [0,1) [1,2) [2,3]
    const Tensor same(Shape({3}), 0.5f), empty(Shape({0}));
    const TfHistogram one = tfHistogram({&same});
    EXPECT_EQ(one.bucketLimit, std::vector<double>{0.5});
    EXPECT_EQ(one.bucket, std::vector<double>{3});
    const TfHistogram none = tfHistogram({&empty});
    EXPECT_EQ(none.num, 0);
    EXPECT_TRUE(none.bucket.empty());
}

// A folder that cannot be made (a file is in the way) or a file that cannot be created: a
// DataError naming the path, nothing left behind.
TEST(TfEventsWriter, UnwritableFolderIsAClearError) {
    const std::string root = test::freshDir("tfevents_unwritable");
    writeBytes(root + "/file", "x");
    for (const std::string& dir : {root + "/file", root + "/file/logs"}) {
        try {
            EventFileWriter w(dir);
            ADD_FAILURE() << "no error for " << dir;
        } catch (const DataError& e) {
            const std::string m = e.what();
            EXPECT_NE(m.find("cannot create the TensorBoard log folder '" + dir + "'"),
                      std::string::npos)
                << m;
        }
    }
    if (::geteuid() != 0) {  // root writes anywhere
        std::filesystem::create_directories(root + "/locked");
        std::filesystem::permissions(root + "/locked", std::filesystem::perms::owner_read |
                                                           std::filesystem::perms::owner_exec);
        try {
            EventFileWriter w(root + "/locked");
            ADD_FAILURE() << "no error for a read-only folder";
        } catch (const DataError& e) {
            EXPECT_NE(std::string(e.what()).find("cannot create the TensorBoard event file '" +
                                                 root + "/locked/events.out.tfevents."),
                      std::string::npos)
                << e.what();
        }
    }
    EXPECT_EQ(readBytes(root + "/file"), "x");
}

}  // namespace ll
