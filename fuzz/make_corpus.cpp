// Writes the seed corpora of every fuzz target: small valid files of each format, in each
// target's input layout (mode byte + parts, see fuzz_support.h), so the fuzzer starts past the
// magic numbers. Usage: fuzz_make_corpus OUTDIR  (creates OUTDIR/<target>/seed-NN).
#include <iostream>

#include "core/checkpoint.h"
#include "core/data/file_io.h"
#include "core/model_file.h"
#include "core/optimizer.h"
#include "core/tfevents.h"
#include "fuzz/fuzz_support.h"
#include "support/onnx_builder.h"

using namespace llfuzz;

namespace {

fs::path g_out;

void seed(const std::string& target, std::uint8_t mode, const std::vector<std::string>& parts) {
    const fs::path dir = g_out / target;
    fs::create_directories(dir);
    std::size_t n = 0;
    while (fs::exists(dir / ("seed-" + std::to_string(n))))
        ++n;
    writeFile(dir / ("seed-" + std::to_string(n)), joinInput(mode, parts));
}

std::string pattern(std::size_t n, unsigned mul) {
    std::string s(n, '\0');
    for (std::size_t i = 0; i < n; ++i)
        s[i] = static_cast<char>((i * mul) & 0xff);
    return s;
}

void idxSeeds() {
    const std::uint32_t n = 3;
    std::string images, labels;
    putBig32(images, 2051);
    putBig32(images, n);
    putBig32(images, 28);
    putBig32(images, 28);
    images += pattern(n * 784, 7);
    putBig32(labels, 2049);
    putBig32(labels, n);
    labels += std::string("\x01\x07\x09", 3);
    for (std::uint8_t mode : {0x00, 0x01, 0x03, 0x09, 0x11, 0x13})
        seed("fuzz_idx", mode, {images, labels});
    seed("fuzz_idx", 0x21, {gzip(images), gzip(labels)});
    std::string count;
    putBig32(count, n);
    for (std::uint8_t mode : {0x04, 0x05, 0x07})
        seed("fuzz_idx", mode, {images.substr(16), labels.substr(8), count});
}

void cifarSeeds() {
    std::string batch;
    for (int r = 0; r < 2; ++r) {
        batch.push_back(static_cast<char>(r * 7));
        batch += pattern(3072, 3 + r);
    }
    const std::string meta =
        "airplane\nautomobile\nbird\ncat\ndeer\ndog\nfrog\nhorse\nship\ntruck\n";
    for (std::uint8_t mode : {0x00, 0x01, 0x03, 0x05, 0x0d, 0x11, 0x21})
        seed("fuzz_cifar", mode, {batch, meta});
    seed("fuzz_cifar", 0x01, {batch, meta, batch, batch.substr(0, 3073)});
    seed("fuzz_cifar", 0x00, {batch, "", batch});
}

const std::string kU1 = "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 3), }";

void npySeeds() {
    seed("fuzz_npy", 0x00, {npy(kU1, "abcdef")});
    seed("fuzz_npy", 0x00,
         {npy("{'descr': '<i8', 'fortran_order': False, 'shape': (3,), }", pattern(24, 1))});
    seed("fuzz_npy", 0x00,
         {npy("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2), }", pattern(16, 5), 2)});
    seed("fuzz_npy", 0x00,
         {npy("{'descr': '|u1', 'fortran_order': False, 'shape': (), }", "x", 3)});
    seed("fuzz_npy", 0x01, {kU1 + "\nabcdef"});
    seed("fuzz_npy", 0x03, {"{'descr': '<u2', 'fortran_order': False, 'shape': (1, 2), }\nabcd"});
    seed("fuzz_npy", 0x05,
         {"{\"descr\": \"<i4\", \"fortran_order\": False, \"shape\": (1,)}\nabcd"});
}

void npzSeeds() {
    // Two 28x28 images and their labels per split, as Keras' mnist.npz holds them.
    const std::string x =
        "{'descr': '|u1', 'fortran_order': False, 'shape': (2, 28, 28), }\n" + pattern(2 * 784, 11);
    const std::string y8 = "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }\n" +
                           std::string("\x03\0\0\0\0\0\0\0\x05\0\0\0\0\0\0\0", 16);
    const std::string y1 = "{'descr': '|u1', 'fortran_order': False, 'shape': (2,), }\n\x01\x02";
    const std::vector<std::string> lines = {x, y8, x, y1};
    for (bool deflate : {false, true})
        for (bool zip64 : {false, true}) {
            std::vector<ZipMember> members;
            const char* names[] = {"x_train.npy", "y_train.npy", "x_test.npy", "y_test.npy"};
            for (int i = 0; i < 4; ++i)
                members.push_back(
                    {names[i], npyFromLine(lines[static_cast<std::size_t>(i)]), deflate, zip64});
            seed("fuzz_npz", 0x00, {zip(members)});
            seed("fuzz_npz", 0x20 | 0x40, {zip(members)});
        }
    for (std::uint8_t mode : {0x11, 0x15, 0x19, 0x1d, 0x31, 0x51})
        seed("fuzz_npz", mode, lines);
    seed("fuzz_npz", 0x13, {"x_train.npy", x, "y_train.npy", y1, "other.npy", y8});
    std::vector<std::string> files;
    for (const auto& l : lines)
        files.push_back(npyFromLine(l));
    seed("fuzz_npz", 0x01, files);
    seed("fuzz_npz", 0x05, files);
}

void modelSeeds() {
    for (const char* preset :
         {"logreg", "mlp-mnist", "lenet5", "lenet5-c3", "sigmoid-mlp", "rf-demo", "inception-naive",
          "inception-bottleneck", "resnet20-cifar", "mobilenet-cifar"})
        for (std::uint8_t mode : {0x00, 0x03})
            seed("fuzz_model", mode, {ll::presetJson(preset)});
    seed("fuzz_model", 0x02, {kCheckpointModel});
    seed("fuzz_model", 0x03, {R"({"name": "every", "description": "all layer types",
  "input": [2, 8, 8], "dataset": "cifar10", "loss": "mse",
  "defaults": {"optimizer": "adam", "lr": 0.001, "momentum": 0.5, "weight_decay": 0.0001,
               "batch": 8, "epochs": 2, "classes": [4, 9], "raw_pixels": true},
  "layers": [
    {"type": "SparseConv2d", "out": 2, "kernel": 3, "padding": 1, "connections": [[0], [0, 1]]},
    {"type": "Concat", "branches": [{"name": "a", "layers": [{"type": "MaxPool2d", "kernel": 2}]},
                                    [{"type": "AvgPool2d", "kernel": 2, "stride": 2}]]},
    {"type": "Sigmoid"}, {"type": "Tanh"}, {"type": "Dropout", "p": 0.25},
    {"type": "Conv2d", "in": 4, "out": 3, "kernel": [2, 3], "stride": [1, 2], "bias": false},
    {"type": "Flatten"}, {"type": "BatchNorm1d", "eps": 0.001, "momentum": 0.2},
    {"type": "Linear", "out": 2, "comment": "x"}]})"});
    // A graph with every graph node type, a gate, a join of named inputs and groups, and the
    // layers the ONNX importer added (ZeroPad2d, LRN with ONNX's window).
    seed("fuzz_model", 0x03, {R"({"name": "graph", "input": [4, 8, 8], "layers": [
    {"type": "Conv2d", "name": "a", "group": "g1", "out": 4, "kernel": 3, "padding": [1, 1, 1, 1], "groups": 4},
    {"type": "ChannelPad", "name": "p", "group": "g1", "inputs": ["input"], "out": 8, "stride": 2},
    {"type": "Conv2d", "name": "b", "inputs": ["a"], "out": 8, "kernel": 3, "stride": 2, "padding": 1, "dilation": 1},
    {"type": "Add", "name": "s", "inputs": ["b", "p"]},
    {"type": "GlobalAvgPool2d", "name": "q"}, {"type": "HardSigmoid", "name": "gate"},
    {"type": "Mul", "name": "m", "inputs": ["s", "gate"]},
    {"type": "Concat", "name": "c", "inputs": ["m", "s"]},
    {"type": "ZeroPad2d", "padding": [1, 0, 2, 1]},
    {"type": "LRN", "size": 4, "alpha": 0.0001, "beta": 0.75, "k": 2, "window": "onnx"},
    {"type": "MaxPool2d", "kernel": 3, "stride": 2, "ceil_mode": true},
    {"type": "AdaptiveAvgPool2d", "output": 1}, {"type": "Flatten"}, {"type": "Softmax"}]})"});
}

