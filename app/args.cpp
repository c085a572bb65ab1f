#include "app/args.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ll::cli {

Args::Args(const std::vector<std::string>& args, std::vector<std::string> flags,
           std::vector<std::string> switches) {
    auto known = [](const std::vector<std::string>& list, const std::string& n) {
        return std::find(list.begin(), list.end(), n) != list.end();
    };
    for (std::size_t i = 0; i < args.size(); ++i) {
        const std::string& a = args[i];
        if (a.rfind("--", 0) != 0) {
            m_positional.push_back(a);
            continue;
        }
        std::string name = a.substr(2), value;
        const auto eq = name.find('=');
        const bool inlineValue = eq != std::string::npos;
        if (inlineValue) {
            value = name.substr(eq + 1);
            name = name.substr(0, eq);
        }
        if (known(switches, name)) {
            if (inlineValue) throw UsageError(strCat("--", name, " takes no value"));
            m_values[name] = "1";
        } else if (known(flags, name)) {
            if (!inlineValue) {
                if (i + 1 >= args.size()) throw UsageError(strCat("--", name, " needs a value"));
                value = args[++i];
            }
            m_values[name] = value;
        } else {
            std::string list;
            for (const auto& f : flags)
                list += " --" + f;
            for (const auto& s : switches)
                list += " --" + s;
            throw UsageError(strCat("unknown option --", name, " (accepted:", list, ")"));
        }
    }
}

bool Args::has(const std::string& name) const {
    return m_values.count(name) > 0;
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

double Args::number(const std::string& name, double fallback, double lo, double hi) const {
    if (!has(name)) return fallback;
    const std::string& s = m_values.at(name);
    std::size_t used = 0;
    double v = 0;
    try {
        v = std::stod(s, &used);
    } catch (const std::exception&) {
        used = 0;
    }
    if (used != s.size() || s.empty() || !std::isfinite(v)) {
        throw UsageError(strCat("--", name, " needs a number, got '", s, "'"));
    }
    if (v < lo || v > hi)
        throw UsageError(strCat("--", name, " must be in [", lo, ", ", hi, "], got ", s));
    return v;
}

int Args::integer(const std::string& name, int fallback, int lo, int hi) const {
    if (!has(name)) return fallback;
    const double v = number(name, fallback, lo, hi);
    if (v != std::floor(v))
        throw UsageError(strCat("--", name, " needs a whole number, got ", m_values.at(name)));
    return static_cast<int>(v);
}

}  // namespace ll::cli
