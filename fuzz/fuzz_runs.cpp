// Run folders: loadRun and listRuns on a folder holding config.json and the four CSV logs.
//
// Parts: config.json, batches.csv, evals.csv, epochs.csv, norms.csv. Mode bits 0x01..0x10 leave
// the corresponding file out (config.json missing: "not a run"); 0x20 writes each CSV's expected
// header line before its part, so mutations go into the rows.
#include "core/runs.h"
#include "fuzz/fuzz_support.h"

using namespace llfuzz;

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
    const Input in = splitInput(data, size);
    static const char* kFiles[] = {"config.json", "batches.csv", "evals.csv", "epochs.csv",
                                   "norms.csv"};
    static const char* kHeaders[] = {
        "", "step,epoch,batch,loss,accuracy,lr,images_per_s\n",
        "step,epoch,loss,accuracy,samples\n",
        "epoch,train_loss,train_acc,test_loss,test_acc,seconds,images_per_s\n",
        "step,layer,weight_norm,grad_norm\n"};
    const fs::path root = fresh("runs");
    const fs::path dir = root / "run-1";
    fs::create_directories(dir);
    for (int i = 0; i < 5; ++i) {
        if (in.mode & (1 << i)) continue;
        writeFile(dir / kFiles[i], (in.mode & 0x20 ? kHeaders[i] : "") + in.part(i));
    }
    guarded([&] { ll::loadRun(dir.string()); });
    guarded([&] { ll::listRuns(root.string()); });
    return 0;
}