void checkpointSeeds() {
    const fs::path tmp = fresh("corpus-ckpt");
    ll::Net net = ll::buildNet(kCheckpointModel);
    net.resetParameters(1);
    for (const bool withOptimizer : {false, true}) {
        auto adam = ll::makeOptimizer("adam", net.params(), ll::OptimizerOptions{});
        const std::string path = (tmp / "c.llck").string();
        ll::saveCheckpoint(path, net, withOptimizer ? adam.get() : nullptr, 3, 42,
                           kCheckpointModel);
        const std::vector<std::uint8_t> b = ll::readMaybeGzip(path);
        const std::string file(b.begin(), b.end());
        std::uint64_t hlen = 0;
        for (int i = 7; i >= 0; --i)
            hlen = hlen << 8 | static_cast<std::uint8_t>(file[16 + static_cast<std::size_t>(i)]);
        const std::string header = file.substr(24, hlen);
        const std::string data = file.substr(24 + hlen, file.size() - 4 - 24 - hlen);
        seed("fuzz_checkpoint", 0x00, {header, data});
        seed("fuzz_checkpoint", 0x01, {header, data});
        seed("fuzz_checkpoint", 0x02, {header, data, file.substr(16, 8)});
        seed("fuzz_checkpoint", 0x04, {file});
    }
}

