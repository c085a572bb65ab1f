// layerlens: parses the command line and wires objects together; the work lives in core/ and ui/.
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (args.empty()) {
        // The desktop window arrives with the desktop-app issue; until then, say what exists.
        std::cout << "layerlens: the desktop window is not built yet; try 'layerlens demo' or "
                     "'layerlens help'.\n";
        return 0;
    }
    return ll::cli::run(args, std::cout, std::cerr);
}
