#pragma once
// A small --flag VALUE parser with clear errors for the command line.

#include <map>
#include <string>
#include <vector>

namespace ll::cli {

class Args {
public:
    /// `flags` lists the accepted --names taking a value; `switches` those without.
    Args(const std::vector<std::string>& args, std::vector<std::string> flags,
         std::vector<std::string> switches = {});

    bool has(const std::string& name) const;
    std::string str(const std::string& name, const std::string& fallback = "") const;
    /// Throws UsageError when the value is missing or not a number in [lo, hi].
    int integer(const std::string& name, int fallback, int lo, int hi) const;
    double number(const std::string& name, double fallback, double lo, double hi) const;
    const std::vector<std::string>& positional() const { return m_positional; }

private:
    std::map<std::string, std::string> m_values;
    std::vector<std::string> m_positional;
};

}  // namespace ll::cli