void runSeeds() {
    const std::string config = R"({"model": "logreg", "dataset": "mnist", "optimizer": "sgd",
  "lr": 0.1, "batch": 64, "epochs": 2, "seed": 1})";
    const std::string batches =
        "1,0,0,2.30258512,0.125,0.100000001,1234.5\n2,0,1,2.1,0.25,0.1,1300\n"
        "3,1,0,1.9,0.5,0.1,nan\n";
    const std::string evals = "2,0,2.2,0.3,1000\n3,1,1.8,0.6,1000\n";
    const std::string epochs = "0,2.2,0.2,2.1,0.3,1.5,1200\n1,1.9,0.5,nan,nan,1.4,1250\n";
    const std::string norms = "1,fc1,1.5,0.25\n1,\"fc 2\",2,0.5\n2,fc1,1.6,0.2\n3,fc1,1.7,0.1\n";
    const std::vector<std::string> rows = {config, batches, evals, epochs, norms};
    seed("fuzz_runs", 0x20, rows);
    seed("fuzz_runs", 0x30, rows);
    seed("fuzz_runs", 0x21, rows);
    seed("fuzz_runs", 0x20, {config, batches + "4,1,1,1.8", "", epochs.substr(0, 10), norms});
    seed("fuzz_runs", 0x00,
         {config, "step,epoch,batch,loss,accuracy,lr,images_per_s\n" + batches,
          "step,epoch,loss,accuracy,samples\n" + evals,
          "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n" + epochs,
          "step,layer,weight_norm,grad_norm\n" + norms});
}

