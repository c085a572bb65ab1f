#include "core/layer_io.h"

namespace ll {

namespace {

// "padding": "same" — PyTorch's rule: the (k − 1)·d rows (columns) a window adds are split
// between the two sides, the odd one going to the bottom (right). Needs stride 1.
void samePadding(const LayerReader& r, Window2d& w) {
    if (w.sh != 1 || w.sw != 1) r.fail("\"same\" padding needs stride 1");
    const std::int64_t th = std::int64_t{w.kh - 1} * w.dh, tw = std::int64_t{w.kw - 1} * w.dw;
    if (th > 2 * std::int64_t{kMaxWindow} || tw > 2 * std::int64_t{kMaxWindow})
        r.fail(strCat("\"same\" padding of a ", w.kh, "×", w.kw, " kernel is too large"));
    w.ph = static_cast<int>(th / 2);
    w.pw = static_cast<int>(tw / 2);
    if (th % 2) w.pb = static_cast<int>(th - w.ph);
    if (tw % 2) w.pr = static_cast<int>(tw - w.pw);
}

// "padding" as an integer, [h, w] or [top, left, bottom, right] into `w`; false for any other
// value (the caller names the forms it accepts).
bool readPaddingNumbers(const LayerReader& r, Window2d& w) {
    const json& p = r.raw("padding");
    auto allIntegers = [&p] {
        return std::all_of(p.begin(), p.end(), [](const json& v) { return v.is_number_integer(); });
    };
    if (p.is_number_integer()) {
        w.ph = w.pw = r.toInt(p, "padding");
    } else if (p.is_array() && p.size() == 2 && allIntegers()) {
        w.ph = r.toInt(p[0], "padding");
        w.pw = r.toInt(p[1], "padding");
    } else if (p.is_array() && p.size() == 4 && allIntegers()) {
        w.ph = r.toInt(p[0], "padding");
        w.pw = r.toInt(p[1], "padding");
        w.pb = r.toInt(p[2], "padding");
        w.pr = r.toInt(p[3], "padding");
    } else {
        return false;
    }
    return true;
}

}  // namespace

Window2d readWindow(const LayerReader& r, bool pool) {
    Window2d w;
    if (!r.has("kernel")) r.fail("needs \"kernel\"");
    std::tie(w.kh, w.kw) = r.pair("kernel", {1, 1});
    // PyTorch's defaults: convolutions stride 1, pooling stride = kernel.
    std::tie(w.sh, w.sw) = r.pair("stride", pool ? std::pair{w.kh, w.kw} : std::pair{1, 1});
    if (!pool) std::tie(w.dh, w.dw) = r.pair("dilation", {1, 1});
    if (!r.has("padding")) return w;
    const json& p = r.raw("padding");
    if (p.is_string() && p.get<std::string>() == "same") {
        samePadding(r, w);
    } else if (!readPaddingNumbers(r, w)) {
        r.fail("\"padding\" must be an integer, [h, w], [top, left, bottom, right] or \"same\"");
    }
    return w;
}

void readPadding(const LayerReader& r, Window2d& w) {
    if (!r.has("padding")) return;
    if (!readPaddingNumbers(r, w))
        r.fail("\"padding\" must be an integer, [h, w] or [top, left, bottom, right]");
}

void writePadding(json& j, const Window2d& w) {
    if (!w.symmetric()) {
        j["padding"] = json::array({w.ph, w.pw, w.padBottom(), w.padRight()});
    } else if (w.ph != 0 || w.pw != 0) {
        j["padding"] = w.ph == w.pw ? json(w.ph) : json::array({w.ph, w.pw});
    }
}

void writeWindow(json& j, const Window2d& w, bool pool) {
    auto put = [&j](const char* key, int a, int b) {
        j[key] = a == b ? json(a) : json::array({a, b});
    };
    put("kernel", w.kh, w.kw);
    if (pool ? (w.sh != w.kh || w.sw != w.kw) : (w.sh != 1 || w.sw != 1)) put("stride", w.sh, w.sw);
    if (!pool && (w.dh != 1 || w.dw != 1)) put("dilation", w.dh, w.dw);
    writePadding(j, w);
}

}  // namespace ll
