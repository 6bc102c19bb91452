#include <orch/core/error.hpp>
#include <orch/http/client.hpp>
#include <orch/http/curl_api.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <array>
#include <atomic>
#include <cerrno>
#include <cmath>
#include <cstring>
#include <deque>
#include <fmt/format.h>
#include <mutex>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <thread>
#include <unistd.h>

namespace orch::http {

std::string to_string(TransportErrorKind kind) {
    switch (kind) {
    case TransportErrorKind::connect:
        return "connect";
    case TransportErrorKind::dns:
        return "dns";
    case TransportErrorKind::timeout_connect:
        return "timeout_connect";
    case TransportErrorKind::timeout_first_byte:
        return "timeout_first_byte";
    case TransportErrorKind::timeout_total:
        return "timeout_total";
    case TransportErrorKind::reset:
        return "reset";
    case TransportErrorKind::other:
        return "other";
    }
    return "other";
}

namespace {

struct Transfer {
    HttpRequest request;
    OnData on_data;
    OnDone done;
    CURL* easy = nullptr;
    curl_slist* header_list = nullptr;
    HttpResponse response;
    std::string partial;
    double started_ms = 0;
    bool got_byte = false;
    bool status_2xx = true; // from the status line: a non-2xx body is kept, not streamed
    bool aborted_by_caller = false;
    bool first_byte_timed_out = false;
    char error_buf[CURL_ERROR_SIZE] = {0};
};

// How much of a streamed request's error reply is kept.
constexpr size_t k_max_error_body = 64 * 1024;

size_t on_body(char* ptr, size_t size, size_t nmemb, void* user) {
    auto* t = static_cast<Transfer*>(user);
    size_t n = size * nmemb;
    if (!t->got_byte) {
        t->got_byte = true;
        t->response.first_byte_ms = util::monotonic_ms() - t->started_ms;
    }
    if (t->on_data && t->status_2xx) {
        t->partial.append(ptr, std::min<size_t>(n, 4096 - std::min<size_t>(4096, t->partial.size())));
        if (!t->on_data(std::string_view(ptr, n))) {
            t->aborted_by_caller = true;
            return 0; // makes curl fail the transfer with CURLE_WRITE_ERROR
        }
    } else if (!t->on_data || t->response.body.size() < k_max_error_body) {
        // A whole reply, or a streamed request's error reply (read whole, like any other, so
        // it is classified by its body: context length, auth...).
        t->response.body.append(ptr, n);
    }
    return n;
}

size_t on_header(char* buffer, size_t size, size_t nitems, void* user) {
    auto* t = static_cast<Transfer*>(user);
    std::string_view line(buffer, size * nitems);
    if (line.rfind("HTTP/", 0) == 0) {
        t->response.headers.clear(); // a new response (after 100-continue or a redirect)
        size_t sp = line.find(' ');
        int status = 0;
        if (sp != std::string_view::npos && line.size() >= sp + 4) {
            for (char c : line.substr(sp + 1, 3)) {
                status = status * 10 + (c >= '0' && c <= '9' ? c - '0' : 0);
            }
        }
        t->status_2xx = status >= 200 && status < 300;
        return size * nitems;
    }
    size_t colon = line.find(':');
    if (colon != std::string_view::npos) {
        t->response.headers[util::to_lower(util::trim(line.substr(0, colon)))] =
            util::trim(line.substr(colon + 1));
    }
    return size * nitems;
}

// One thread runs every transfer: curl's socket interface over epoll, so each wake-up costs
// the sockets that are ready, not every socket open (256 transfers in flight polled on each
// event cost a core's worth of poll() at high fan-out).
class CurlClient : public HttpClient {
  public:
    CurlClient() : m_api(curl_api()) {
        m_epoll = epoll_create1(EPOLL_CLOEXEC);
        m_wake = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
        if (m_epoll < 0 || m_wake < 0) {
            std::string why = std::strerror(errno);
            for (int fd : {m_epoll, m_wake}) {
                if (fd >= 0) {
                    ::close(fd);
                }
            }
            throw Error(ErrorKind::internal, "HTTP client: cannot create its event loop: " + why);
        }
        epoll_event ev{};
        ev.events = EPOLLIN;
        ev.data.fd = m_wake;
        epoll_ctl(m_epoll, EPOLL_CTL_ADD, m_wake, &ev);
        m_multi = m_api.multi_init();
        m_api.multi_setopt(m_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS, 0L);
        m_api.multi_setopt(m_multi, CURLMOPT_SOCKETFUNCTION, on_socket);
        m_api.multi_setopt(m_multi, CURLMOPT_SOCKETDATA, this);
        m_api.multi_setopt(m_multi, CURLMOPT_TIMERFUNCTION, on_timer);
        m_api.multi_setopt(m_multi, CURLMOPT_TIMERDATA, this);
        m_thread = std::thread([this] { loop(); });
    }