// TensorBoard events and Lightning / Keras CSV logs (fuzz_tfevents): Event messages encoded by
// hand from TensorFlow's field numbers, as each part (the harness frames them).
std::string pbVarint(std::uint64_t v) {
    std::string s;
    for (; v >= 0x80; v >>= 7)
        s += static_cast<char>((v & 0x7F) | 0x80);
    return s + static_cast<char>(v);
}
std::string pbBytes(int field, const std::string& b) {
    return pbVarint(static_cast<std::uint64_t>(field) << 3 | 2) + pbVarint(b.size()) + b;
}
std::string pbEvent(std::uint64_t step, const std::string& values) {
    std::string e = "\x09";  // wall_time = 1, fixed64
    putLittle(e, 0x41D95A0B80000000ull, 8);
    e += "\x10" + pbVarint(step);   // step = 2
    return e + pbBytes(5, values);  // summary = 5
}
std::string pbSimple(const std::string& tag, std::uint32_t floatBits) {
    std::string v = pbBytes(1, tag) + "\x15";  // simple_value = 2, fixed32
    putLittle(v, floatBits, 4);
    return pbBytes(1, v);
}
std::string pbTensor(const std::string& tag, int dtype, const std::string& values) {
    return pbBytes(
        1, pbBytes(1, tag) + pbBytes(8, "\x08" + pbVarint(static_cast<std::uint64_t>(dtype)) +
                                            pbBytes(2, "") + values));
}

void tfeventsSeeds() {
    std::string version = "\x09";
    putLittle(version, 0x41D95A0B80000000ull, 8);
    version += pbBytes(3, "brain.Event:2");
    std::string f, d;
    putLittle(f, 0x3F000000u, 4);            // 0.5f
    putLittle(d, 0x3FB999999999999Aull, 8);  // 0.1
    const std::vector<std::string> events = {
        version, pbEvent(0, pbSimple("loss", 0x40200000u) + pbSimple("accuracy", 0x3E800000u)),
        pbEvent(1, pbTensor("train/loss", 1, pbBytes(5, f)) + pbTensor("lr", 2, pbBytes(6, d))),
        pbEvent(2, pbTensor("val_loss", 1, pbBytes(4, f)) + pbTensor("val_acc", 2, pbBytes(4, d)) +
                       pbBytes(1, pbBytes(1, "w") + pbBytes(5, "\x09")))};
    seed("fuzz_tfevents", 0x00, events);
    seed("fuzz_tfevents", 0x12, events);
    std::string file;
    for (const std::string& e : events)
        file += ll::tfRecord(e);
    seed("fuzz_tfevents", 0x01, {file});
    seed("fuzz_tfevents", 0x04,
         {pbEvent(0, pbTensor("epoch_loss", 1, pbBytes(5, f))),
          pbEvent(0, pbTensor("epoch_accuracy", 1, pbBytes(5, f)))});
    seed("fuzz_tfevents", 0x08,
         {"epoch,lr-SGD,step,train_acc_step,train_loss_step,val_acc,val_loss\n0,0.1,0,,,,\n"
          "0,,9,0.25,2.5,,\n0,,9,,,0.5,1.5\n1,,19,0.5,abc,,\n1,,19,0.75"});
    seed("fuzz_tfevents", 0x0C,
         {"epoch,accuracy,loss,lr,val_accuracy,val_loss\n0,0.5,1.5,0.001,0.625,1.25\n"
          "1,75,nan,0.001,,0.5\n\"2\",0.8,0.5,0.001,0.9,0.4\n3,0.9"});
}

void tarSeeds() {
    // Structured entries: "<type><name>\n<content>".
    seed("fuzz_tar", 0x00,
         {"5cifar-10-batches-bin/\n", "0cifar-10-batches-bin/batches.meta.txt\nairplane\n",
          "0cifar-10-batches-bin/data_batch_1.bin\n" + pattern(700, 3)});
    seed("fuzz_tar", 0x00, {"0a\nhello", "5d\n", "0d/e/f\n" + pattern(1500, 5)});
    seed("fuzz_tar", 0x00, {"0" + std::string(120, 'n') + "/" + std::string(90, 'm') + "\nlong"});
    seed("fuzz_tar", 0x00, {"\0plain\nold-style regular file"});
    const std::string t = tar({{"dir", '5', ""}, {"dir/x.bin", '0', pattern(600, 7)}});
    seed("fuzz_tar", 0x01, {t});
    seed("fuzz_tar", 0x02, {gzip(t)});
}

