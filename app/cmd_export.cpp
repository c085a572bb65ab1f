// `layerlens export`: a model with its weights (a checkpoint's, an imported model's own, or
// initial ones) written as an ONNX file (core/onnx/onnx_export.h).
#include <filesystem>
#include <ostream>

#include "app/args.h"
#include "app/cli.h"
#include "core/checkpoint.h"
#include "core/data/size_check.h"
#include "core/model_file.h"
#include "core/onnx/onnx_export.h"

namespace ll::cli {

Command exportCommand() {
    Command c;
    c.name = "export";
    c.synopsis = "--model NAME|FILE [--checkpoint FILE] --out MODEL.onnx [--external-data FILE]";
    c.summary = "write a model and its weights as an ONNX file";
    c.description =
        "Writes the model as an ONNX file (opset 13) for ONNX Runtime, OpenCV's DNN module or\n"
        "PyTorch: input \"input\" (N, sample...) with a dynamic batch N, output \"output\", one\n"
        "ONNX node per layer named as the layer (a few for SiLU, GELU and HardSwish), the\n"
        "weights as float32 initializers. The graph is for inference: batch norm uses its\n"
        "running statistics, dropout is the identity. The file passes ONNX's checker before it\n"
        "is written. The weights are the --checkpoint's; without one, an imported ONNX model's\n"
        "own, else untrained initial weights (--seed) and a warning says so.\n"
        "Every exact rewrite that changes how the file imports back (a SparseConv2d written\n"
        "dense, SiLU as Sigmoid and Mul...) is printed as a warning; a layer ONNX cannot express\n"
        "exactly (LRN of an even size with PyTorch's window, adaptive pooling with overlapping\n"
        "bins) is refused and nothing is written.\n"
        "An ONNX model whose height and width are dynamic takes --input-size; the file written\n"
        "has them fixed, so the window opens it.\n"
        "A model over protobuf's 2 GB limit with its weights inline is written with ONNX\n"
        "external data: the weights in one side file beside the .onnx, MODEL.onnx.data\n"
        "(tensors under 1 kB stay inline; offsets are multiples of 4096). --external-data does\n"
        "so for any model. Keep the two files together; both are written, or neither.\n";
    c.options = {
        {"model", "NAME|FILE", "a preset (see 'layerlens models') or a model file"},
        {"input-size", "HxW",
         "height and width of an ONNX model whose input size is dynamic\n(the file written has "
         "them fixed)"},
        {"checkpoint", "FILE", "the weights (a .llck of 'layerlens train')"},
        {"out", "FILE", "the ONNX file to write (replaced when it exists)"},
        {"seed", "S", "seed of the initial weights without --checkpoint (default 1)"},
        {"external-data", "FILE",
         "write the weights to this side file beside --out (a file name,\nno directory) "
         "whatever the model's size; over 2 GB they go to\nMODEL.onnx.data without it"},
    };
    return c;
}

int exportModel(const Args& args, std::ostream& out) {
    if (!args.has("out")) throw UsageError("--out is required; see 'layerlens export --help'");
    const auto seed = static_cast<std::uint64_t>(args.integer("seed", 1, 0, 2147483647));
    const std::string path = args.str("out");
    ModelSpec spec;
    Net net = modelOrCheckpointNet(args, spec);
    std::string weights;
    if (args.has("checkpoint")) {
        net.resetParameters(seed);  // what the checkpoint does not hold (dropout's stream)
        const CheckpointInfo info = loadCheckpoint(args.str("checkpoint"), net);
        weights = strCat("weights: ", args.str("checkpoint"), " (epoch ", info.epoch, ", step ",
                         info.step, ")");
    } else if (net.pretrained()) {
        weights = strCat("weights: the model's own (", args.str("model"), ")");
    } else {
        net.resetParameters(seed);
        weights = strCat("warning: no --checkpoint: ", net.name(),
                         " is written with its untrained initial weights (seed ", seed, ")");
    }
    OnnxExportOptions options;
    options.classNames = spec.classNames;
    options.externalData = args.has("external-data");
    options.externalDataName =
        options.externalData ? args.str("external-data") : onnxExternalDataName(path);
    const OnnxExportResult r = exportOnnxModel(net, options);
    // Checked and built completely before a file is touched.
    writeOnnxExport(path, r);
    out << "model " << net.name() << " (" << net.numParams() << " parameters), input "
        << net.inputSample() << " per sample\n"
        << weights << "\n";
    for (const std::string& w : r.warnings)
        out << "warning: " << w << "\n";
    out << "wrote " << path << " (" << formatBytes(r.bytes.size()) << ", ONNX opset "
        << kOnnxExportOpset << ")\n";
    if (!r.externalName.empty())
        out << "wrote " << (std::filesystem::path(path).parent_path() / r.externalName).string()
            << " (" << formatBytes(r.externalBytes.size()) << ": the external data of "
            << r.externalTensors << " tensors, read with the model file beside it)\n";
    return 0;
}

}  // namespace ll::cli