    ~CurlClient() override {
        m_stop = true;
        wake();
        m_thread.join();
        m_api.multi_cleanup(m_multi);
        ::close(m_wake);
        ::close(m_epoll);
    }

    void start(HttpRequest request, OnData on_data, OnDone done) override {
        auto t = std::make_unique<Transfer>();
        t->request = std::move(request);
        t->on_data = std::move(on_data);
        t->done = std::move(done);
        {
            std::lock_guard lock(m_mutex);
            m_incoming.push_back(std::move(t));
        }
        wake();
    }

  private:
    void add(std::unique_ptr<Transfer> owned) {
        Transfer* t = owned.get();
        CURL* e = m_api.easy_init();
        t->easy = e;
        t->started_ms = util::monotonic_ms();
        m_api.easy_setopt(e, CURLOPT_URL, t->request.url.c_str());
        m_api.easy_setopt(e, CURLOPT_PRIVATE, t);
        m_api.easy_setopt(e, CURLOPT_ERRORBUFFER, t->error_buf);
        m_api.easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
        m_api.easy_setopt(e, CURLOPT_WRITEDATA, t);
        m_api.easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
        m_api.easy_setopt(e, CURLOPT_HEADERDATA, t);
        m_api.easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
        m_api.easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
        m_api.easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, static_cast<long>(t->request.connect_timeout_s * 1000));
        m_api.easy_setopt(e, CURLOPT_TIMEOUT_MS, static_cast<long>(t->request.total_timeout_s * 1000));
        m_api.easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
        if (t->request.method == "POST") {
            m_api.easy_setopt(e, CURLOPT_POST, 1L);
            m_api.easy_setopt(e, CURLOPT_POSTFIELDS, t->request.body.c_str());
            m_api.easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE, static_cast<curl_off_t>(t->request.body.size()));
        } else if (t->request.method != "GET") {
            m_api.easy_setopt(e, CURLOPT_CUSTOMREQUEST, t->request.method.c_str());
        }
        t->header_list = m_api.slist_append(t->header_list, "Expect:");
        for (const auto& [name, value] : t->request.headers) {
            t->header_list = m_api.slist_append(t->header_list, (name + ": " + value).c_str());
        }
        m_api.easy_setopt(e, CURLOPT_HTTPHEADER, t->header_list);
        m_active.push_back(std::move(owned));
        m_api.multi_add_handle(m_multi, e);
    }

    void finish(Transfer* t, CURLcode code) {
        m_api.multi_remove_handle(m_multi, t->easy);
        long status = 0;
        m_api.easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
        double latency = util::monotonic_ms() - t->started_ms;
        t->response.status = static_cast<int>(status);
        t->response.latency_ms = latency;
        HttpOutcome outcome = [&]() -> HttpOutcome {
            if (code == CURLE_OK) {
                return std::move(t->response);
            }
            TransportError err;
            err.latency_ms = latency;
            err.status = static_cast<int>(status);
            err.partial_body = t->on_data && t->status_2xx ? t->partial : t->response.body.substr(0, 4096);
            std::string detail = t->error_buf[0] ? t->error_buf : m_api.easy_strerror(code);
            err.message = detail;
            if (t->first_byte_timed_out) {
                err.kind = TransportErrorKind::timeout_first_byte;
                err.message = fmt::format("no response within {}s", t->request.first_byte_timeout_s);
            } else if (code == CURLE_OPERATION_TIMEDOUT) {
                double connect_time = 0;
                m_api.easy_getinfo(t->easy, CURLINFO_CONNECT_TIME, &connect_time);
                err.kind = connect_time > 0 ? TransportErrorKind::timeout_total : TransportErrorKind::timeout_connect;
            } else if (code == CURLE_COULDNT_RESOLVE_HOST || code == CURLE_COULDNT_RESOLVE_PROXY) {
                err.kind = TransportErrorKind::dns;
            } else if (code == CURLE_COULDNT_CONNECT) {
                err.kind = TransportErrorKind::connect;
            } else if (code == CURLE_GOT_NOTHING || code == CURLE_RECV_ERROR || code == CURLE_PARTIAL_FILE ||
                       code == CURLE_SEND_ERROR || code == CURLE_HTTP2_STREAM) {
                err.kind = TransportErrorKind::reset;
            } else if (code == CURLE_WRITE_ERROR && t->aborted_by_caller) {
                err.kind = TransportErrorKind::other;
                err.message = "aborted by the receiver";
            } else {
                err.kind = TransportErrorKind::other;
            }
            return util::unexpected(std::move(err));
        }();
        m_api.slist_free_all(t->header_list);
        m_api.easy_cleanup(t->easy);
        OnDone done = std::move(t->done);
        auto it = std::find_if(m_active.begin(), m_active.end(), [&](const auto& p) { return p.get() == t; });
        std::unique_ptr<Transfer> owned = std::move(*it);
        m_active.erase(it);
        done(std::move(outcome));
    }

