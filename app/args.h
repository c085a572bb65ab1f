#pragma once
// The one option parser of the command line: every command (and the window) states what it
// accepts as a Command, and Args parses against it. --help and -h are accepted everywhere, and
// Command::usage() is the text they print, so every command's help has the same shape.

#include <map>
#include <string>
#include <vector>

namespace ll::cli {

/// One --option: its name without dashes, the placeholder of its value ("" for a switch that
/// takes none) and what it does (may hold '\n' for more lines).
struct Option {
    std::string name;
    std::string value;
    std::string help;
};

/// What a command accepts. `usage()` renders
///   usage: layerlens NAME SYNOPSIS
///   DESCRIPTION
///   Options: one line per option, then -h, --help.
struct Command {
    std::string name;         ///< "train"; "" for the window (no command word)
    std::string synopsis;     ///< after the name, e.g. "--model NAME|FILE [OPTIONS]"
    std::string summary;      ///< one line for 'layerlens help'
    std::string description;  ///< lines after the synopsis, each ending in '\n'
    std::vector<Option> options;
    /// Words that are not options (e.g. download's data set): how many, and what they are
    /// called in errors. maxOperands < 0 accepts any number unchecked.
    int minOperands = 0, maxOperands = 0;
    std::string operands;  ///< "mnist|cifar10"

    std::string usage() const;
};

class Args {
public:
    /// Parses `args` (the words after the command word) against `command`. --NAME VALUE and
    /// --NAME=VALUE for options with a value, --NAME for switches. Throws UsageError (one line,
    /// naming 'layerlens NAME --help') for an unknown option, a missing value, a value given to a
    /// switch, or the wrong number of operands -- unless --help or -h is among the words: then
    /// help() is true and nothing is checked.
    Args(const std::vector<std::string>& args, const Command& command);

    /// --help or -h was given: print command.usage() to stdout and exit 0.
    bool help() const { return m_help; }
    bool has(const std::string& name) const;
    /// The option's value; the last one when it was given more than once.
    std::string str(const std::string& name, const std::string& fallback = "") const;
    /// Every value of an option that may be repeated (--layer A --layer B), in order.
    std::vector<std::string> all(const std::string& name) const;
    /// Throws UsageError when the value is missing or not a number in [lo, hi].
    int integer(const std::string& name, int fallback, int lo, int hi) const;
    double number(const std::string& name, double fallback, double lo, double hi) const;
    const std::vector<std::string>& positional() const { return m_positional; }

private:
    void parse(const std::vector<std::string>& args, const Command& command);

    bool m_help = false;
    std::map<std::string, std::string> m_values;            // the last value of each option
    std::map<std::string, std::vector<std::string>> m_all;  // every value, in order
    std::vector<std::string> m_positional;
};

}  // namespace ll::cli
