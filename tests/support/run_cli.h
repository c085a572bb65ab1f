#pragma once
// Runs `layerlens <args>` for the command-line tests: in-process (runCli), or the real program as
// a child process (runProgram) where what matters is what the process does: its exit code, a
// signal, what reaches stdout and stderr.

#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <iterator>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "app/cli.h"

extern char** environ;  // the process environment (POSIX)

namespace ll::test {

struct CliResult {
    int code;  // the exit code; 128 + N for a process killed by signal N (134: SIGABRT)
    std::string out, err;
};

inline CliResult runCli(const std::vector<std::string>& args) {
    std::ostringstream out, err;
    const int code = cli::run(args, out, err);
    return {code, out.str(), err.str()};
}

namespace detail {
inline std::string readAndRemove(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::string text((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    std::remove(path.c_str());
    return text;
}
inline std::string tempFile() {
    std::string path = "/tmp/layerlens-test-XXXXXX";
    const int fd = ::mkstemp(path.data());
    if (fd >= 0) ::close(fd);
    return path;
}
}  // namespace detail

/// Runs `program args...` with no display: DISPLAY, WAYLAND_DISPLAY and QT_QPA_PLATFORM are
/// unset, then `env` is set on top (a value of "" unsets). The child is killed by SIGALRM after
/// `timeoutSeconds`, so a window that opens after all cannot hang the test.
inline CliResult runProgram(const std::string& program, const std::vector<std::string>& args,
                            const std::map<std::string, std::string>& env = {},
                            unsigned timeoutSeconds = 60) {
    const std::string outPath = detail::tempFile(), errPath = detail::tempFile();
    std::vector<std::string> words{program};
    words.insert(words.end(), args.begin(), args.end());
    std::vector<char*> argv;
    for (std::string& w : words)
        argv.push_back(w.data());
    argv.push_back(nullptr);
    // Everything is prepared before fork: the child only redirects and execs (a test process
    // may have threads, so the child must not allocate).
    std::map<std::string, std::string> vars;
    for (char** e = environ; *e; ++e) {
        const std::string kv = *e;
        const auto eq = kv.find('=');
        if (eq != std::string::npos) vars[kv.substr(0, eq)] = kv.substr(eq + 1);
    }
    for (const char* name : {"DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM"})
        vars.erase(name);
    for (const auto& [name, value] : env) {
        if (value.empty())
            vars.erase(name);
        else
            vars[name] = value;
    }
    std::vector<std::string> envText;
    for (const auto& [name, value] : vars)
        envText.push_back(name + "=" + value);
    std::vector<char*> envp;
    for (std::string& kv : envText)
        envp.push_back(kv.data());
    envp.push_back(nullptr);
    const int outFd = ::open(outPath.c_str(), O_WRONLY | O_TRUNC);
    const int errFd = ::open(errPath.c_str(), O_WRONLY | O_TRUNC);
    const pid_t pid = outFd >= 0 && errFd >= 0 ? ::fork() : -1;
    if (pid == 0) {
        if (::dup2(outFd, 1) < 0 || ::dup2(errFd, 2) < 0) ::_exit(120);
        ::alarm(timeoutSeconds);  // survives exec
        ::execve(program.c_str(), argv.data(), envp.data());
        ::_exit(127);
    }
    if (outFd >= 0) ::close(outFd);
    if (errFd >= 0) ::close(errFd);
    int status = 0;
    if (pid < 0 || ::waitpid(pid, &status, 0) != pid) status = -1;
    CliResult r{-1, detail::readAndRemove(outPath), detail::readAndRemove(errPath)};
    if (status != -1 && WIFEXITED(status)) r.code = WEXITSTATUS(status);
    if (status != -1 && WIFSIGNALED(status)) r.code = 128 + WTERMSIG(status);
    return r;
}

}  // namespace ll::test