    void check_first_byte_deadlines() {
        double now = util::monotonic_ms();
        std::vector<Transfer*> late;
        for (const auto& t : m_active) {
            if (!t->got_byte && now - t->started_ms > t->request.first_byte_timeout_s * 1000) {
                late.push_back(t.get());
            }
        }
        for (Transfer* t : late) {
            t->first_byte_timed_out = true;
            finish(t, CURLE_OPERATION_TIMEDOUT);
        }
    }

    void wake() {
        std::uint64_t one = 1;
        [[maybe_unused]] auto n = ::write(m_wake, &one, sizeof one);
    }

    // curl says which events a socket waits for (or that it is done with it).
    static int on_socket(CURL*, curl_socket_t s, int what, void* self, void*) {
        auto* c = static_cast<CurlClient*>(self);
        if (what == CURL_POLL_REMOVE) {
            epoll_ctl(c->m_epoll, EPOLL_CTL_DEL, s, nullptr);
            return 0;
        }
        epoll_event ev{};
        ev.events = ((what & CURL_POLL_IN) != 0 ? EPOLLIN : 0u) | ((what & CURL_POLL_OUT) != 0 ? EPOLLOUT : 0u);
        ev.data.fd = s;
        if (epoll_ctl(c->m_epoll, EPOLL_CTL_MOD, s, &ev) != 0 && errno == ENOENT) {
            epoll_ctl(c->m_epoll, EPOLL_CTL_ADD, s, &ev);
        }
        return 0;
    }

    // curl's one timer: -1 cancels it, 0 means now.
    static int on_timer(CURLM*, long timeout_ms, void* self) {
        auto* c = static_cast<CurlClient*>(self);
        c->m_timer_due = timeout_ms < 0 ? -1.0 : util::monotonic_ms() + static_cast<double>(timeout_ms);
        return 0;
    }

    void collect_finished() {
        int queued = 0;
        while (CURLMsg* msg = m_api.multi_info_read(m_multi, &queued)) {
            if (msg->msg == CURLMSG_DONE) {
                Transfer* t = nullptr;
                m_api.easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, &t);
                finish(t, msg->data.result);
            }
        }
    }

    void loop() {
        std::array<epoll_event, 128> events{};
        int running = 0;
        while (true) {
            std::deque<std::unique_ptr<Transfer>> incoming;
            {
                std::lock_guard lock(m_mutex);
                incoming.swap(m_incoming);
            }
            for (auto& t : incoming) {
                add(std::move(t));
            }
            if (m_stop) {
                while (!m_active.empty()) {
                    finish(m_active.front().get(), CURLE_ABORTED_BY_CALLBACK);
                }
                std::lock_guard lock(m_mutex);
                if (m_incoming.empty()) {
                    return;
                }
                continue;
            }
            // Wake for curl's timer, and at least every 20 ms while transfers wait for a first
            // byte (curl has no such deadline of its own).
            double now = util::monotonic_ms();
            double wait = m_active.empty() ? 1000.0 : 20.0;
            if (m_timer_due >= 0) {
                wait = std::clamp(m_timer_due - now, 0.0, wait);
            }
            int n = epoll_wait(m_epoll, events.data(), static_cast<int>(events.size()),
                               static_cast<int>(std::ceil(wait)));
            for (int i = 0; i < n; ++i) {
                int fd = events[static_cast<std::size_t>(i)].data.fd;
                std::uint32_t ev = events[static_cast<std::size_t>(i)].events;
                if (fd == m_wake) {
                    std::uint64_t count = 0;
                    [[maybe_unused]] auto r = ::read(m_wake, &count, sizeof count);
                    continue;
                }
                int flags = ((ev & EPOLLIN) != 0 ? CURL_CSELECT_IN : 0) |
                            ((ev & EPOLLOUT) != 0 ? CURL_CSELECT_OUT : 0) |
                            ((ev & (EPOLLERR | EPOLLHUP)) != 0 ? CURL_CSELECT_ERR : 0);
                m_api.multi_socket_action(m_multi, fd, flags, &running);
            }
            if (m_timer_due >= 0 && util::monotonic_ms() >= m_timer_due) {
                m_timer_due = -1;
                m_api.multi_socket_action(m_multi, CURL_SOCKET_TIMEOUT, 0, &running);
            }
            collect_finished();
            check_first_byte_deadlines();
        }
    }

    const CurlApi& m_api;
    int m_epoll = -1;
    int m_wake = -1;          // an eventfd: start() and the destructor wake the loop with it
    double m_timer_due = -1;  // when curl's timer fires (util::monotonic_ms), -1 = no timer
    CURLM* m_multi = nullptr;
    std::thread m_thread;
    std::atomic<bool> m_stop{false};
    std::mutex m_mutex;
    std::deque<std::unique_ptr<Transfer>> m_incoming;
    std::vector<std::unique_ptr<Transfer>> m_active;
};

} // namespace

std::unique_ptr<HttpClient> make_curl_client() { return std::make_unique<CurlClient>(); }

} // namespace orch::http
