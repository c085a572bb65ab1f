#include "core/data/npz.h"

#include <zlib.h>

#include <cstring>
#include <limits>

#include "core/data/file_io.h"
#include "core/data/mnist.h"
#include "core/error.h"

namespace ll {

namespace {

std::uint64_t le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | b[at + static_cast<std::size_t>(i)];
    return v;
}

// Bytes [at, at + n) must lie inside the buffer.
void need(const std::vector<std::uint8_t>& b, std::uint64_t at, std::uint64_t n,
          const std::string& name, const char* what) {
    if (at > b.size() || n > b.size() - at)
        throw DataError(strCat(name, ": damaged zip archive (", what, " runs past the end)"));
}

std::vector<std::uint8_t> inflateRaw(const std::uint8_t* src, std::uint64_t size,
                                     std::uint64_t outSize, const std::string& where) {
    std::vector<std::uint8_t> out(static_cast<std::size_t>(outSize));
    z_stream s{};
    if (inflateInit2(&s, -MAX_WBITS) != Z_OK) throw DataError(strCat(where, ": zlib init failed"));
    s.next_in = const_cast<Bytef*>(src);
    s.avail_in = static_cast<uInt>(size);
    s.next_out = out.data();
    s.avail_out = static_cast<uInt>(outSize);
    const int rc = inflate(&s, Z_FINISH);
    const std::uint64_t produced = s.total_out;
    inflateEnd(&s);
    if (rc != Z_STREAM_END || produced != outSize)
        throw DataError(strCat(where, ": damaged compressed data (", produced, " of ", outSize,
                               " bytes inflated)"));
    return out;
}

// The value of 'key' in a .npy header dict: "'descr': '|u1', 'fortran_order': False, ...".
std::string headerValue(const std::string& h, const std::string& key, const std::string& name) {
    const std::size_t k = h.find("'" + key + "'");
    if (k == std::string::npos) throw DataError(strCat(name, ": .npy header has no '", key, "'"));
    std::size_t v = h.find(':', k);
    if (v == std::string::npos) throw DataError(strCat(name, ": malformed .npy header"));
    ++v;
    while (v < h.size() && h[v] == ' ')
        ++v;
    std::size_t end = v;
    if (v < h.size() && (h[v] == '\'' || h[v] == '"')) {
        end = h.find(h[v], v + 1);
        if (end == std::string::npos) throw DataError(strCat(name, ": malformed .npy header"));
        return h.substr(v + 1, end - v - 1);
    }
    if (v < h.size() && h[v] == '(') {
        end = h.find(')', v);
        if (end == std::string::npos) throw DataError(strCat(name, ": malformed .npy header"));
        return h.substr(v, end - v + 1);
    }
    end = h.find_first_of(",}", v);
    return h.substr(v, end == std::string::npos ? std::string::npos : end - v);
}

// Labels of any integer dtype numpy writes for them, as bytes 0..255 (range checked by the
// MNIST parser).
std::vector<std::uint8_t> labelBytes(const NpyArray& a, const std::string& name) {
    const std::string& d = a.descr;
    int width = 0;
    if (d == "|u1" || d == "<u1" || d == "|i1" || d == "<i1") width = 1;
    if (d == "<i2" || d == "<u2") width = 2;
    if (d == "<i4" || d == "<u4") width = 4;
    if (d == "<i8" || d == "<u8") width = 8;
    if (width == 0) throw DataError(strCat(name, ": labels of type '", d, "' (expected integers)"));
    std::vector<std::uint8_t> out(static_cast<std::size_t>(a.count()));
    for (std::size_t i = 0; i < out.size(); ++i) {
        const std::uint64_t v = le(a.data, i * static_cast<std::size_t>(width), width);
        if (v > 255)
            throw DataError(strCat(name, ": label ", v, " of sample ", i, " is not a digit 0-9"));
        out[i] = static_cast<std::uint8_t>(v);
    }
    return out;
}

void putBig32(std::vector<std::uint8_t>& b, std::uint32_t v) {
    for (int s = 24; s >= 0; s -= 8)
        b.push_back(static_cast<std::uint8_t>(v >> s));
}

}  // namespace

std::int64_t NpyArray::count() const {
    std::int64_t n = 1;
    for (std::int64_t d : shape)
        n *= d;
    return n;
}

