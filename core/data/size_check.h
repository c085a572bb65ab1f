#pragma once
// The one size check every parser makes before it copies or allocates what a file declares.
//
// A file may declare anything: a header length near 2^64, a shape (2^32, 2^32), a member that
// inflates to 2 GB from 100 bytes. Sizes are combined here with overflow-checked arithmetic,
// checked against the bytes really present, and checked against a memory budget, before any
// allocation; every failure is a DataError naming the file part (`what`) and the numbers.

#include <cstdint>
#include <string>

namespace ll {

/// Bytes of memory the system can give now (MemAvailable of /proc/meminfo); 0 when unknown.
std::uint64_t availableMemory();

/// Bytes a parser or a model may allocate: availableMemory(), lowered by the environment variable
/// LAYERLENS_MEMORY_BUDGET_MB when set (fuzzing, tests, a shared machine). Never 0: when nothing
/// is known it is 8 GiB.
std::uint64_t memoryBudget();

/// a × b; throws DataError "<what>: declares a size too large (a × b overflows)" on overflow.
std::uint64_t checkedMul(std::uint64_t a, std::uint64_t b, const std::string& what);
/// a + b; throws DataError on overflow.
std::uint64_t checkedAdd(std::uint64_t a, std::uint64_t b, const std::string& what);

/// Bytes [at, at + n) must lie inside a buffer of `size` bytes (no wrap-around possible);
/// else DataError "<what> runs past the end (needs bytes at..at+n, the data has size)".
void requireInside(std::uint64_t size, std::uint64_t at, std::uint64_t n, const std::string& what);

/// `bytes` about to be allocated must fit memoryBudget(); else DataError naming both in MB.
void requireBudget(std::uint64_t bytes, const std::string& what);

/// "2.2 GB", "512 MB", "3.1 kB": sizes in messages.
std::string formatBytes(std::uint64_t bytes);

}  // namespace ll
