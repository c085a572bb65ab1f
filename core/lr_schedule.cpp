#include "core/lr_schedule.h"

#include <charconv>
#include <cmath>
#include <sstream>

#include "core/error.h"

namespace ll {

namespace {

constexpr double kPi = 3.14159265358979323846;

// The epoch after which a step at fraction f of `epochs` falls (halves rounded up).
int stepEpoch(double f, int epochs) {
    return static_cast<int>(std::floor(f * epochs + 0.5));
}

// Shortest decimal text that reads back as the same double (C locale whatever the process's).
std::string number(double v) {
    for (int precision = 6; precision <= 17; ++precision) {
        std::ostringstream s;
        s.imbue(std::locale::classic());
        s.precision(precision);
        s << v;
        double back = 0;
        const std::string t = s.str();
        std::from_chars(t.data(), t.data() + t.size(), back);
        if (back == v) return t;
    }
    return std::to_string(v);
}

double parseNumber(const std::string& text, const std::string& what, const std::string& whole) {
    double v = 0;
    const char* end = text.data() + text.size();
    const auto r = std::from_chars(text.data(), end, v);
    if (text.empty() || r.ec != std::errc() || r.ptr != end || !std::isfinite(v))
        throw UsageError(strCat("learning-rate schedule \"", whole, "\": ", what, " \"", text,
                                "\" is not a number"));
    return v;
}

std::vector<std::string> split(const std::string& s, char sep) {
    std::vector<std::string> out;
    std::string::size_type start = 0;
    for (;;) {
        const auto p = s.find(sep, start);
        out.push_back(s.substr(start, p == std::string::npos ? std::string::npos : p - start));
        if (p == std::string::npos) return out;
        start = p + 1;
    }
}

}  // namespace

double LrSchedule::factor(int epoch, int epochs) const {
    switch (kind) {
        case Kind::Constant:
            return 1.0;
        case Kind::Cosine:
            return epochs <= 0 ? 1.0 : 0.5 * (1.0 + std::cos(kPi * (epoch - 1) / epochs));
        case Kind::Step: {
            double f = 1.0;
            for (double a : at)
                if (stepEpoch(a, epochs) < epoch) f *= gamma;
            return f;
        }
    }
    return 1.0;
}

std::vector<int> LrSchedule::milestones(int epochs) const {
    std::vector<int> out;
    if (kind != Kind::Step) return out;
    for (double a : at)
        out.push_back(stepEpoch(a, epochs));
    return out;
}

std::string LrSchedule::str() const {
    switch (kind) {
        case Kind::Constant:
            return "constant";
        case Kind::Cosine:
            return "cosine";
        case Kind::Step: {
            std::string s = "step:";
            for (std::size_t i = 0; i < at.size(); ++i)
                s += (i ? "," : "") + number(at[i]);
            if (gamma != 0.1) s += ":" + number(gamma);
            return s;
        }
    }
    return "constant";
}

std::string LrSchedule::describe(int epochs) const {
    switch (kind) {
        case Kind::Constant:
            return "constant";
        case Kind::Cosine:
            return strCat("cosine from the base rate to near 0 over ", epochs, " epochs");
        case Kind::Step: {
            const std::vector<int> m = milestones(epochs);
            std::string s =
                strCat("\xC3\x97", number(gamma), " after epoch", m.size() > 1 ? "s " : " ");
            for (std::size_t i = 0; i < m.size(); ++i)
                s += (i == 0 ? "" : i + 1 == m.size() ? " and " : ", ") + std::to_string(m[i]);
            return s + strCat(" of ", epochs);
        }
    }
    return "constant";
}

LrSchedule parseLrSchedule(const std::string& text) {
    LrSchedule s;
    const std::vector<std::string> parts = split(text, ':');
    const std::string& kind = parts[0];
    if (kind == "constant" || kind == "cosine") {
        if (parts.size() > 1)
            throw UsageError(
                strCat("learning-rate schedule \"", text, "\": ", kind, " takes no values"));
        s.kind = kind == "constant" ? LrSchedule::Kind::Constant : LrSchedule::Kind::Cosine;
        return s;
    }
    if (kind != "step")
        throw UsageError(strCat("unknown learning-rate schedule \"", text,
                                "\": expected constant, cosine, step, step:F1,F2,... or "
                                "step:F1,F2,...:FACTOR"));
    if (parts.size() > 3)
        throw UsageError(strCat("learning-rate schedule \"", text,
                                "\": expected step:F1,F2,...:FACTOR, with at most two colons"));
    s.kind = LrSchedule::Kind::Step;
    s.at = {0.5, 0.75};
    if (parts.size() > 1) {
        s.at.clear();
        for (const std::string& f : split(parts[1], ',')) {
            const double v = parseNumber(f, "the fraction", text);
            if (!(v > 0 && v < 1))
                throw UsageError(strCat("learning-rate schedule \"", text, "\": the fraction ", f,
                                        " is not between 0 and 1 (a fraction of the epochs)"));
            if (!s.at.empty() && v <= s.at.back())
                throw UsageError(strCat("learning-rate schedule \"", text,
                                        "\": the fractions must increase (", f, " after ",
                                        number(s.at.back()), ")"));
            s.at.push_back(v);
        }
    }
    if (parts.size() > 2) {
        s.gamma = parseNumber(parts[2], "the factor", text);
        if (!(s.gamma > 0 && s.gamma <= 1))
            throw UsageError(strCat("learning-rate schedule \"", text, "\": the factor ", parts[2],
                                    " must be in (0, 1]"));
    }
    return s;
}

}  // namespace ll
