#pragma once
// Runs `layerlens <args>` in-process for the command-line tests.

#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

namespace ll::test {

struct CliResult {
    int code;
    std::string out, err;
};

inline CliResult runCli(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = cli::run(args, out, err);
    return {code, out.str(), err.str()};
}

}  // namespace ll::test
