#include <iomanip>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/model_file.h"

namespace ll::cli {

int models(const std::vector<std::string>& argv, std::ostream& out) {
    Args args(argv, {}, {"verbose"});
    for (const std::string& name : presetNames()) {
        ModelSpec spec;
        Net net = loadModel(name, &spec);
        out << std::left << std::setw(16) << name << std::right << std::setw(12) << net.numParams()
            << " params  input " << net.inputSample() << "  " << spec.defaults.dataset << "\n";
        if (args.has("verbose")) out << "    " << spec.description << "\n" << net.summary();
    }
    return 0;
}

}  // namespace ll::cli