std::string pgm(int w, int h, int maxval, bool color, unsigned mul) {
    std::string s = std::string(color ? "P6" : "P5") + "\n# fuzz\n" + std::to_string(w) + " " +
                    std::to_string(h) + "\n" + std::to_string(maxval) + "\n";
    std::string px = pattern(static_cast<std::size_t>(w * h * (color ? 3 : 1)), mul);
    if (maxval < 255)
        for (char& c : px)
            c = static_cast<char>(static_cast<unsigned char>(c) % (maxval + 1));
    return s + px;
}

void imageSeeds() {
    const std::vector<std::string> flat = {std::string(1, '\x00') + pgm(4, 3, 255, false, 3),
                                           std::string(1, '\x01') + pgm(5, 5, 15, false, 5),
                                           std::string(1, '\x09') + pgm(3, 2, 255, true, 7),
                                           std::string(1, '\x0a') + pgm(30, 30, 255, true, 11),
                                           std::string(1, '\x10') + "not an image"};
    for (std::uint8_t mode : {0x00, 0x01, 0x04, 0x0d})
        seed("fuzz_image_folder", mode, flat);
    const std::vector<std::string> split = {std::string(1, '\x00') + pgm(4, 4, 255, false, 3),
                                            std::string(1, '\x04') + pgm(4, 4, 255, false, 9),
                                            std::string(1, '\x01') + pgm(2, 6, 100, false, 1),
                                            std::string(1, '\x05') + pgm(6, 2, 255, false, 13)};
    for (std::uint8_t mode : {0x02, 0x0b})
        seed("fuzz_image_folder", mode, split);
}