NpyArray parseNpy(const std::vector<std::uint8_t>& b, const std::string& name) {
    static const std::uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0)
        throw DataError(strCat(name, ": not a .npy array (no \\x93NUMPY magic)"));
    const int major = b[6];
    if (major < 1 || major > 3)
        throw DataError(strCat(name, ": .npy format version ", major, " is not supported"));
    const int lenBytes = major == 1 ? 2 : 4;
    need(b, 8, static_cast<std::uint64_t>(lenBytes), name, "the .npy header length");
    const std::uint64_t hlen = le(b, 8, lenBytes);
    const std::uint64_t start = 8 + static_cast<std::uint64_t>(lenBytes);
    need(b, start, hlen, name, "the .npy header");
    const std::string h(b.begin() + static_cast<std::ptrdiff_t>(start),
                        b.begin() + static_cast<std::ptrdiff_t>(start + hlen));
    NpyArray a;
    a.descr = headerValue(h, "descr", name);
    if (headerValue(h, "fortran_order", name) != "False")
        throw DataError(strCat(name, ": Fortran-order arrays are not supported"));
    const std::string shape = headerValue(h, "shape", name);
    std::size_t p = 1;
    while (p < shape.size()) {
        while (p < shape.size() && (shape[p] == ' ' || shape[p] == ','))
            ++p;
        if (p >= shape.size() || shape[p] == ')') break;
        std::size_t used = 0;
        long long d = -1;
        try {
            d = std::stoll(shape.substr(p), &used);
        } catch (const std::exception&) {
        }
        if (d < 0 || used == 0) throw DataError(strCat(name, ": malformed shape ", shape));
        a.shape.push_back(d);
        p += used;
    }
    int itemSize = 0;
    if (a.descr.size() >= 3) {
        try {
            itemSize = std::stoi(a.descr.substr(2));
        } catch (const std::exception&) {
        }
    }
    if (itemSize <= 0) throw DataError(strCat(name, ": unsupported dtype '", a.descr, "'"));
    if (a.descr[0] == '>' && itemSize > 1)
        throw DataError(strCat(name, ": big-endian arrays are not supported"));
    const std::uint64_t bytes = static_cast<std::uint64_t>(a.count()) * itemSize;
    need(b, start + hlen, bytes, name, "the array data");
    a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(start + hlen),
                  b.begin() + static_cast<std::ptrdiff_t>(start + hlen + bytes));
    return a;
}

std::map<std::string, std::vector<std::uint8_t>> readZip(const std::vector<std::uint8_t>& z,
                                                         const std::string& name) {
    // The end-of-central-directory record: within the last 64 KiB + 22 bytes.
    if (z.size() < 22) throw DataError(strCat(name, ": not a zip archive (too short)"));
    std::size_t eocd = std::string::npos;
    const std::size_t lowest = z.size() > 65557 ? z.size() - 65557 : 0;
    for (std::size_t i = z.size() - 22 + 1; i-- > lowest;) {
        if (le(z, i, 4) == 0x06054b50) {
            eocd = i;
            break;
        }
    }
    if (eocd == std::string::npos)
        throw DataError(strCat(name, ": not a zip archive (no end-of-directory record)"));
    std::uint64_t entries = le(z, eocd + 10, 2);
    std::uint64_t dirOffset = le(z, eocd + 16, 4);
    if (entries == 0xFFFF || dirOffset == 0xFFFFFFFF) {
        // Zip64: the locator just before points at the zip64 end record.
        if (eocd < 20 || le(z, eocd - 20, 4) != 0x07064b50)
            throw DataError(strCat(name, ": damaged zip64 archive (no locator)"));
        const std::uint64_t rec = le(z, eocd - 20 + 8, 8);
        need(z, rec, 56, name, "the zip64 end record");
        if (le(z, rec, 4) != 0x06064b50)
            throw DataError(strCat(name, ": damaged zip64 archive (bad end record)"));
        entries = le(z, rec + 32, 8);
        dirOffset = le(z, rec + 48, 8);
    }
    std::map<std::string, std::vector<std::uint8_t>> out;
    std::uint64_t at = dirOffset;
    for (std::uint64_t e = 0; e < entries; ++e) {
        const std::uint64_t entry = at;
        need(z, at, 46, name, "a directory entry");
        if (le(z, at, 4) != 0x02014b50)
            throw DataError(strCat(name, ": damaged zip archive (bad directory entry ", e, ")"));
        const int method = static_cast<int>(le(z, at + 10, 2));
        std::uint64_t csize = le(z, at + 20, 4), usize = le(z, at + 24, 4);
        const std::uint64_t nlen = le(z, at + 28, 2), xlen = le(z, at + 30, 2),
                            clen = le(z, at + 32, 2);
        std::uint64_t local = le(z, at + 42, 4);
        need(z, at + 46, nlen + xlen + clen, name, "a directory entry");
        const std::string member(z.begin() + static_cast<std::ptrdiff_t>(at + 46),
                                 z.begin() + static_cast<std::ptrdiff_t>(at + 46 + nlen));
        // Zip64 extra field: the sizes and offset that did not fit, in this order.
        for (std::uint64_t x = at + 46 + nlen; x + 4 <= at + 46 + nlen + xlen;) {
            const std::uint64_t id = le(z, x, 2), size = le(z, x + 2, 2);
            std::uint64_t f = x + 4;
            if (id == 0x0001) {
                for (std::uint64_t* v : {&usize, &csize, &local}) {
                    if (*v != 0xFFFFFFFF) continue;
                    need(z, f, 8, name, "a zip64 field");
                    *v = le(z, f, 8);
                    f += 8;
                }
            }
            x += 4 + size;
        }
        at += 46 + nlen + xlen + clen;
        need(z, local, 30, name, "a member header");
        if (le(z, local, 4) != 0x04034b50)
            throw DataError(strCat(name, ": damaged zip archive (bad header of ", member, ")"));
        const std::uint64_t data = local + 30 + le(z, local + 26, 2) + le(z, local + 28, 2);
        need(z, data, csize, name, "member data");
        const std::string where = strCat(name, ", member ", member);
        if (usize > std::numeric_limits<std::uint32_t>::max() / 2)
            throw DataError(strCat(where, ": too large (", usize, " bytes)"));
        if (method == 0) {
            if (csize != usize) throw DataError(strCat(where, ": sizes disagree"));
            out[member].assign(z.begin() + static_cast<std::ptrdiff_t>(data),
                               z.begin() + static_cast<std::ptrdiff_t>(data + csize));
        } else if (method == 8) {
            out[member] = inflateRaw(z.data() + data, csize, usize, where);
        } else {
            throw DataError(strCat(where, ": compression method ", method,
                                   " is not supported (stored or deflate only)"));
        }
        const std::uint32_t crc = static_cast<std::uint32_t>(
            crc32(0L, out[member].data(), static_cast<uInt>(out[member].size())));
        if (crc != le(z, entry + 16, 4))
            throw DataError(strCat(where, ": CRC mismatch (the archive is damaged)"));
    }
    return out;
}

