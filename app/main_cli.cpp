// layerlens without the Qt interface (LAYERLENS_BUILD_UI=OFF): the headless commands only.
#include <iostream>
#include <string>
#include <vector>

#include "app/cli.h"

int main(int argc, char** argv) {
    std::vector<std::string> args(argv + 1, argv + argc);
    if (ll::cli::isWindowLaunch(args)) {
        std::cerr << "layerlens: built without the desktop window (LAYERLENS_BUILD_UI=OFF); try "
                     "'layerlens help'\n";
        return 2;
    }
    return ll::cli::run(args, std::cout, std::cerr);
}
