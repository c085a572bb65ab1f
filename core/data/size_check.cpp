#include "core/data/size_check.h"

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <limits>
#include <string>

#include "core/error.h"

namespace ll {

std::uint64_t availableMemory() {
    std::ifstream in("/proc/meminfo");
    std::string key;
    std::uint64_t value = 0;
    std::string unit;
    while (in >> key >> value >> unit) {
        if (key == "MemAvailable:") return value * 1024;  // the kernel reports kB
    }
    return 0;
}

std::uint64_t memoryBudget() {
    std::uint64_t budget = availableMemory();
    if (budget == 0) budget = std::uint64_t{8} << 30;
    if (const char* env = std::getenv("LAYERLENS_MEMORY_BUDGET_MB"); env && *env) {
        char* end = nullptr;
        const unsigned long long mb = std::strtoull(env, &end, 10);
        if (end && *end == '\0' && mb > 0 && mb < (std::uint64_t{1} << 40))
            budget = std::min<std::uint64_t>(budget, static_cast<std::uint64_t>(mb) << 20);
    }
    return budget;
}

std::uint64_t checkedMul(std::uint64_t a, std::uint64_t b, const std::string& what) {
    std::uint64_t r = 0;
    if (__builtin_mul_overflow(a, b, &r))
        throw DataError(
            strCat(what, ": declares a size too large to represent (", a, " × ", b, ")"));
    return r;
}

std::uint64_t checkedAdd(std::uint64_t a, std::uint64_t b, const std::string& what) {
    std::uint64_t r = 0;
    if (__builtin_add_overflow(a, b, &r))
        throw DataError(
            strCat(what, ": declares a size too large to represent (", a, " + ", b, ")"));
    return r;
}

void requireInside(std::uint64_t size, std::uint64_t at, std::uint64_t n, const std::string& what) {
    // Written without at + n, which could wrap.
    if (at > size || n > size - at)
        throw DataError(strCat(what, " runs past the end (it needs ", n, " bytes at offset ", at,
                               "; there are ", size, ")"));
}

std::string formatBytes(std::uint64_t bytes) {
    const char* units[] = {"bytes", "kB", "MB", "GB", "TB", "PB", "EB"};
    double v = static_cast<double>(bytes);
    int u = 0;
    while (v >= 1000 && u < 6) {
        v /= 1000;
        ++u;
    }
    char buf[32];
    if (u == 0)
        std::snprintf(buf, sizeof buf, "%llu bytes", static_cast<unsigned long long>(bytes));
    else
        std::snprintf(buf, sizeof buf, "%.1f %s", v, units[u]);
    return buf;
}

void requireBudget(std::uint64_t bytes, const std::string& what) {
    const std::uint64_t budget = memoryBudget();
    if (bytes > budget)
        throw DataError(strCat(what, " needs ", formatBytes(bytes), ", more than the ",
                               formatBytes(budget), " of memory available"));
}

}  // namespace ll
