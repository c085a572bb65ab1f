#pragma once
// A tiny HTTP/1.1 server on 127.0.0.1 for the download tests: serves byte strings by path, with
// range requests, and can misbehave on purpose (truncate, stall, ignore ranges).

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <map>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

namespace ll::test {

class LocalHttpServer {
public:
    enum class Mode { Normal, Truncate, Stall, NoRange };
    struct Route {
        std::string body;
        Mode mode = Mode::Normal;
        int status = 200;
    };

    LocalHttpServer() {
        m_fd = ::socket(AF_INET, SOCK_STREAM, 0);
        int one = 1;
        ::setsockopt(m_fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
        sockaddr_in a{};
        a.sin_family = AF_INET;
        a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        a.sin_port = 0;
        ::bind(m_fd, reinterpret_cast<sockaddr*>(&a), sizeof a);
        socklen_t len = sizeof a;
        ::getsockname(m_fd, reinterpret_cast<sockaddr*>(&a), &len);
        m_port = ntohs(a.sin_port);
        ::listen(m_fd, 16);
        m_accept = std::thread([this] { acceptLoop(); });
    }
    ~LocalHttpServer() {
        m_stop = true;
        ::shutdown(m_fd, SHUT_RDWR);
        ::close(m_fd);
        m_accept.join();
        for (auto& t : m_workers)
            t.join();
    }
    void route(const std::string& path, Route r) {
        std::lock_guard<std::mutex> lock(m_mutex);
        m_routes[path] = std::move(r);
    }
    std::string url() const { return "http://127.0.0.1:" + std::to_string(m_port); }
    int requests() const { return m_requests.load(); }
    std::string lastRange() {
        std::lock_guard<std::mutex> lock(m_mutex);
        return m_lastRange;
    }

private:
    void acceptLoop() {
        while (!m_stop) {
            const int c = ::accept(m_fd, nullptr, nullptr);
            if (c < 0) return;
            m_workers.emplace_back([this, c] { serve(c); });
        }
    }
    void send(int c, const std::string& s) {
        std::size_t done = 0;
        while (done < s.size()) {
            const ssize_t n = ::write(c, s.data() + done, s.size() - done);
            if (n <= 0) return;
            done += static_cast<std::size_t>(n);
        }
    }
    // Half-closes and drains before closing, so the client gets every byte sent (a plain close
    // with unread input can reset the connection and drop data in flight).
    void finish(int c) {
        ::shutdown(c, SHUT_WR);
        char buf[512];
        while (::read(c, buf, sizeof buf) > 0) {
        }
        ::close(c);
    }
    void serve(int c) {
        std::string req;
        char buf[4096];
        while (req.find("\r\n\r\n") == std::string::npos) {
            const ssize_t n = ::read(c, buf, sizeof buf);
            if (n <= 0) break;
            req.append(buf, static_cast<std::size_t>(n));
        }
        ++m_requests;
        const std::size_t sp = req.find(' '), sp2 = req.find(' ', sp + 1);
        const std::string path = sp == std::string::npos ? "" : req.substr(sp + 1, sp2 - sp - 1);
        std::size_t from = 0;
        const std::size_t r = req.find("Range: bytes=");
        Route route;
        bool found;
        {
            std::lock_guard<std::mutex> lock(m_mutex);
            found = m_routes.count(path) > 0;
            if (found) route = m_routes[path];
            m_lastRange =
                r == std::string::npos ? "" : req.substr(r + 13, req.find("\r\n", r) - r - 13);
        }
        if (r != std::string::npos && route.mode != Mode::NoRange)
            from = std::stoul(req.substr(r + 13));
        if (!found || route.status != 200) {
            const int status = found ? route.status : 404;
            send(c, "HTTP/1.1 " + std::to_string(status) +
                        " Error\r\nContent-Length: 0\r\nConnection: close\r\n\r\n");
            finish(c);
            return;
        }
        if (from >= route.body.size() && from > 0) {
            send(c,
                 "HTTP/1.1 416 Range Not Satisfiable\r\nContent-Length: 0\r\nConnection: "
                 "close\r\n\r\n");
            finish(c);
            return;
        }
        const std::string body = route.body.substr(from);
        std::string head = from > 0 ? "HTTP/1.1 206 Partial Content\r\n" : "HTTP/1.1 200 OK\r\n";
        head += "Content-Length: " + std::to_string(body.size()) + "\r\nConnection: close\r\n";
        if (from > 0)
            head += "Content-Range: bytes " + std::to_string(from) + "-" +
                    std::to_string(route.body.size() - 1) + "/" +
                    std::to_string(route.body.size()) + "\r\n";
        send(c, head + "\r\n");
        if (route.mode == Mode::Truncate || route.mode == Mode::Stall) {
            send(c, body.substr(0, body.size() / 2));
            if (route.mode == Mode::Stall)
                while (!m_stop)
                    std::this_thread::sleep_for(std::chrono::milliseconds(20));
        } else {
            send(c, body);
        }
        finish(c);
    }

    int m_fd = -1;
    int m_port = 0;
    std::atomic<bool> m_stop{false};
    std::atomic<int> m_requests{0};
    std::thread m_accept;
    std::vector<std::thread> m_workers;
    std::mutex m_mutex;
    std::map<std::string, Route> m_routes;
    std::string m_lastRange;
};

}  // namespace ll::test
