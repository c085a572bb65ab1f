#include "core/kernels.h"

#include <atomic>
#include <stdexcept>

namespace ll {

namespace {
std::atomic<KernelSet> g_kernels{KernelSet::Fast};
}  // namespace

void setKernelSet(KernelSet k) {
    g_kernels.store(k, std::memory_order_relaxed);
}

KernelSet kernelSet() {
    return g_kernels.load(std::memory_order_relaxed);
}

const char* kernelSetName(KernelSet k) {
    return k == KernelSet::Fast ? "fast" : "reference";
}

KernelSet parseKernelSet(const std::string& name) {
    if (name == "fast") return KernelSet::Fast;
    if (name == "reference") return KernelSet::Reference;
    throw std::invalid_argument("--kernels must be fast or reference, got '" + name + "'");
}

}  // namespace ll