// ONNX models with every operator the importer converts, and a tensor in external data.
void onnxSeeds() {
    using ll::test::OnnxBuilder;
    {
        OnnxBuilder b({0, 1, 8, 8});
        b.init("w", {4, 1, 3, 3}, std::vector<float>(36, 0.1f));
        b.init("cb", {4}, {0, 0.1f, 0.2f, 0.3f});
        b.init("g", {4}, {1, 1, 1, 1});
        b.init("be", {4}, {0, 0, 0, 0});
        b.init("m", {4}, {0, 0, 0, 0});
        b.init("v", {4}, {1, 1, 1, 1});
        b.init("fc", {3, 64}, std::vector<float>(192, 0.01f), true);
        b.init("fb", {3}, {0, 0, 0});
        OnnxBuilder::ints(b.node("Conv", {"x", "w", "cb"}, {"c"}, "conv"), "pads", {1, 1, 1, 1});
        b.node("BatchNormalization", {"c", "g", "be", "m", "v"}, {"n"}, "bn");
        b.node("Relu", {"n"}, {"r"});
        auto& p = b.node("MaxPool", {"r"}, {"p"});
        OnnxBuilder::ints(p, "kernel_shape", {2, 2});
        OnnxBuilder::ints(p, "strides", {2, 2});
        OnnxBuilder::i(p, "ceil_mode", 1);
        b.node("Flatten", {"p"}, {"f"});
        OnnxBuilder::i(b.node("Gemm", {"f", "fc", "fb"}, {"y"}, "fc"), "transB", 1);
        b.output("y");
        const std::string m = b.model().SerializeAsString();
        for (std::uint8_t mode : {0x00, 0x01, 0x02})
            seed("fuzz_onnx", mode, {m});
    }
    {
        OnnxBuilder b({1, 2, 4, 4}, 11);
        b.init("lo", {}, {0});
        b.init("hi", {}, {6});
        b.initInts("pads", {0, 0, 1, 1, 0, 0, 1, 1});
        b.initInts("minus1", {-1});
        b.initInts("zero", {0});
        b.node("Clip", {"x", "lo", "hi"}, {"a"});
        b.node("Pad", {"a", "pads"}, {"pd"});
        auto& lrn = b.node("LRN", {"pd"}, {"l"});
        OnnxBuilder::i(lrn, "size", 2);
        auto& ap = b.node("AveragePool", {"l"}, {"ap"});
        OnnxBuilder::ints(ap, "kernel_shape", {3, 3});
        OnnxBuilder::ints(ap, "pads", {1, 1, 1, 1});
        OnnxBuilder::i(ap, "count_include_pad", 1);
        b.node("Sigmoid", {"ap"}, {"s"});
        b.node("Tanh", {"ap"}, {"t"});
        b.node("Sum", {"s", "t", "ap"}, {"sum"});
        b.node("GlobalAveragePool", {"sum"}, {"gp"});
        b.node("Mul", {"sum", "gp"}, {"gated"});
        OnnxBuilder::i(b.node("Concat", {"gated", "sum"}, {"cat"}), "axis", 1);
        b.node("HardSigmoid", {"cat"}, {"hs"});
        b.node("LeakyRelu", {"hs"}, {"lr"});
        b.node("Shape", {"lr"}, {"shape"});
        OnnxBuilder::i(b.node("Gather", {"shape", "zero"}, {"n"}), "axis", 0);
        OnnxBuilder::i(b.node("Concat", {"n", "minus1"}, {"target"}), "axis", 0);
        b.node("Reshape", {"lr", "target"}, {"flat"});
        b.node("Dropout", {"flat"}, {"d"});
        b.node("Softmax", {"d"}, {"y"});
        b.output("y");
        seed("fuzz_onnx", 0x01, {b.model().SerializeAsString()});
    }
    {
        OnnxBuilder b({1, 2});
        auto& t = b.init("w", {2, 2}, {});
        t.clear_raw_data();
        t.set_data_location(onnx::TensorProto::EXTERNAL);
        for (auto [k, v] :
             {std::pair{"location", "weights.bin"}, {"offset", "4"}, {"length", "16"}}) {
            auto* e = t.add_external_data();
            e->set_key(k);
            e->set_value(v);
        }
        b.init("bias", {2}, {1, -1});
        b.node("MatMul", {"x", "w"}, {"h"});
        b.node("Add", {"h", "bias"}, {"y"});
        b.output("y");
        seed("fuzz_onnx", 0x03, {b.model().SerializeAsString(), pattern(20, 17)});
    }
}

void kernelSeeds() {
    seed("fuzz_kernel", 0x00, {"0,0,0;0,-1,1;0,0,0"});
    seed("fuzz_kernel", 0x05, {"1 2 1; 0 0 0; -1 -2 -1"});
    seed("fuzz_kernel", 0x50, {"1/9 1/9 1/9\n1/9 1/9 1/9\n1/9 1/9 1/9;"});
    seed("fuzz_kernel", 0x00, {"-1, 1"});
    seed("fuzz_kernel", 0x00, {"1,2;3"});
}

void gzipSeeds() {
    seed("fuzz_gzip", 0x00, {"hello, gzip"});
    seed("fuzz_gzip", 0x00, {pattern(5000, 3), gzip("second member")});
    seed("fuzz_gzip", 0x01, {gzip(pattern(3000, 7))});
    seed("fuzz_gzip", 0x01, {"not compressed at all"});
}

}  // namespace

int main(int argc, char** argv) {
    if (argc != 2) {
        std::cerr << "usage: fuzz_make_corpus OUTDIR\n";
        return 2;
    }
    g_out = argv[1];
    try {
        idxSeeds();
        cifarSeeds();
        npySeeds();
        npzSeeds();
        modelSeeds();
        checkpointSeeds();
        runSeeds();
        tfeventsSeeds();
        tarSeeds();
        imageSeeds();
        gzipSeeds();
        kernelSeeds();
        onnxSeeds();
    } catch (const std::exception& e) {
        std::cerr << "fuzz_make_corpus: " << e.what() << "\n";
        return 1;
    }
    return 0;
}
