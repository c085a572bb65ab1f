#include "core/checkpoint.h"

#include <zlib.h>

#include <cstring>
#include <limits>
#include <map>

#include <nlohmann/json.hpp>

#include "core/data/file_io.h"
#include "core/data/size_check.h"

namespace ll {

namespace {

using nlohmann::json;
constexpr char kMagic[16] = {'L', 'A', 'Y', 'E', 'R', 'L', 'E',  'N',
                             'S', '-', 'C', 'K', 'P', 'T', '\n', '\0'};

// Fixed-width little-endian integers of the file layout.
void appendLittleEndian(std::string& out, std::uint64_t v, int bytes) {
    for (int i = 0; i < bytes; ++i)
        out.push_back(static_cast<char>((v >> (8 * i)) & 0xff));
}

std::uint64_t readLittleEndian(const std::vector<std::uint8_t>& b, std::size_t at, int bytes) {
    std::uint64_t v = 0;
    for (int i = 0; i < bytes; ++i)
        v |= static_cast<std::uint64_t>(b[at + static_cast<std::size_t>(i)]) << (8 * i);
    return v;
}

struct Entry {
    std::string name;
    Tensor* tensor;
};

std::vector<Entry> netEntries(Net& net) {
    std::vector<Entry> out;
    for (auto& p : net.namedParams())
        out.push_back({"param:" + p.name, &p.param->value});
    for (auto& b : net.namedBuffers())
        out.push_back({"buffer:" + b.name, b.tensor});
    return out;
}

std::vector<Entry> optimizerEntries(Optimizer& opt) {
    std::vector<Entry> out;
    for (auto& s : opt.state())
        out.push_back({"optim:" + s.name, s.tensor});
    return out;
}

struct Parsed {
    json header;
    std::map<std::string, Tensor> tensors;
};

Parsed parse(const std::string& path) {
    const std::vector<std::uint8_t> bytes = readMaybeGzip(path);
    auto bad = [&](const std::string& what) {
        return DataError(strCat("checkpoint '", path, "' ", what));
    };
    if (bytes.size() < 16 + 8 + 4 || std::memcmp(bytes.data(), kMagic, 16) != 0) {
        throw bad("is not a LayerLens checkpoint (wrong magic bytes)");
    }
    const auto storedCrc = static_cast<std::uint32_t>(readLittleEndian(bytes, bytes.size() - 4, 4));
    const auto crc =
        static_cast<std::uint32_t>(crc32(0L, bytes.data(), static_cast<uInt>(bytes.size() - 4)));
    if (crc != storedCrc) throw bad("is damaged or truncated (checksum mismatch)");
    const std::uint64_t headerLen = readLittleEndian(bytes, 16, 8);
    const std::string where = strCat("checkpoint '", path, "'");
    // Every declared size is checked without wrap-around against the bytes present.
    requireInside(bytes.size() - 4, 24, headerLen, where + ": the header");
    Parsed p;
    try {
        p.header = json::parse(bytes.begin() + 24,
                               bytes.begin() + 24 + static_cast<std::ptrdiff_t>(headerLen));
    } catch (const json::exception& e) {
        throw bad(strCat("has an unreadable header: ", e.what()));
    }
    if (!p.header.is_object()) throw bad("has an unreadable header (not a JSON object)");
    const json& v = p.header.contains("version") ? p.header["version"] : json();
    const int version = v.is_number_integer() && v.get<std::int64_t>() == kCheckpointVersion
                            ? kCheckpointVersion
                            : 0;
    if (version != kCheckpointVersion) {
        throw bad(strCat("has format version ", v.dump(), "; this LayerLens reads version ",
                         kCheckpointVersion));
    }
    const std::uint64_t dataStart = 24 + headerLen, dataSize = bytes.size() - 4 - dataStart;
    std::uint64_t total = 0;
    try {
        for (const json& t : p.header.at("tensors")) {
            const std::string name = t.at("name");
            const std::string what = strCat(where, ": tensor ", name);
            const json& dims = t.at("shape");
            if (!dims.is_array() || dims.size() > 8)
                throw bad(strCat("has a bad shape for ", name));
            std::vector<int> shape;
            std::uint64_t count = 1;
            for (const json& d : dims) {
                if (!d.is_number_integer() || d.get<std::int64_t>() < 0 ||
                    d.get<std::int64_t>() > std::numeric_limits<int>::max())
                    throw bad(strCat("has a bad shape for ", name, ": ", dims.dump()));
                shape.push_back(d.get<int>());
                count = checkedMul(count, static_cast<std::uint64_t>(shape.back()), what);
            }
            const json& off = t.at("offset");
            if (!off.is_number_unsigned() &&
                !(off.is_number_integer() && off.get<std::int64_t>() >= 0))
                throw bad(strCat("has a bad offset for ", name));
            const std::uint64_t offset = off.get<std::uint64_t>();
            const std::uint64_t nbytes = checkedMul(count, 4, what);
            requireInside(dataSize, offset, nbytes, what);
            // Tensors do not overlap in a saved file: their sum is bounded by the file too, so
            // a directory naming the same bytes a million times cannot ask for terabytes.
            total = checkedAdd(total, nbytes, what);
            requireInside(dataSize, 0, total, where + ": the tensors together");
            Tensor tensor{Shape(shape)};
            if (nbytes > 0) std::memcpy(tensor.data(), bytes.data() + dataStart + offset, nbytes);
            p.tensors[name] = std::move(tensor);
        }
    } catch (const json::exception& e) {
        throw bad(strCat("has a malformed tensor directory: ", e.what()));
    } catch (const ShapeError& e) {
        throw bad(strCat("has a malformed tensor directory: ", e.what()));
    }
    return p;
}

// A count of the header (epoch, steps): a JSON integer in [0, hi]. A float there (1e300, say)
// would be converted to an integer, which is undefined outside the integer's range.
std::int64_t countField(const json& h, const char* key, std::int64_t hi, const std::string& path) {
    if (!h.contains(key)) return 0;
    const json& v = h[key];
    if (v.is_number_unsigned() && v.get<std::uint64_t>() <= static_cast<std::uint64_t>(hi))
        return static_cast<std::int64_t>(v.get<std::uint64_t>());
    if (v.is_number_integer() && v.get<std::int64_t>() >= 0 && v.get<std::int64_t>() <= hi)
        return v.get<std::int64_t>();
    throw DataError(strCat("checkpoint '", path, "' has a malformed header: '", key, "' is ",
                           v.dump(), ", expected a whole number from 0 to ", hi));
}

CheckpointInfo infoOf(const json& h, const std::string& path) {
    CheckpointInfo info;
    constexpr std::int64_t kMaxSteps = std::int64_t{1} << 53;
    try {
        info.version = kCheckpointVersion;  // checked by the parser
        info.model = h.value("model", "");
        info.modelJson = h.value("model_json", "");
        info.epoch = static_cast<int>(countField(h, "epoch", 2147483647, path));
        info.step = countField(h, "step", kMaxSteps, path);
        if (h.contains("optimizer") && h["optimizer"].is_object()) {
            const json& o = h["optimizer"];
            info.optimizer = o.value("type", "");
            info.optimizerSteps = countField(o, "steps", kMaxSteps, path);
            if (o.contains("lr")) {
                const json& lr = o["lr"];
                if (!lr.is_number() || !std::isfinite(lr.get<double>()) ||
                    std::fabs(lr.get<double>()) > 3.4e38)
                    throw DataError(strCat("checkpoint '", path,
                                           "' has a malformed header: the optimizer's 'lr' is ",
                                           lr.dump(), ", expected a finite number"));
                info.optimizerLr = static_cast<float>(lr.get<double>());
            }
        }
    } catch (const json::exception& e) {
        throw DataError(strCat("checkpoint '", path, "' has a malformed header: ", e.what()));
    }
    return info;
}

}  // namespace

void saveCheckpoint(const std::string& path, Net& net, Optimizer* optimizer, int epoch,
                    std::int64_t step, const std::string& modelJson) {
    std::vector<Entry> entries = netEntries(net);
    json header;
    header["version"] = kCheckpointVersion;
    header["model"] = net.name();
    header["model_json"] = modelJson;
    header["epoch"] = epoch;
    header["step"] = step;
    if (optimizer) {
        header["optimizer"] = {{"type", optimizer->type()},
                               {"steps", optimizer->steps()},
                               {"lr", optimizer->learningRate()}};
        for (const Entry& e : optimizerEntries(*optimizer))
            entries.push_back(e);
    }
    json dir = json::array();
    std::uint64_t offset = 0;
    for (const Entry& e : entries) {
        dir.push_back({{"name", e.name}, {"shape", e.tensor->shape().dims()}, {"offset", offset}});
        offset += static_cast<std::uint64_t>(e.tensor->numel()) * 4;
    }
    header["tensors"] = dir;
    const std::string h = header.dump();
    std::string out(kMagic, 16);
    appendLittleEndian(out, h.size(), 8);
    out += h;
    for (const Entry& e : entries)
        out.append(reinterpret_cast<const char*>(e.tensor->data()),
                   static_cast<std::size_t>(e.tensor->numel()) * 4);
    const auto crc = static_cast<std::uint32_t>(
        crc32(0L, reinterpret_cast<const Bytef*>(out.data()), static_cast<uInt>(out.size())));
    appendLittleEndian(out, crc, 4);
    writeFileAtomic(path, out);
}

CheckpointInfo readCheckpointInfo(const std::string& path) {
    return infoOf(parse(path).header, path);
}

CheckpointInfo loadCheckpoint(const std::string& path, Net& net, Optimizer* optimizer) {
    Parsed p = parse(path);
    CheckpointInfo info = infoOf(p.header, path);
    // Validate everything first; only then copy, so a mismatch leaves the model untouched.
    std::vector<Entry> entries = netEntries(net);
    std::string problems;
    std::size_t netTensorsInFile = 0;
    for (const auto& kv : p.tensors)
        netTensorsInFile += kv.first.rfind("optim:", 0) != 0;
    for (const Entry& e : entries) {
        auto it = p.tensors.find(e.name);
        if (it == p.tensors.end()) {
            problems += strCat("\n  ", e.name.substr(e.name.find(':') + 1), " ", e.tensor->shape(),
                               " is missing");
        } else if (it->second.shape() != e.tensor->shape()) {
            problems += strCat("\n  ", e.name.substr(e.name.find(':') + 1), ": the model has ",
                               e.tensor->shape(), ", the checkpoint ", it->second.shape());
        }
    }
    if (problems.empty() && netTensorsInFile != entries.size()) {
        problems += strCat("\n  the checkpoint holds ", netTensorsInFile, " tensors, the model ",
                           entries.size());
    }
    if (!problems.empty()) {
        throw ModelError(strCat("checkpoint '", path, "' (model '", info.model,
                                "') does not fit model '", net.name(), "':", problems,
                                "\nThe model was left unchanged."));
    }
    std::vector<Entry> optEntries;
    if (optimizer && info.optimizer == optimizer->type()) {
        optEntries = optimizerEntries(*optimizer);
        bool fits = true;
        for (const Entry& e : optEntries) {
            auto it = p.tensors.find(e.name);
            fits = fits && it != p.tensors.end() && it->second.shape() == e.tensor->shape();
        }
        if (!fits) optEntries.clear();
        info.optimizerRestored = fits;
    }
    for (const Entry& e : entries)
        *e.tensor = p.tensors.at(e.name);
    for (const Entry& e : optEntries)
        *e.tensor = p.tensors.at(e.name);
    if (info.optimizerRestored) {
        optimizer->setSteps(info.optimizerSteps);
        if (!std::isnan(info.optimizerLr)) optimizer->setLearningRate(info.optimizerLr);
    }
    return info;
}

}  // namespace ll
