#pragma once
// Error types of the LayerLens core.
//
// Programmer errors (a broken invariant inside the core) go through LL_CHECK, which throws
// CheckError with file and line: a desktop application must never abort. User and I/O errors
// throw the typed exceptions below; their messages say what was wrong and what to do.

#include <sstream>
#include <stdexcept>
#include <string>

namespace ll {

/// Base of every exception the core throws.
class Error : public std::runtime_error {
public:
    using std::runtime_error::runtime_error;
};

/// A broken internal invariant (a bug), raised by LL_CHECK.
class CheckError : public Error {
public:
    using Error::Error;
};

/// A tensor does not have the shape an operation needs (wrong model, wrong input).
class ShapeError : public Error {
public:
    using Error::Error;
};

/// A model description is malformed or inconsistent.
class ModelError : public Error {
public:
    using Error::Error;
};

/// A data file is missing, truncated or malformed.
class DataError : public Error {
public:
    using Error::Error;
};

/// A computation produced NaN or infinity.
class NumericError : public Error {
public:
    using Error::Error;
};

/// Bad argument given by a user (command line, settings).
class UsageError : public Error {
public:
    using Error::Error;
};

namespace detail {
[[noreturn]] void throwCheck(const char* file, int line, const char* cond, const std::string& msg);

/// Concatenates anything streamable into a string: strCat("got ", n, " items").
template <typename... Args>
std::string strCat(const Args&... args) {
    std::ostringstream os;
    (os << ... << args);
    return os.str();
}
}  // namespace detail

using detail::strCat;

}  // namespace ll

/// Checks an internal invariant; on failure throws ll::CheckError naming file, line and message.
/// At least one message argument is required; they are streamed, so shapes can be passed directly:
/// LL_CHECK(a == b, x.shape()).
#define LL_CHECK(cond, ...)                                                                 \
    do {                                                                                    \
        if (!(cond)) {                                                                      \
            ::ll::detail::throwCheck(__FILE__, __LINE__, #cond, ::ll::strCat(__VA_ARGS__)); \
        }                                                                                   \
    } while (0)
