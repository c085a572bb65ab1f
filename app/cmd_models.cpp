#include <iomanip>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/model_file.h"

namespace ll::cli {

Command modelsCommand() {
    Command c;
    c.name = "models";
    c.synopsis = "[--verbose]";
    c.summary = "list the built-in model presets with their parameter counts";
    c.description = "One line per preset: parameters, input shape and its default data set.\n";
    c.options = {{"verbose", "", "also each preset's description and layer table"}};
    return c;
}

int models(const Args& args, std::ostream& out) {
    for (const std::string& name : presetNames()) {
        ModelSpec spec;
        Net net = loadModel(name, &spec, Build::ShapesOnly);
        out << std::left << std::setw(16) << name << std::right << std::setw(12) << net.numParams()
            << " params  input " << net.inputSample() << "  " << spec.defaults.dataset << "\n";
        if (args.has("verbose")) out << "    " << spec.description << "\n" << net.summary();
    }
    return 0;
}

}  // namespace ll::cli
