#include "app/args.h"

#include <algorithm>
#include <cmath>

#include "core/error.h"

namespace ll::cli {

namespace {

// Where the help column starts; longer option names put their help on the next line.
constexpr std::size_t kHelpColumn = 26;

std::string seeHelp(const Command& c) {
    return c.name.empty() ? "see 'layerlens --help'" : "see 'layerlens " + c.name + " --help'";
}

std::string programName(const Command& c) {
    return c.name.empty() ? "layerlens" : "layerlens " + c.name;
}

// One option line (or more, for a help text with '\n'), indented two spaces.
void appendOption(std::string& text, const std::string& left, const std::string& help) {
    std::string line = "  " + left;
    if (line.size() + 2 > kHelpColumn) {
        text += line + "\n";
        line.clear();
    }
    std::size_t start = 0;
    for (;;) {
        const std::size_t nl = help.find('\n', start);
        line.resize(kHelpColumn, ' ');
        text += line + help.substr(start, nl == std::string::npos ? nl : nl - start) + "\n";
        if (nl == std::string::npos) break;
        line.clear();
        start = nl + 1;
    }
}

}  // namespace

std::string Command::usage() const {
    std::string text = "usage: " + programName(*this);
    if (!synopsis.empty()) text += " " + synopsis;
    text += "\n" + description;
    text += "\nOptions:\n";
    for (const Option& o : options)
        appendOption(text, "--" + o.name + (o.value.empty() ? "" : " " + o.value), o.help);
    appendOption(text, "-h, --help", "show this text");
    return text;
}

Args::Args(const std::vector<std::string>& args, const Command& command) {
    // --help wins over everything else on the line, mistakes included: whoever asks for help
    // gets it, not an error about the words next to it.
    m_help = std::any_of(args.begin(), args.end(),
                         [](const std::string& a) { return a == "--help" || a == "-h"; });
    if (m_help) return;
    parse(args, command);
}

void Args::parse(const std::vector<std::string>& args, const Command& command) {
    auto find = [&](const std::string& n) -> const Option* {
        for (const Option& o : command.options)
            if (o.name == n) return &o;
        return nullptr;
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
        const Option* o = find(name);
        if (!o) throw UsageError(strCat("unknown option --", name, "; ", seeHelp(command)));
        if (o->value.empty()) {
            if (inlineValue) throw UsageError(strCat("--", name, " takes no value"));
            m_values[name] = "1";
        } else {
            if (!inlineValue) {
                if (i + 1 >= args.size())
                    throw UsageError(strCat("--", name, " needs a value (", o->value, ")"));
                value = args[++i];
            }
            m_values[name] = value;
            m_all[name].push_back(value);
        }
    }
    if (command.maxOperands < 0) return;
    const auto n = static_cast<int>(m_positional.size());
    if (n > command.maxOperands) {
        const std::string& extra = m_positional[static_cast<std::size_t>(command.maxOperands)];
        throw UsageError(strCat("unexpected argument '", extra, "'; ", seeHelp(command)));
    }
    if (n < command.minOperands)
        throw UsageError(strCat("expected ", command.operands, "; ", seeHelp(command)));
}

bool Args::has(const std::string& name) const {
    return m_values.count(name) > 0;
}

std::string Args::str(const std::string& name, const std::string& fallback) const {
    auto it = m_values.find(name);
    return it == m_values.end() ? fallback : it->second;
}

std::vector<std::string> Args::all(const std::string& name) const {
    auto it = m_all.find(name);
    return it == m_all.end() ? std::vector<std::string>{} : it->second;
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
