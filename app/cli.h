#pragma once
// The command-line front end. Sub-commands live in cmd_*.cpp; none of them needs Qt, so they are
// built into layerlens_cli and tested without a display. Every command states its options as a
// Command (app/args.h): one parser, and the same --help for all.

#include <iosfwd>
#include <string>
#include <vector>

#include "app/args.h"
#include "core/model_file.h"

namespace ll::cli {

/// Runs `layerlens <args...>` (args excludes the program name) for a command word: a headless
/// command, help, version -- or an unknown word, refused with "unknown command". Returns the exit
/// code: 0, 1 for a failure, 2 for a usage error; errors are one line on `err`, usage texts go to
/// `out`. Never throws.
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);

/// Whether args ask for the desktop window: no words at all, options first (--model ..., or
/// Qt's own single-dash ones such as -platform), except -h/--help/--version, or a first word that
/// is no command but an existing file or folder (`layerlens FILE`, as a file manager runs it).
/// Everything else is for run(), unknown words included.
bool isWindowLaunch(const std::vector<std::string>& args);

/// Lines `layerlens version` adds after the core's build facts (the window build: Qt's version).
void setVersionExtra(const std::string& lines);

/// The manual page (roff, section 1) and the bash completion script, generated from the same
/// Command table as the help texts (`layerlens help --man`, `layerlens help --bash-completion`;
/// the build installs both).
std::string manPage();
std::string bashCompletion();

/// The window's options (parsed in main.cpp, listed by 'layerlens help').
const Command& windowCommand();

/// export-plots' options: it needs Qt, so main.cpp runs it; run() only prints its help (and,
/// in a build without Qt, says it is missing).
const Command& exportPlotsCommand();

/// Every command word with its options, in the order 'layerlens help' lists them.
std::vector<const Command*> commands();

/// The text of 'layerlens help': the commands, then the window's options.
std::string overview();

// Sub-commands, each with what it accepts. Each may throw ll::Error (turned into a one-line
// message by run()); `args` was parsed against the command's own Command.
Command demoCommand();
Command modelsCommand();
Command trainCommand();
Command benchCommand();
Command summaryCommand();
Command rfCommand();
Command dataCommand();
Command downloadCommand();
Command experimentCommand();
Command inferCommand();
Command exportCommand();
Command runsCommand();
Command labCommand();
Command topkCommand();
Command maximizeCommand();
int demo(const Args& args, std::ostream& out);
int models(const Args& args, std::ostream& out);
int train(const Args& args, std::ostream& out);
int bench(const Args& args, std::ostream& out);
int summary(const Args& args, std::ostream& out);
int rf(const Args& args, std::ostream& out);
int data(const Args& args, std::ostream& out);
int download(const Args& args, std::ostream& out);
int experiment(const Args& args, std::ostream& out);
int infer(const Args& args, std::ostream& out);
int runs(const Args& args, std::ostream& out);
int exportModel(const Args& args, std::ostream& out);
int lab(const Args& args, std::ostream& out);
int topk(const Args& args, std::ostream& out);
int maximize(const Args& args, std::ostream& out);

/// --kernels fast|reference (core/kernels.h), for the commands that run a net; run() applies it
/// for the command's duration.
Option kernelsOption();

/// The net of --model, or of the model document a --checkpoint holds (infer, export); the
/// checkpoint's weights are not loaded here. UsageError when neither is given.
Net modelOrCheckpointNet(const Args& args, ModelSpec& spec);

}  // namespace ll::cli
