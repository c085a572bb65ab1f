#include "core/data/npz.h"

#include <archive.h>
#include <archive_entry.h>

#include <algorithm>
#include <cstring>
#include <limits>
#include <memory>
#include <new>

#include "core/data/archive_message.h"
#include "core/data/file_io.h"
#include "core/data/mnist.h"
#include "core/data/size_check.h"
#include "core/error.h"

namespace ll {

namespace {

std::uint64_t le(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = bytes - 1; i >= 0; --i)
        v = (v << 8) | b[at + static_cast<std::size_t>(i)];
    return v;
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
    std::uint64_t n = 1;
    for (std::int64_t d : shape) {
        if (d < 0 || __builtin_mul_overflow(n, static_cast<std::uint64_t>(d), &n) ||
            n > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
            throw DataError(strCat(".npy shape with ", shape.size(),
                                   " dimensions: element count too large to represent"));
    }
    return static_cast<std::int64_t>(n);
}

NpyArray parseNpy(const std::vector<std::uint8_t>& b, const std::string& name) {
    static const std::uint8_t magic[] = {0x93, 'N', 'U', 'M', 'P', 'Y'};
    if (b.size() < 10 || std::memcmp(b.data(), magic, 6) != 0)
        throw DataError(strCat(name, ": not a .npy array (no \\x93NUMPY magic)"));
    const int major = b[6];
    if (major < 1 || major > 3)
        throw DataError(strCat(name, ": .npy format version ", major, " is not supported"));
    const int lenBytes = major == 1 ? 2 : 4;
    requireInside(b.size(), 8, static_cast<std::uint64_t>(lenBytes),
                  name + ": the .npy header length");
    const std::uint64_t hlen = le(b, 8, lenBytes);
    const std::uint64_t start = 8 + static_cast<std::uint64_t>(lenBytes);
    requireInside(b.size(), start, hlen, name + ": the .npy header");
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
        if (a.shape.size() >= 32) throw DataError(strCat(name, ": more than 32 dimensions"));
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
    std::uint64_t count = 1;
    for (std::int64_t d : a.shape)
        count = checkedMul(count, static_cast<std::uint64_t>(d), name + ": the array shape");
    if (count > static_cast<std::uint64_t>(std::numeric_limits<std::int64_t>::max()))
        throw DataError(strCat(name, ": the array shape ", shape, " is too large"));
    const std::uint64_t bytes =
        checkedMul(count, static_cast<std::uint64_t>(itemSize), name + ": the array data");
    requireInside(b.size(), start + hlen, bytes, name + ": the array data");
    a.data.assign(b.begin() + static_cast<std::ptrdiff_t>(start + hlen),
                  b.begin() + static_cast<std::ptrdiff_t>(start + hlen + bytes));
    return a;
}

Tensor npyToTensor(const NpyArray& a, const std::string& name) {
    std::vector<int> dims;
    for (std::int64_t d : a.shape) {
        if (d > std::numeric_limits<int>::max())
            throw DataError(strCat(name, ": dimension ", d, " is too large (at most ",
                                   std::numeric_limits<int>::max(), ")"));
        dims.push_back(static_cast<int>(d));
    }
    Tensor t;
    try {
        t = Tensor(Shape(dims));
    } catch (const ShapeError& e) {  // a zero dimension next to huge ones
        throw DataError(strCat(name, ": ", e.what()));
    }
    const std::size_t n = static_cast<std::size_t>(t.numel());
    const std::string& d = a.descr;
    std::size_t width = 0;
    if (d == "<f4") width = 4;
    if (d == "<f8") width = 8;
    if (d == "|u1" || d == "<u1") width = 1;
    if (width == 0)
        throw DataError(strCat(name, ": arrays of type '", d,
                               "' are not read (float32 '<f4', float64 '<f8' or uint8 '|u1' are)"));
    LL_CHECK(a.data.size() == n * width, name, ": ", a.data.size(), " bytes for ", n, " elements");
    float* out = t.data();
    const std::uint8_t* in = a.data.data();
    // Little-endian bytes, assembled value by value: right on any host, whatever the alignment.
    for (std::size_t i = 0; i < n; ++i) {
        if (width == 1) {
            out[i] = in[i];
        } else if (width == 4) {
            const auto bits = static_cast<std::uint32_t>(le(a.data, i * 4, 4));
            std::memcpy(&out[i], &bits, 4);
        } else {
            const std::uint64_t bits = le(a.data, i * 8, 8);
            double v = 0;
            std::memcpy(&v, &bits, 8);
            // Beyond float's range is infinity, as numpy's astype(float32) gives (a plain cast
            // of such a double is undefined behaviour).
            constexpr double kMax = std::numeric_limits<float>::max();
            out[i] = v > kMax    ? std::numeric_limits<float>::infinity()
                     : v < -kMax ? -std::numeric_limits<float>::infinity()
                                 : static_cast<float>(v);
        }
    }
    return t;
}

std::string npyBytes(const Tensor& t) {
    // The header numpy's format.py writes for a C-order array (write_array_header_1_0): the dict
    // with its keys sorted, room for the first axis to grow to 21 digits in place, then spaces
    // up to a 64-byte boundary and '\n' (a full 64 more when it is already aligned).
    std::string shape = "(";
    for (int i = 0; i < t.rank(); ++i)
        shape += strCat(i ? ", " : "", t.dim(i));
    shape += t.rank() == 1 ? ",)" : ")";
    std::string h = "{'descr': '<f4', 'fortran_order': False, 'shape': " + shape + ", }";
    if (t.rank() > 0)
        h.append(21 - std::min<std::size_t>(21, std::to_string(t.dim(0)).size()), ' ');
    constexpr std::size_t kPreamble = 10;  // magic, version, header length (uint16)
    const std::size_t padding = 64 - (kPreamble + h.size() + 1) % 64;
    h.append(padding, ' ');
    h += '\n';
    LL_CHECK(h.size() <= 0xFFFF, "a .npy 1.0 header of ", h.size(), " bytes for shape ", shape);
    std::string b = "\x93NUMPY";
    b += '\x01';
    b += '\x00';
    b += static_cast<char>(h.size() & 0xFF);
    b += static_cast<char>(h.size() >> 8);
    b += h;
    const std::size_t at = b.size(), n = static_cast<std::size_t>(t.numel());
    b.resize(at + 4 * n);
    const float* v = t.data();
    for (std::size_t i = 0; i < n; ++i) {
        std::uint32_t bits = 0;
        std::memcpy(&bits, &v[i], 4);
        for (std::size_t k = 0; k < 4; ++k)
            b[at + 4 * i + k] = static_cast<char>((bits >> (8 * k)) & 0xFF);
    }
    return b;
}

void writeNpy(const std::string& path, const Tensor& t) {
    writeFileAtomic(path, npyBytes(t));
}

std::map<std::string, std::vector<std::uint8_t>> readZip(const std::vector<std::uint8_t>& z,
                                                         const std::string& name) {
    // libarchive reads the zip (stored or deflated, zip64, CRC-checked). What it inflates is
    // bounded here: deflate expands at most about 1032:1, and the memory budget caps the rest,
    // so a member that declares 2 GB in 100 bytes fails after reading what is really there.
    if (z.size() < 22) throw DataError(strCat(name, ": not a zip archive (too short)"));
    std::unique_ptr<archive, decltype(&archive_read_free)> ar(archive_read_new(),
                                                              &archive_read_free);
    if (!ar) throw DataError(strCat(name, ": out of memory"));
    archive_read_support_format_zip_seekable(ar.get());
    auto fail = [&](const std::string& what) {
        const std::string msg = archiveMessage(ar.get());
        return DataError(strCat(name, ": ", what, msg.empty() ? "" : " (" + msg + ")"));
    };
    if (archive_read_open_memory(ar.get(), z.data(), z.size()) != ARCHIVE_OK) {
        // A zip starts with a member header and ends with its directory: with the first and
        // without the second, the file was cut short.
        const bool startsLikeZip = z[0] == 'P' && z[1] == 'K' && z[2] == 3 && z[3] == 4;
        throw fail(startsLikeZip ? "truncated or damaged zip archive (no end-of-directory record)"
                                 : "not a zip archive");
    }
    const std::uint64_t limit = std::min(memoryBudget(), checkedMul(z.size(), 1032, name) + 1024);
    std::uint64_t total = 0;
    std::map<std::string, std::vector<std::uint8_t>> out;
    for (;;) {
        archive_entry* e = nullptr;
        const int rc = archive_read_next_header(ar.get(), &e);
        if (rc == ARCHIVE_EOF) break;
        if (rc != ARCHIVE_OK) throw fail("damaged zip archive");
        const char* path = archive_entry_pathname(e);
        const std::string member = path ? path : "";
        const std::string where = strCat(name, ", member ", member);
        if (archive_entry_filetype(e) != AE_IFREG) continue;
        std::vector<std::uint8_t>& data = out[member];
        data.clear();
        std::uint8_t buf[1 << 16];
        for (;;) {
            const la_ssize_t n = archive_read_data(ar.get(), buf, sizeof buf);
            if (n < 0) {
                std::string m = archiveMessage(ar.get());
                if (m.empty()) m = "unreadable data";
                throw DataError(strCat(where, ": ",
                                       m.find("CRC") != std::string::npos
                                           ? "CRC mismatch (the archive is damaged)"
                                           : "damaged compressed data",
                                       " (", m, ")"));
            }
            if (n == 0) break;
            total += static_cast<std::uint64_t>(n);
            if (total > limit) {
                requireBudget(total, where);
                throw DataError(strCat(where, ": inflates to more than ", formatBytes(limit),
                                       ", which an archive of ", formatBytes(z.size()),
                                       " cannot hold: it is damaged"));
            }
            try {
                data.insert(data.end(), buf, buf + n);
            } catch (const std::bad_alloc&) {
                throw DataError(strCat(where, ": not enough memory to read it"));
            }
        }
        if (archive_entry_size_is_set(e) &&
            static_cast<std::uint64_t>(archive_entry_size(e)) != data.size())
            throw DataError(strCat(where, ": damaged (it declares ", archive_entry_size(e),
                                   " bytes and holds ", data.size(), ")"));
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
