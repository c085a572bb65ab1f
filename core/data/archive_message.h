#pragma once
// libarchive's messages in the project's one-line error style.

#include <archive.h>

#include <string>

namespace ll {

/// libarchive's last message for `ar` on one line ("" when it has none).
inline std::string archiveMessage(archive* ar) {
    const char* m = archive_error_string(ar);
    std::string s = m ? m : "";
    for (char& c : s)
        if (c == '\n' || c == '\r') c = ' ';
    while (!s.empty() && s.back() == ' ')
        s.pop_back();
    return s;
}

}  // namespace ll
