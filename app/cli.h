#pragma once
// The command-line front end. Sub-commands live in cmd_*.cpp; none of them needs Qt, so they are
// built into layerlens_cli and tested without a display.

#include <iosfwd>
#include <string>
#include <vector>

namespace ll::cli {

/// Runs `layerlens <args...>` (args excludes the program name). Returns the exit code; errors
/// are one line on `err`. Never throws.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Whether args name a command-line sub-command (else the GUI is wanted).
bool isCliCommand(const std::vector<std::string>& args);

// Sub-commands. Each may throw ll::Error (turned into a one-line message by run()).
int demo(const std::vector<std::string>& args, std::ostream& out);
int models(const std::vector<std::string>& args, std::ostream& out);
int train(const std::vector<std::string>& args, std::ostream& out);
int bench(const std::vector<std::string>& args, std::ostream& out);
int summary(const std::vector<std::string>& args, std::ostream& out);
int rf(const std::vector<std::string>& args, std::ostream& out);
int data(const std::vector<std::string>& args, std::ostream& out);
int download(const std::vector<std::string>& args, std::ostream& out);
int experiment(const std::vector<std::string>& args, std::ostream& out);

}  // namespace ll::cli
