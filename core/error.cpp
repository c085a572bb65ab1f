#include "core/error.h"

namespace ll::detail {

void throwCheck(const char* file, int line, const char* cond, const std::string& msg) {
    throw CheckError(strCat("internal check failed at ", file, ":", line, ": (", cond, ") ", msg));
}

}  // namespace ll::detail