Dataset loadMnistNpz(const std::string& path, const std::string& split) {
    if (split != "train" && split != "test")
        throw UsageError(strCat("MNIST split must be train or test, got ", split));
    auto members = readZip(readMaybeGzip(path), path);
    auto array = [&](const std::string& key) {
        const auto it = members.find(key + ".npy");
        if (it == members.end())
            throw DataError(strCat(path, ": no array '", key,
                                   "' (Keras' mnist.npz holds x_train, "
                                   "y_train, x_test and y_test)"));
        NpyArray a = parseNpy(it->second, strCat(path, ", ", key));
        it->second.clear();
        it->second.shrink_to_fit();
        return a;
    };
    const std::string xs = "x_" + split, ys = "y_" + split;
    NpyArray x = array(xs);
    const NpyArray y = array(ys);
    const std::string xn = strCat(path, ", ", xs), yn = strCat(path, ", ", ys);
    if (x.descr != "|u1" && x.descr != "<u1")
        throw DataError(strCat(xn, ": pixels of type '", x.descr, "' (expected uint8)"));
    if (x.shape.size() != 3)
        throw DataError(strCat(xn, ": ", x.shape.size(), " dimensions (expected N, 28, 28)"));
    if (y.shape.size() != 1)
        throw DataError(strCat(yn, ": ", y.shape.size(), " dimensions (expected N)"));
    // The IDX layout in memory, so the MNIST parser checks sizes, counts and labels as for the
    // official files.
    std::vector<std::uint8_t> img;
    img.reserve(16 + x.data.size());
    putBig32(img, 2051);
    for (int k = 0; k < 3; ++k)
        putBig32(img, static_cast<std::uint32_t>(x.shape[static_cast<std::size_t>(k)]));
    img.insert(img.end(), x.data.begin(), x.data.end());
    x.data = {};
    std::vector<std::uint8_t> lab;
    putBig32(lab, 2049);
    putBig32(lab, static_cast<std::uint32_t>(y.shape[0]));
    const std::vector<std::uint8_t> labels = labelBytes(y, yn);
    lab.insert(lab.end(), labels.begin(), labels.end());
    Dataset d = parseMnist(std::move(img), lab, xn, yn);
    d.split = split;
    d.source = path;
    return d;
}

}  // namespace ll
