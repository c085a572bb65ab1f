#include "core/layer_io.h"

namespace ll {

Window2d readWindow(const LayerReader& r, bool pool) {
    Window2d w;
    if (!r.has("kernel")) r.fail("needs \"kernel\"");
    std::tie(w.kh, w.kw) = r.pair("kernel", {1, 1});
    // PyTorch's defaults: convolutions stride 1, pooling stride = kernel.
    std::tie(w.sh, w.sw) = r.pair("stride", pool ? std::pair{w.kh, w.kw} : std::pair{1, 1});
    if (r.has("padding") && r.raw("padding").is_string()) {
        if (r.raw("padding").get<std::string>() != "same")
            r.fail("\"padding\" must be an integer, [h, w] or \"same\"");
        if (w.sh != 1 || w.sw != 1 || w.kh % 2 == 0 || w.kw % 2 == 0) {
            r.fail("\"same\" padding needs stride 1 and an odd kernel");
        }
        w.ph = w.kh / 2;
        w.pw = w.kw / 2;
    } else {
        std::tie(w.ph, w.pw) = r.pair("padding", {0, 0});
    }
    return w;
}

void writeWindow(json& j, const Window2d& w, bool pool) {
    auto put = [&j](const char* key, int a, int b) {
        j[key] = a == b ? json(a) : json::array({a, b});
    };
    put("kernel", w.kh, w.kw);
    if (pool ? (w.sh != w.kh || w.sw != w.kw) : (w.sh != 1 || w.sw != 1)) put("stride", w.sh, w.sw);
    if (w.ph != 0 || w.pw != 0) put("padding", w.ph, w.pw);
}

}  // namespace ll
