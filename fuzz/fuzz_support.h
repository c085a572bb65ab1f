#pragma once
// What the fuzz targets share: the input layout, a per-process scratch folder, builders of valid
// containers (so mutations get past magic numbers, lengths and checksums), and the rule that only
// ll::Error may leave a parser.
//
// Input layout of every target: one mode byte (which variant of the harness runs: gzip or not,
// raw bytes or a rebuilt container...), then parts separated by kSeparator. A structure-aware
// harness builds a valid container around the parts: e.g. the checkpoint target takes a JSON
// header and tensor bytes and writes magic, the length and the CRC-32 itself.

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <vector>

#include "core/error.h"

namespace llfuzz {

namespace fs = std::filesystem;

/// Separates the parts of an input (in the seeds and in the dictionary-free mutations alike).
inline constexpr char kSeparator[] = "#LLPART#";

struct Input {
    std::uint8_t mode = 0;
    std::vector<std::string> parts;  // at least one (possibly empty)
    /// Part i, or "" when the input has fewer parts.
    const std::string& part(std::size_t i) const;
};

Input splitInput(const std::uint8_t* data, std::size_t size);
/// The inverse, for the seed generator.
std::string joinInput(std::uint8_t mode, const std::vector<std::string>& parts);

/// A folder of this process (under $TMPDIR), removed at exit. fresh() empties and recreates a
/// sub-folder for one input.
const fs::path& scratch();
fs::path fresh(const std::string& name);
void writeFile(const fs::path& p, const std::string& bytes);
std::vector<std::uint8_t> toBytes(const std::string& s);

// --- container builders -----------------------------------------------------------------------
std::string gzip(const std::string& bytes);
std::string deflateRaw(const std::string& bytes);
std::uint32_t crc32Of(const std::string& bytes);
void putLittle(std::string& out, std::uint64_t v, int bytes);
void putBig32(std::string& out, std::uint32_t v);

/// A .npy file: magic, version (1, 2 or 3), the header dict padded to 64 bytes, the data.
std::string npy(const std::string& headerDict, const std::string& data, int version = 1);
/// "header dict\ndata" (the first line is the dict) as a .npy file: how the npy and npz targets
/// read a structured member.
std::string npyFromLine(const std::string& part, int version = 1);

struct ZipMember {
    std::string name, data;
    bool deflate = false;
    bool zip64 = false;  // sizes and offset in a zip64 extra field, as numpy writes large members
};
/// A zip archive with correct CRCs, local headers and central directory.
std::string zip(const std::vector<ZipMember>& members);

struct TarEntry {
    std::string name;
    char type = '0';  // '0' file, '5' directory, anything else as given
    std::string data;
};
/// A ustar archive with correct header checksums and the two zero blocks at the end.
std::string tar(const std::vector<TarEntry>& entries);

/// A LayerLens checkpoint: magic, header length (or `lengthField` when it is 8 bytes), the header,
/// the tensor data and the CRC-32 of everything before it.
std::string checkpoint(const std::string& header, const std::string& data,
                       const std::string& lengthField = "");

/// The tiny model the checkpoint target loads into (conv, batch norm, linear: params and buffers).
extern const char kCheckpointModel[];

// --- the error contract -----------------------------------------------------------------------
[[noreturn]] void escaped(const char* what, const char* type);
/// With LLFUZZ_PRINT_ERRORS=1 in the environment, prints each refusal (to check that the seeds
/// are accepted and see why an input is refused); silent otherwise.
void refused(const ll::Error& e);

/// Runs f; ll::Error (the parsers' typed errors) is the expected refusal. Any other exception
/// escaping a parser is a finding: print it and abort so libFuzzer keeps the input.
template <typename F>
void guarded(F&& f) {
    try {
        f();
    } catch (const ll::Error& e) {
        refused(e);
    } catch (const std::exception& e) {
        escaped(e.what(), typeid(e).name());
    } catch (...) {
        escaped("(not a std::exception)", "unknown");
    }
}

/// A property the harness checks after a parser returned or refused (e.g. nothing written outside
/// the destination): prints and aborts when it does not hold.
void require(bool ok, const std::string& what);

}  // namespace llfuzz
