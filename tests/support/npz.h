#pragma once
// Writes .npy arrays and .npz (zip) archives for the tests, stored or deflated, optionally with
// the zip64 extra fields numpy writes (force_zip64), so the reader meets the layouts it will meet
// in the field.

#include <zlib.h>

#include <cstdint>
#include <string>
#include <utility>
#include <vector>

#include "support/data_files.h"

namespace ll::test {

inline void putLe(std::vector<std::uint8_t>& b, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        b.push_back(static_cast<std::uint8_t>(v >> (8 * i)));
}

/// A version-1 .npy file: header dict padded to a multiple of 64 bytes, then the data.
inline std::vector<std::uint8_t> npy(const std::string& descr, const std::string& shape,
                                     const std::vector<std::uint8_t>& data) {
    std::string h = "{'descr': '" + descr + "', 'fortran_order': False, 'shape': " + shape + ", }";
    while ((10 + h.size() + 1) % 64 != 0)
        h += ' ';
    h += '\n';
    std::vector<std::uint8_t> b = {0x93, 'N', 'U', 'M', 'P', 'Y', 1, 0};
    putLe(b, h.size(), 2);
    b.insert(b.end(), h.begin(), h.end());
    b.insert(b.end(), data.begin(), data.end());
    return b;
}

inline std::vector<std::uint8_t> deflateRaw(const std::vector<std::uint8_t>& in) {
    z_stream s{};
    deflateInit2(&s, 6, Z_DEFLATED, -MAX_WBITS, 8, Z_DEFAULT_STRATEGY);
    std::vector<std::uint8_t> out(deflateBound(&s, static_cast<uLong>(in.size())));
    s.next_in = const_cast<Bytef*>(in.data());
    s.avail_in = static_cast<uInt>(in.size());
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(out.size());
    deflate(&s, Z_FINISH);
    out.resize(s.total_out);
    deflateEnd(&s);
    return out;
}

/// A zip archive of (name, bytes) members.
inline std::vector<std::uint8_t> zip(
    const std::vector<std::pair<std::string, std::vector<std::uint8_t>>>& members, bool deflated,
    bool zip64Extra) {
    std::vector<std::uint8_t> out, dir;
    for (const auto& [name, data] : members) {
        const std::vector<std::uint8_t> body = deflated ? deflateRaw(data) : data;
        const auto crc =
            static_cast<std::uint32_t>(crc32(0L, data.data(), static_cast<uInt>(data.size())));
        const std::uint64_t offset = out.size();
        // Local header; with zip64 the sizes are 0xFFFFFFFF and live in the extra field.
        putLe(out, 0x04034b50, 4);
        putLe(out, zip64Extra ? 45 : 20, 2);
        putLe(out, 0, 2);
        putLe(out, deflated ? 8 : 0, 2);
        putLe(out, 0, 4);  // time, date
        putLe(out, crc, 4);
        putLe(out, zip64Extra ? 0xFFFFFFFF : body.size(), 4);
        putLe(out, zip64Extra ? 0xFFFFFFFF : data.size(), 4);
        putLe(out, name.size(), 2);
        putLe(out, zip64Extra ? 20 : 0, 2);
        out.insert(out.end(), name.begin(), name.end());
        if (zip64Extra) {
            putLe(out, 1, 2);
            putLe(out, 16, 2);
            putLe(out, data.size(), 8);
            putLe(out, body.size(), 8);
        }
        out.insert(out.end(), body.begin(), body.end());
        // Central directory entry; with zip64 the offset goes to the extra field too.
        putLe(dir, 0x02014b50, 4);
        putLe(dir, 20, 2);
        putLe(dir, zip64Extra ? 45 : 20, 2);
        putLe(dir, 0, 2);
        putLe(dir, deflated ? 8 : 0, 2);
        putLe(dir, 0, 4);
        putLe(dir, crc, 4);
        putLe(dir, body.size(), 4);
        putLe(dir, data.size(), 4);
        putLe(dir, name.size(), 2);
        putLe(dir, zip64Extra ? 12 : 0, 2);
        putLe(dir, 0, 2);  // comment
        putLe(dir, 0, 2);  // disk
        putLe(dir, 0, 2);  // internal attributes
        putLe(dir, 0, 4);  // external attributes
        putLe(dir, zip64Extra ? 0xFFFFFFFF : offset, 4);
        dir.insert(dir.end(), name.begin(), name.end());
        if (zip64Extra) {
            putLe(dir, 1, 2);
            putLe(dir, 8, 2);
            putLe(dir, offset, 8);
        }
    }
    const std::uint64_t dirOffset = out.size();
    out.insert(out.end(), dir.begin(), dir.end());
    putLe(out, 0x06054b50, 4);
    putLe(out, 0, 4);
    putLe(out, members.size(), 2);
    putLe(out, members.size(), 2);
    putLe(out, dir.size(), 4);
    putLe(out, dirOffset, 4);
    putLe(out, 0, 2);
    return out;
}

}  // namespace ll::test
