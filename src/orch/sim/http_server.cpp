#include <orch/core/error.hpp>
#include <orch/sim/faults.hpp>
#include <orch/sim/fleet.hpp>
#include <orch/sim/server.hpp>
#include <orch/sim/server_module.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <arpa/inet.h>
#include <array>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstring>
#include <ctime>
#include <fmt/format.h>
#include <fstream>
#include <httplib.h>
#include <mutex>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <sys/socket.h>
#include <thread>
#include <unistd.h>
#include <unordered_map>

namespace orch::sim {

namespace {

using nlohmann::json;

enum class Protocol { openai, anthropic };

// With a parameter, httplib does not compress the body: a loopback server spending a core on
// brotli for every answer would measure itself rather than the client (it did: 1 ms of CPU a
// request). Many real servers send this very type.
const char* const k_json_type = "application/json; charset=utf-8";

std::string dump(const json& j) {
    return j.dump(-1, ' ', false, json::error_handler_t::replace);
}

std::string hex64(std::uint64_t v) {
    return fmt::format("{:016x}", v);
}

// ---------------------------------------------------------------------------------------------
// Connections. httplib's own socket loop cannot hang up without an answer, waits out idle
// keep-alive connections on stop, and writes without MSG_NOSIGNAL; so the listener runs each
// connection through this stream and loop instead (httplib still parses and routes requests).

class Connection final : public httplib::Stream {
  public:
    Connection(int fd, int read_timeout_ms, int write_timeout_ms)
        : m_fd(fd), m_read_timeout_ms(read_timeout_ms), m_write_timeout_ms(write_timeout_ms) {}

    bool is_readable() const override { return m_begin < m_end || wait(POLLIN, m_read_timeout_ms); }
    bool is_writable() const override { return !m_reset && wait(POLLOUT, m_write_timeout_ms); }

    ssize_t read(char* ptr, size_t size) override {
        if (m_begin == m_end) {
            if (!wait(POLLIN, m_read_timeout_ms)) {
                return -1;
            }
            ssize_t n = 0;
            do {
                n = ::recv(m_fd, m_buffer.data(), m_buffer.size(), 0);
            } while (n < 0 && errno == EINTR);
            if (n <= 0) {
                return n;
            }
            m_begin = 0;
            m_end = static_cast<size_t>(n);
        }
        size_t k = std::min(size, m_end - m_begin);
        std::memcpy(ptr, m_buffer.data() + m_begin, k);
        m_begin += k;
        return static_cast<ssize_t>(k);
    }

    ssize_t write(const char* ptr, size_t size) override {
        if (m_reset || !wait(POLLOUT, m_write_timeout_ms)) {
            return -1;
        }
        ssize_t n = 0;
        do {
            n = ::send(m_fd, ptr, size, MSG_NOSIGNAL);
        } while (n < 0 && errno == EINTR);
        return n;
    }

    void get_remote_ip_and_port(std::string& ip, int& port) const override {
        address(&getpeername, ip, port);
    }
    void get_local_ip_and_port(std::string& ip, int& port) const override {
        address(&getsockname, ip, port);
    }
    ::socket_t socket() const override { return m_fd; }

    // True once the client has hung up (e.g. its read timeout fired during a hang).
    bool peer_closed() const {
        char c = 0;
        ssize_t n = ::recv(m_fd, &c, 1, MSG_PEEK | MSG_DONTWAIT);
        return n == 0 || (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR);
    }

    // Waits up to timeout_ms for the client to hang up, without reading what it may have sent;
    // true if it did. One wake-up at the end instead of polling, so that hundreds of sleeping
    // requests cost no CPU.
    bool wait_for_hangup(double timeout_ms) const {
        pollfd p{m_fd, POLLRDHUP, 0};
        timespec ts{static_cast<time_t>(timeout_ms / 1000),
                    static_cast<long>(std::fmod(timeout_ms, 1000.0) * 1e6)};
        int n = ::ppoll(&p, 1, &ts, nullptr);
        return n > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR)) != 0;
    }

    // From now on nothing more is written, and the socket is closed with a TCP reset.
    void reset() { m_reset = true; }
    bool was_reset() const { return m_reset; }
    bool has_buffered_input() const { return m_begin < m_end; }

  private:
    bool wait(short events, int timeout_ms) const {
        pollfd p{m_fd, events, 0};
        int n = 0;
        do {
            n = ::poll(&p, 1, timeout_ms);
        } while (n < 0 && errno == EINTR);
        if (n <= 0) {
            return false;
        }
        if (events == POLLOUT) {
            return (p.revents & POLLOUT) != 0 && (p.revents & (POLLERR | POLLHUP | POLLNVAL)) == 0;
        }
        return (p.revents & POLLNVAL) == 0;
    }

    void address(int (*get)(int, sockaddr*, socklen_t*), std::string& ip, int& port) const {
        sockaddr_storage addr{};
        socklen_t len = sizeof addr;
        if (get(m_fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
            return;
        }
        std::array<char, INET6_ADDRSTRLEN> buf{};
        if (addr.ss_family == AF_INET) {
            const auto* a = reinterpret_cast<const sockaddr_in*>(&addr);
            inet_ntop(AF_INET, &a->sin_addr, buf.data(), buf.size());
            port = ntohs(a->sin_port);
        } else if (addr.ss_family == AF_INET6) {
            const auto* a = reinterpret_cast<const sockaddr_in6*>(&addr);
            inet_ntop(AF_INET6, &a->sin6_addr, buf.data(), buf.size());
            port = ntohs(a->sin6_port);
        }
        ip = buf.data();
    }

    int m_fd;
    int m_read_timeout_ms;
    int m_write_timeout_ms;
    std::array<char, 4096> m_buffer{};
    size_t m_begin = 0;
    size_t m_end = 0;
    bool m_reset = false;
};

// The connection the current worker thread is serving: handlers run on that thread.
thread_local Connection* t_connection = nullptr;

class Listener final : public httplib::Server {
  public:
    explicit Listener(const std::atomic<bool>& stopping) : m_stopping(stopping) {}
    int listening_socket() const { return svr_sock_; }

  private:
    bool process_and_close_socket(::socket_t sock) override {
        int one = 1;
        setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one,
                   sizeof one); // stream chunks go out at once
        Connection conn(sock,
                        static_cast<int>(read_timeout_sec_ * 1000 + read_timeout_usec_ / 1000),
                        static_cast<int>(write_timeout_sec_ * 1000 + write_timeout_usec_ / 1000));
        t_connection = &conn;
        bool ok = false;
        for (size_t left = keep_alive_max_count_; left > 0 && wait_for_request(conn); --left) {
            bool connection_closed = false;
            ok = process_request(conn, left == 1, connection_closed, nullptr);
            if (!ok || connection_closed || conn.was_reset()) {
                break;
            }
        }
        t_connection = nullptr;
        if (conn.was_reset()) {
            linger hard{1, 0}; // close with RST, as a crashed upstream would
            setsockopt(sock, SOL_SOCKET, SO_LINGER, &hard, sizeof hard);
        } else {
            ::shutdown(sock, SHUT_RDWR);
        }
        ::close(sock);
        return ok;
    }

    // Waits for the next request on a kept-alive connection, in short slices so that stop()
    // is never held up by an idle client.
    bool wait_for_request(const Connection& conn) const {
        if (conn.has_buffered_input()) {
            return true;
        }
        double deadline =
            util::monotonic_ms() + static_cast<double>(keep_alive_timeout_sec_) * 1000.0;
        while (!m_stopping.load() && svr_sock_ != INVALID_SOCKET) {
            pollfd p{conn.socket(), POLLIN, 0};
            int n = ::poll(&p, 1, 50);
            if (n > 0) {
                return true;
            }
            if ((n < 0 && errno != EINTR) || util::monotonic_ms() > deadline) {
                return false;
            }
        }
        return false;
    }

    const std::atomic<bool>& m_stopping;
};

// ---------------------------------------------------------------------------------------------
// Requests and answers on the wire.

struct ChatCall {
    std::string model;
    std::vector<Message> messages;
    GenParams params;
    bool stream = false;
    bool include_usage = false;
    std::optional<std::uint64_t> seed;
    std::vector<ToolSpec> tools;
};

// Text of an OpenAI content (string, null, or parts) or an Anthropic content (string or
// blocks); only text parts count. Returns false when the shape is neither.
bool content_text(const json& content, std::string& out) {
    if (content.is_null()) {
        out.clear();
        return true;
    }
    if (content.is_string()) {
        out = content.get<std::string>();
        return true;
    }
    if (!content.is_array()) {
        return false;
    }
    std::vector<std::string> parts;
    for (const auto& part : content) {
        if (!part.is_object()) {
            return false;
        }
        if (part.contains("text") && part["text"].is_string()) {
            parts.push_back(part["text"].get<std::string>());
        }
    }
    out = util::join(parts, "\n");
    return true;
}

// An OpenAI message: text content, an assistant's tool_calls, a tool result's tool_call_id.
std::string read_openai_message(const json& m, Message& msg) {
    if (!content_text(m.value("content", json()), msg.content)) {
        return "content: expected a string or an array of text parts";
    }
    if (m.contains("tool_calls") && !m["tool_calls"].is_null()) {
        if (!m["tool_calls"].is_array()) {
            return "tool_calls: expected an array";
        }
        for (std::size_t k = 0; k < m["tool_calls"].size(); ++k) {
            const json& t = m["tool_calls"][k];
            if (!t.is_object() || !t.contains("function") || !t["function"].is_object() ||
                !t["function"].contains("name") || !t["function"]["name"].is_string()) {
                return fmt::format("tool_calls.{}: expected {{id, type, function: {{name, arguments}}}}", k);
            }
            const json& fn = t["function"];
            msg.tool_calls.push_back(ToolCall{t.value("id", ""), fn["name"].get<std::string>(),
                                              fn.contains("arguments") && fn["arguments"].is_string()
                                                  ? fn["arguments"].get<std::string>()
                                                  : fn.value("arguments", json::object()).dump()});
        }
    }
    if (msg.role == "tool") {
        if (!m.contains("tool_call_id") || !m["tool_call_id"].is_string()) {
            return "tool_call_id: required in a tool message, a string";
        }
        msg.tool_call_id = m["tool_call_id"].get<std::string>();
        // OpenAI's tool messages carry no error flag: a result that says it is an error is one.
        msg.is_error = util::to_lower(msg.content.substr(0, 6)) == "error:";
    }
    return "";
}

// An Anthropic message: text blocks, an assistant's tool_use blocks, and a user turn's
// tool_result blocks, which become tool messages of their own (before any text of the turn).
std::string read_anthropic_message(const json& m, Message& msg, std::vector<Message>& out) {
    const json content = m.value("content", json());
    if (!content.is_array()) {
        return content_text(content, msg.content) ? "" : "content: expected a string or an array of content blocks";
    }
    std::vector<std::string> text;
    for (std::size_t k = 0; k < content.size(); ++k) {
        const json& b = content[k];
        std::string type = b.is_object() ? b.value("type", "") : "";
        if (type == "tool_use") {
            if (!b.contains("name") || !b["name"].is_string()) {
                return fmt::format("content.{}.name: required in a tool_use block, a string", k);
            }
            const json input = b.value("input", json::object());
            msg.tool_calls.push_back(ToolCall{b.value("id", ""), b["name"].get<std::string>(),
                                              input.is_string() ? input.get<std::string>() : input.dump()});
        } else if (type == "tool_result") {
            Message result{"tool", ""};
            if (!b.contains("tool_use_id") || !b["tool_use_id"].is_string()) {
                return fmt::format("content.{}.tool_use_id: required in a tool_result block, a string", k);
            }
            result.tool_call_id = b["tool_use_id"].get<std::string>();
            result.is_error = b.value("is_error", false);
            if (!content_text(b.value("content", json()), result.content)) {
                return fmt::format("content.{}.content: expected a string or an array of text blocks", k);
            }
            out.push_back(std::move(result));
        } else if (b.is_object() && b.contains("text") && b["text"].is_string()) {
            text.push_back(b["text"].get<std::string>());
        } else if (!b.is_object()) {
            return fmt::format("content.{}: expected a content block object", k);
        }
    }
    msg.content = util::join(text, "\n");
    if (msg.content.empty() && msg.tool_calls.empty() && !out.empty() && out.back().role == "tool") {
        msg.role.clear(); // only tool results: nothing of its own to keep
    }
    return "";
}

// The tools offered: OpenAI's [{type: function, function: {name, description, parameters}}],
// Anthropic's [{name, description, input_schema}].
std::string read_tools(const json& j, bool anthropic, std::vector<ToolSpec>& tools) {
    if (!j.contains("tools") || j["tools"].is_null()) {
        return "";
    }
    if (!j["tools"].is_array()) {
        return "tools: expected an array";
    }
    for (std::size_t i = 0; i < j["tools"].size(); ++i) {
        const json& t = j["tools"][i];
        const json fn = anthropic ? t : (t.is_object() ? t.value("function", json()) : json());
        if (!fn.is_object() || !fn.contains("name") || !fn["name"].is_string()) {
            return fmt::format("tools.{}: expected {}", i,
                               anthropic ? "{name, description, input_schema}"
                                         : "{type: function, function: {name, description, parameters}}");
        }
        tools.push_back(ToolSpec{fn["name"].get<std::string>(), fn.value("description", ""),
                                 fn.value(anthropic ? "input_schema" : "parameters", json::object())});
    }
    return "";
}

// Reads the fields both protocols share; returns the problem, or "".
std::string parse_common(const json& j, ChatCall& call, bool anthropic) {
    if (!j.contains("model") || !j["model"].is_string()) {
        return "model: required, a string";
    }
    call.model = j["model"].get<std::string>();
    for (const char* key : {"max_tokens", "max_completion_tokens"}) {
        if (j.contains(key) && !j[key].is_null()) {
            if (!j[key].is_number_integer() || j[key].get<std::int64_t>() < 1) {
                return fmt::format("{}: expected a whole number of 1 or more", key);
            }
            call.params.max_tokens = j[key].get<std::int64_t>();
        }
    }
    for (const char* key : {"temperature", "top_p"}) {
        if (j.contains(key) && !j[key].is_null()) {
            if (!j[key].is_number()) {
                return fmt::format("{}: expected a number", key);
            }
            (std::string(key) == "temperature" ? call.params.temperature : call.params.top_p) =
                j[key].get<double>();
        }
    }
    if (j.contains("stream") && !j["stream"].is_null()) {
        if (!j["stream"].is_boolean()) {
            return "stream: expected true or false";
        }
        call.stream = j["stream"].get<bool>();
    }
    if (j.contains("seed") && !j["seed"].is_null()) {
        if (!j["seed"].is_number_integer()) {
            return "seed: expected a whole number";
        }
        call.seed = static_cast<std::uint64_t>(j["seed"].get<std::int64_t>());
    }
    if (!j.contains("messages") || !j["messages"].is_array() || j["messages"].empty()) {
        return "messages: required, a non-empty array of {role, content}";
    }
    const json& messages = j["messages"];
    for (size_t i = 0; i < messages.size(); ++i) {
        const json& m = messages[i];
        Message msg;
        if (!m.is_object() || !m.contains("role") || !m["role"].is_string()) {
            return fmt::format("messages.{}: expected an object with a string role", i);
        }
        msg.role = m["role"].get<std::string>();
        std::string problem = anthropic ? read_anthropic_message(m, msg, call.messages)
                                        : read_openai_message(m, msg);
        if (!problem.empty()) {
            return fmt::format("messages.{}.{}", i, problem);
        }
        if (!msg.role.empty()) {
            call.messages.push_back(std::move(msg));
        }
    }
    std::string problem = read_tools(j, anthropic, call.tools);
    return problem;
}

std::string parse_openai(const json& j, ChatCall& call) {
    std::string problem = parse_common(j, call, false);
    if (problem.empty() && j.contains("stream_options") && j["stream_options"].is_object()) {
        call.include_usage = j["stream_options"].value("include_usage", false);
    }
    return problem;
}

std::string parse_anthropic(const json& j, ChatCall& call) {
    std::string problem = parse_common(j, call, true);
    if (!problem.empty()) {
        return problem;
    }
    if (j.contains("system") && !j["system"].is_null()) {
        std::string system;
        if (!content_text(j["system"], system)) {
            return "system: expected a string or an array of text blocks";
        }
        call.messages.insert(call.messages.begin(), Message{"system", system});
    }
    return "";
}

struct ApiError {
    int status = 500;
    std::string message;
    std::string openai_type;
    std::string openai_code; // "" = null
    std::string anthropic_type;
    std::optional<std::string> anthropic_message; // when the protocols word it differently
};

ApiError invalid_request(const std::string& message) {
    return {400, message, "invalid_request_error", "", "invalid_request_error", {}};
}

ApiError unauthorized(Protocol p, bool had_key) {
    std::string message =
        had_key ? "Incorrect API key provided (simulated server)."
                : (p == Protocol::openai
                       ? "You didn't provide an API key. Send Authorization: Bearer KEY."
                       : "x-api-key header is required");
    return {401,
            message,
            "invalid_request_error",
            "invalid_api_key",
            "authentication_error",
            had_key ? std::optional<std::string>("invalid x-api-key") : std::nullopt};
}

ApiError model_not_found(const std::string& model) {
    return {404,
            fmt::format("The model `{}` does not exist or you do not have access to it.", model),
            "invalid_request_error",
            "model_not_found",
            "not_found_error",
            fmt::format("model: {}", model)};
}

ApiError context_exceeded(std::int64_t window, std::int64_t tokens) {
    return {400,
            fmt::format("This model's maximum context length is {} tokens. However, your messages "
                        "resulted in {} tokens. Please reduce the length of the messages.",
                        window, tokens),
            "invalid_request_error",
            "context_length_exceeded",
            "invalid_request_error",
            fmt::format("prompt is too long: {} tokens > {} maximum", tokens, window)};
}

ApiError server_fault(int status) {
    switch (status) {
    case 429:
        return {429,
                "Rate limit reached for requests (simulated). Please try again later.",
                "requests",
                "rate_limit_exceeded",
                "rate_limit_error",
                "Number of requests has exceeded your rate limit (simulated)."};
    case 502:
        return {502, "Bad gateway (simulated).", "server_error", "", "api_error", {}};
    case 503:
        return {503,
                "The engine is currently overloaded, please try again later (simulated).",
                "server_error",
                "",
                "overloaded_error",
                "Overloaded (simulated)"};
    default:
        return {500,
                "The server had an error while processing your request (simulated).",
                "server_error",
                "",
                "api_error",
                "Internal server error (simulated)"};
    }
}

void send_error(Protocol p, httplib::Response& res, const ApiError& e) {
    json body;
    if (p == Protocol::openai) {
        body = {{"error",
                 {{"message", e.message},
                  {"type", e.openai_type},
                  {"param", nullptr},
                  {"code", e.openai_code.empty() ? json(nullptr) : json(e.openai_code)}}}};
    } else {
        body = {
            {"type", "error"},
            {"error",
             {{"type", e.anthropic_type}, {"message", e.anthropic_message.value_or(e.message)}}}};
    }
    res.status = e.status;
    res.set_content(dump(body), k_json_type);
}

// The answer split into 4–8 pieces for a stream, never inside a UTF-8 sequence.
std::vector<std::string> split_pieces(const std::string& text, std::uint64_t salt) {
    std::vector<std::string> pieces;
    size_t want = 4 + static_cast<size_t>(util::mix64(salt) % 5);
    size_t start = 0;
    for (size_t i = 1; i <= want && start < text.size(); ++i) {
        size_t end = i == want ? text.size() : std::max(start + 1, text.size() * i / want);
        while (end < text.size() && (static_cast<unsigned char>(text[end]) & 0xC0) == 0x80) {
            ++end;
        }
        pieces.push_back(text.substr(start, end - start));
        start = end;
    }
    return pieces;
}

struct Event {
    double at_ms; // since the answer began
    std::string text;
};

std::string sse_data(const json& j) {
    return "data: " + dump(j) + "\n\n";
}
std::string sse_event(const std::string& name, const std::string& data) {
    return "event: " + name + "\ndata: " + data + "\n\n";
}

// Half of an event's JSON: what a client sees when a proxy mangles one event.
std::string broken(const std::string& json_text) {
    return json_text.substr(0, json_text.size() / 2);
}

struct Answer {
    std::string id;
    std::string model; // as the client named it
    std::int64_t created = 0;
    std::string text;
    std::vector<ToolCall> tool_calls;
    Usage usage;
    double ttft_ms = 0;
    double total_ms = 0;
};

// A call's arguments in 1–3 pieces, as streamed argument deltas arrive.
std::vector<std::string> argument_pieces(const ToolCall& c) {
    std::vector<std::string> pieces;
    size_t n = std::min<size_t>(3, std::max<size_t>(1, c.arguments.size() / 8));
    for (size_t i = 0; i < n; ++i) {
        pieces.push_back(c.arguments.substr(c.arguments.size() * i / n, c.arguments.size() * (i + 1) / n - c.arguments.size() * i / n));
    }
    return pieces;
}

// Anthropic's tool_use input is an object; arguments that are not JSON go as the raw string.
json tool_input(const ToolCall& c) {
    json input = json::parse(c.arguments, nullptr, false);
    return input.is_discarded() ? json(c.arguments) : input;
}

// Times the content pieces from the first token to the end of the answer.
std::vector<double> piece_times(const Answer& a, size_t n) {
    std::vector<double> at;
    for (size_t i = 0; i < n; ++i) {
        double share = n > 1 ? static_cast<double>(i) / static_cast<double>(n - 1) : 0.0;
        at.push_back(a.ttft_ms + (a.total_ms - a.ttft_ms) * share);
    }
    return at;
}

std::vector<Event> openai_stream(const Answer& a, bool include_usage, bool malformed) {
    auto chunk = [&](json delta, json finish) {
        json c = {{"id", a.id},
                  {"object", "chat.completion.chunk"},
                  {"created", a.created},
                  {"model", a.model},
                  {"system_fingerprint", "orch-sim"},
                  {"choices", json::array({{{"index", 0},
                                            {"delta", std::move(delta)},
                                            {"logprobs", nullptr},
                                            {"finish_reason", std::move(finish)}}})}};
        if (include_usage) {
            c["usage"] = nullptr;
        }
        return c;
    };
    auto pieces = split_pieces(a.text, util::hash64(a.id));
    auto times = piece_times(a, pieces.size());
    std::vector<Event> events;
    events.push_back(
        {a.ttft_ms, sse_data(chunk({{"role", "assistant"}, {"content", ""}}, nullptr))});
    for (size_t i = 0; i < pieces.size(); ++i) {
        json c = chunk({{"content", pieces[i]}}, nullptr);
        bool mangle = malformed && i == std::min<size_t>(1, pieces.size() - 1);
        events.push_back({times[i], mangle ? "data: " + broken(dump(c)) + "\n\n" : sse_data(c)});
    }
    // Each call: its id and name first, then its arguments in pieces, all named by its index.
    for (size_t i = 0; i < a.tool_calls.size(); ++i) {
        const ToolCall& t = a.tool_calls[i];
        json head = {{"index", i}, {"id", t.id}, {"type", "function"}, {"function", {{"name", t.name}, {"arguments", ""}}}};
        events.push_back({a.total_ms, sse_data(chunk({{"tool_calls", json::array({head})}}, nullptr))});
        for (const auto& piece : argument_pieces(t)) {
            json d = {{"index", i}, {"function", {{"arguments", piece}}}};
            events.push_back({a.total_ms, sse_data(chunk({{"tool_calls", json::array({d})}}, nullptr))});
        }
    }
    events.push_back({a.total_ms, sse_data(chunk(json::object(), a.tool_calls.empty() ? "stop" : "tool_calls"))});
    if (include_usage) {
        json u = chunk(json::object(), nullptr);
        u["choices"] = json::array();
        u["usage"] = {{"prompt_tokens", a.usage.input_tokens},
                      {"completion_tokens", a.usage.output_tokens},
                      {"total_tokens", a.usage.input_tokens + a.usage.output_tokens}};
        events.push_back({a.total_ms, sse_data(u)});
    }
    events.push_back({a.total_ms, "data: [DONE]\n\n"});
    return events;
}

std::vector<Event> anthropic_stream(const Answer& a, bool malformed) {
    auto pieces = split_pieces(a.text, util::hash64(a.id));
    auto times = piece_times(a, pieces.size());
    json start = {{"type", "message_start"},
                  {"message",
                   {{"id", a.id},
                    {"type", "message"},
                    {"role", "assistant"},
                    {"model", a.model},
                    {"content", json::array()},
                    {"stop_reason", nullptr},
                    {"stop_sequence", nullptr},
                    {"usage", {{"input_tokens", a.usage.input_tokens}, {"output_tokens", 1}}}}}};
    json block = {{"type", "content_block_start"},
                  {"index", 0},
                  {"content_block", {{"type", "text"}, {"text", ""}}}};
    std::vector<Event> events;
    events.push_back({a.ttft_ms, sse_event("message_start", dump(start))});
    events.push_back({a.ttft_ms, sse_event("content_block_start", dump(block))});
    events.push_back({a.ttft_ms, sse_event("ping", R"({"type": "ping"})")});
    for (size_t i = 0; i < pieces.size(); ++i) {
        json d = {{"type", "content_block_delta"},
                  {"index", 0},
                  {"delta", {{"type", "text_delta"}, {"text", pieces[i]}}}};
        bool mangle = malformed && i == std::min<size_t>(1, pieces.size() - 1);
        events.push_back(
            {times[i], sse_event("content_block_delta", mangle ? broken(dump(d)) : dump(d))});
    }
    json stop_block = {{"type", "content_block_stop"}, {"index", 0}};
    json delta = {{"type", "message_delta"},
                  {"delta", {{"stop_reason", a.tool_calls.empty() ? "end_turn" : "tool_use"}, {"stop_sequence", nullptr}}},
                  {"usage", {{"output_tokens", a.usage.output_tokens}}}};
    events.push_back({a.total_ms, sse_event("content_block_stop", dump(stop_block))});
    // Each call is a tool_use block after the text block, its input streamed as JSON pieces.
    for (size_t i = 0; i < a.tool_calls.size(); ++i) {
        const ToolCall& t = a.tool_calls[i];
        json start_tool = {{"type", "content_block_start"},
                           {"index", i + 1},
                           {"content_block", {{"type", "tool_use"}, {"id", t.id}, {"name", t.name}, {"input", json::object()}}}};
        events.push_back({a.total_ms, sse_event("content_block_start", dump(start_tool))});
        for (const auto& piece : argument_pieces(t)) {
            json d = {{"type", "content_block_delta"}, {"index", i + 1}, {"delta", {{"type", "input_json_delta"}, {"partial_json", piece}}}};
            events.push_back({a.total_ms, sse_event("content_block_delta", dump(d))});
        }
        events.push_back({a.total_ms, sse_event("content_block_stop", dump(json{{"type", "content_block_stop"}, {"index", i + 1}}))});
    }
    events.push_back({a.total_ms, sse_event("message_delta", dump(delta))});
    events.push_back({a.total_ms, sse_event("message_stop", R"({"type":"message_stop"})")});
    return events;
}

json openai_body(const Answer& a) {
    json message = {{"role", "assistant"}, {"content", a.text}, {"refusal", nullptr}};
    if (!a.tool_calls.empty()) {
        json calls = json::array();
        for (const auto& t : a.tool_calls) {
            calls.push_back({{"id", t.id}, {"type", "function"}, {"function", {{"name", t.name}, {"arguments", t.arguments}}}});
        }
        message["tool_calls"] = std::move(calls);
        if (a.text.empty()) {
            message["content"] = nullptr;
        }
    }
    return {{"id", a.id},
            {"object", "chat.completion"},
            {"created", a.created},
            {"model", a.model},
            {"system_fingerprint", "orch-sim"},
            {"choices",
             json::array(
                 {{{"index", 0},
                   {"message", std::move(message)},
                   {"logprobs", nullptr},
                   {"finish_reason", a.tool_calls.empty() ? "stop" : "tool_calls"}}})},
            {"usage",
             {{"prompt_tokens", a.usage.input_tokens},
              {"completion_tokens", a.usage.output_tokens},
              {"total_tokens", a.usage.input_tokens + a.usage.output_tokens}}}};
}

json anthropic_body(const Answer& a) {
    json content = json::array();
    if (!a.text.empty() || a.tool_calls.empty()) {
        content.push_back({{"type", "text"}, {"text", a.text}});
    }
    for (const auto& t : a.tool_calls) {
        content.push_back({{"type", "tool_use"}, {"id", t.id}, {"name", t.name}, {"input", tool_input(t)}});
    }
    return {{"id", a.id},
            {"type", "message"},
            {"role", "assistant"},
            {"model", a.model},
            {"content", std::move(content)},
            {"stop_reason", a.tool_calls.empty() ? "end_turn" : "tool_use"},
            {"stop_sequence", nullptr},
            {"usage",
             {{"input_tokens", a.usage.input_tokens}, {"output_tokens", a.usage.output_tokens}}}};
}

// What the request log records about one request.
struct LogRecord {
    std::optional<std::uint64_t> seq;
    std::string at;
    std::optional<std::string> model;
    bool stream = false;
    std::optional<std::string> fault;
    std::optional<int> status; // none when the connection was dropped without an answer
};

bool is_secret_header(const std::string& lower_name) {
    return lower_name == "authorization" || lower_name == "x-api-key" ||
           lower_name == "proxy-authorization" || lower_name == "api-key" || lower_name == "cookie";
}

bool is_pseudo_header(const std::string& lower_name) {
    // httplib adds the peer's and our address to the request's headers.
    return lower_name == "remote_addr" || lower_name == "remote_port" ||
           lower_name == "local_addr" || lower_name == "local_port";
}

} // namespace

// ---------------------------------------------------------------------------------------------

// The server behind sim::Server: this file is the module orch-sim-server.so (server_module.hpp).
class HttplibServer final : public ServerBackend {
  public:
    HttplibServer(const config::ProvidersConfig& providers, AnswerKey answers, ServerOptions options);
    ~HttplibServer() override;
    HttplibServer(const HttplibServer&) = delete;
    HttplibServer& operator=(const HttplibServer&) = delete;
    void start() override;
    void run(const std::function<void()>& on_listening) override;
    void stop() override;
    int port() const override;
    std::uint64_t requests() const override;
    std::size_t model_count() const override;
    std::size_t golden_tasks() const override;

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

struct HttplibServer::Impl {
    std::vector<config::ModelConfig> models;
    AnswerKey answers;
    ServerOptions options;
    FaultPlan faults;

    std::atomic<bool> stopping{false};
    std::atomic<std::uint64_t> seq{0};
    Listener http{stopping};
    std::thread thread;
    int port = 0;
    bool started = false;

    std::mutex log_mutex;
    std::ofstream log;

    std::mutex attempts_mutex;
    std::unordered_map<std::uint64_t, int> attempts;

    std::mutex stop_mutex;
    std::mutex state_mutex;
    std::condition_variable stopped_cv;
    bool stopped = false;

    const config::ModelConfig* find_model(const std::string& name) const {
        for (const auto& m : models) {
            if (m.name == name || m.id == name) {
                return &m;
            }
        }
        return nullptr;
    }

    // Sleeps until `deadline_ms` (util::monotonic_ms) in short slices; false if the server is
    // stopping or the client has gone meanwhile, so a sleeping request never holds a thread
    // (or stop()) for long.
    bool sleep_until(double deadline_ms) const {
        if (t_connection != nullptr && t_connection->peer_closed()) {
            return false;
        }
        while (!stopping.load()) {
            double left = deadline_ms - util::monotonic_ms();
            if (left <= 0) {
                return true;
            }
            double slice = std::min(left, 250.0); // stop() waits at most this long
            if (t_connection != nullptr) {
                if (t_connection->wait_for_hangup(slice)) {
                    return false;
                }
            } else {
                std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(slice));
            }
        }
        return false;
    }

    // Which try of this request this is: a retry of a request that met a simulated 503 may
    // succeed, as it would against a real overloaded server. Only requests that failed are
    // remembered (until they succeed), so a long-lived server's memory stays flat.
    std::uint64_t attempt_id(const config::ModelConfig& model, const Request& r) const {
        return util::hash64(r.key, r.seed ^ util::hash64(model.name));
    }
    int attempt_of(std::uint64_t id) {
        std::lock_guard lock(attempts_mutex);
        auto it = attempts.find(id);
        return it == attempts.end() ? 0 : it->second;
    }
    void record_attempt(std::uint64_t id, bool failed) {
        std::lock_guard lock(attempts_mutex);
        if (!failed) {
            attempts.erase(id);
            return;
        }
        if (attempts.size() > 100'000) {
            attempts.clear(); // failures never retried: bounded all the same
        }
        ++attempts[id];
    }

    bool authorized(Protocol p, const httplib::Request& req) const {
        if (options.api_key.empty()) {
            return true;
        }
        if (p == Protocol::openai) {
            return req.get_header_value("Authorization") == "Bearer " + options.api_key;
        }
        return req.get_header_value("x-api-key") == options.api_key;
    }

    static void drop_connection(httplib::Response& res) {
        if (t_connection != nullptr) {
            t_connection->reset();
        }
        res.status = 500; // never sent: the connection is closed instead
    }

    void write_log(const LogRecord& rec, const httplib::Request& req) {
        if (!log.is_open()) {
            return;
        }
        json headers = json::object();
        for (const auto& [name, value] : req.headers) {
            std::string key = util::to_lower(name);
            if (is_secret_header(key) || is_pseudo_header(key)) {
                continue;
            }
            headers[key] =
                headers.contains(key) ? headers[key].get<std::string>() + ", " + value : value;
        }
        json line = {{"seq", rec.seq ? json(*rec.seq) : json(nullptr)},
                     {"at", rec.at},
                     {"method", req.method},
                     {"path", req.path},
                     {"model", rec.model ? json(*rec.model) : json(nullptr)},
                     {"stream", rec.stream},
                     {"fault", rec.fault ? json(*rec.fault) : json(nullptr)},
                     {"status", rec.status ? json(*rec.status) : json(nullptr)},
                     {"headers", std::move(headers)},
                     {"body", req.body}};
        std::string text = dump(line);
        std::lock_guard lock(log_mutex);
        log << text << '\n';
        log.flush();
    }

    void handle_call(Protocol p, const httplib::Request& req, httplib::Response& res) {
        LogRecord rec;
        rec.seq = ++seq;
        rec.at = util::now_iso8601();
        res.set_header("x-request-id", "req_" + hex64(util::mix64(*rec.seq ^ options.seed)));
        try {
            answer_call(p, req, res, rec);
        } catch (const std::exception& e) {
            send_error(p, res,
                       {500,
                        fmt::format("internal error in the simulated server: {}", e.what()),
                        "server_error",
                        "",
                        "api_error",
                        {}});
        }
        if (t_connection == nullptr || !t_connection->was_reset()) {
            rec.status = res.status;
        }
        write_log(rec, req);
    }

    void answer_call(Protocol p, const httplib::Request& req, httplib::Response& res,
                     LogRecord& rec) {
        // The request must be acceptable before any fault is played: a fault stands for a
        // failure of a healthy service, not a reply to a bad request.
        if (!authorized(p, req)) {
            bool had_key = p == Protocol::openai ? req.has_header("Authorization")
                                                 : req.has_header("x-api-key");
            send_error(p, res, unauthorized(p, had_key));
            return;
        }
        json body = json::parse(req.body, nullptr, false);
        if (body.is_discarded() || !body.is_object()) {
            send_error(p, res, invalid_request("the request body is not a JSON object"));
            return;
        }
        ChatCall call;
        std::string problem =
            p == Protocol::openai ? parse_openai(body, call) : parse_anthropic(body, call);
        if (!call.model.empty()) {
            rec.model = call.model;
        }
        rec.stream = call.stream;
        if (!problem.empty()) {
            send_error(p, res, invalid_request(problem));
            return;
        }
        const config::ModelConfig* model = find_model(call.model);
        if (model == nullptr) {
            send_error(p, res, model_not_found(call.model));
            return;
        }

        std::optional<Fault> fault = faults.pick(*rec.seq, options.seed);
        if (fault) {
            rec.fault = to_string(fault->kind);
            if (!play_fault(p, *fault, *model, call, res)) {
                return; // the fault was the whole answer
            }
        }

        Request request;
        request.messages = call.messages;
        request.params = call.params;
        request.key = hex64(messages_hash(call.messages));
        request.seed = call.seed.value_or(options.seed);
        request.sim_hint = answers.find(call.messages);
        request.task_type = request.sim_hint ? request.sim_hint->task_type : "chat";
        request.tools = call.tools;
        std::uint64_t attempt = attempt_id(*model, request);
        SimAnswer sim = simulate(*model, request, attempt_of(attempt));
        record_attempt(attempt, sim.failed);

        // The answer's clock starts after any injected delay.
        double t0 = util::monotonic_ms();
        double total = options.fixed_latency_ms ? *options.fixed_latency_ms
                                                : sim.latency_ms * options.latency_scale;
        if (sim.failed) {
            if (!sleep_until(t0 + total)) {
                drop_connection(res);
                return;
            }
            send_error(p, res,
                       sim.failure == ProviderErrorKind::context_length
                           ? context_exceeded(model->context_window, sim.usage.input_tokens)
                           : server_fault(503));
            return;
        }
        Answer a;
        a.model = call.model;
        a.created = static_cast<std::int64_t>(std::time(nullptr));
        a.id = (p == Protocol::openai ? "chatcmpl-" : "msg_") +
               hex64(util::mix64(*rec.seq ^ util::hash64(request.key, request.seed)));
        a.text = sim.text;
        a.tool_calls = sim.tool_calls;
        if (fault && !call.tools.empty()) {
            play_tool_fault(fault->kind, call, a);
        }
        for (auto& t : a.tool_calls) {
            if (p == Protocol::anthropic && t.id.rfind("call_", 0) == 0) {
                t.id = "toolu_" + t.id.substr(5);
            }
        }
        a.usage = sim.usage;
        a.total_ms = total;
        double ttft_share = sim.latency_ms > 0 ? std::min(1.0, sim.ttft_ms / sim.latency_ms) : 0.0;
        a.ttft_ms = options.fixed_latency_ms ? *options.fixed_latency_ms * ttft_share
                                             : sim.ttft_ms * options.latency_scale;
        a.ttft_ms = std::min(a.ttft_ms, a.total_ms);

        bool truncate = fault && fault->kind == FaultKind::truncate;
        bool malformed = fault && fault->kind == FaultKind::malformed;
        if (call.stream) {
            stream_answer(p, a, call.include_usage, truncate, malformed, t0, res);
            return;
        }
        if (!sleep_until(t0 + a.total_ms)) {
            drop_connection(res);
            return;
        }
        std::string text = dump(p == Protocol::openai ? openai_body(a) : anthropic_body(a));
        res.status = 200;
        if (malformed) {
            res.set_content(broken(text), k_json_type);
        } else if (truncate) {
            // Half the body under a Content-Length promising all of it, then hang up.
            size_t half = text.size() / 2;
            res.set_content_provider(text.size(), k_json_type,
                                     [text, half](size_t, size_t, httplib::DataSink& sink) {
                                         sink.write(text.data(), half);
                                         return false;
                                     });
        } else {
            res.set_content(text, k_json_type);
        }
    }

    // Plays the fault; returns true when a normal answer should follow (hang, slow, and the
    // faults that mangle the answer itself).
    bool play_fault(Protocol p, const Fault& fault, const config::ModelConfig& model,
                    const ChatCall& call, httplib::Response& res) {
        switch (fault.kind) {
        case FaultKind::hang:
        case FaultKind::slow: {
            double ms = fault.kind == FaultKind::hang ? fault.arg * 1000.0 : fault.arg;
            if (!sleep_until(util::monotonic_ms() + ms)) {
                drop_connection(res);
                return false;
            }
            return true;
        }
        case FaultKind::truncate:
        case FaultKind::malformed:
        case FaultKind::tool_args:
        case FaultKind::tool_unknown:
        case FaultKind::tool_loop:
            return true;
        case FaultKind::reset:
            drop_connection(res);
            return false;
        case FaultKind::rate_limited: {
            send_error(p, res, server_fault(429));
            res.set_header("Retry-After",
                           std::to_string(static_cast<long long>(std::ceil(fault.arg))));
            res.set_header("retry-after-ms", std::to_string(std::llround(fault.arg * 1000.0)));
            return false;
        }
        case FaultKind::internal_error:
            send_error(p, res, server_fault(500));
            return false;
        case FaultKind::bad_gateway:
            send_error(p, res, server_fault(502));
            return false;
        case FaultKind::unavailable:
            send_error(p, res, server_fault(503));
            return false;
        case FaultKind::context_length:
            send_error(p, res,
                       context_exceeded(model.context_window,
                                        model.context_window + estimate_tokens(call.messages)));
            return false;
        case FaultKind::unauthorized:
            send_error(p, res, unauthorized(p, true));
            return false;
        }
        return false;
    }

    // A tool fault changes the answer's calls (or makes its text a call): arguments that are
    // not JSON, a tool that was not offered, or the conversation's last call once more.
    static void play_tool_fault(FaultKind kind, const ChatCall& call, Answer& a) {
        if (kind != FaultKind::tool_args && kind != FaultKind::tool_unknown && kind != FaultKind::tool_loop) {
            return;
        }
        std::optional<ToolCall> last;
        for (const auto& m : call.messages) {
            if (!m.tool_calls.empty()) {
                last = m.tool_calls.back();
            }
        }
        if (a.tool_calls.empty()) {
            std::string id = fmt::format("call_{:016x}", util::hash64(a.id));
            a.tool_calls.push_back(kind == FaultKind::tool_loop && last ? *last
                                                                         : ToolCall{id, call.tools.front().name, "{}"});
            a.tool_calls.back().id = id;
            a.text.clear();
        }
        ToolCall& t = a.tool_calls.front();
        if (kind == FaultKind::tool_args) {
            t.arguments = t.arguments.substr(0, t.arguments.size() / 2) + "}, \"oops";
        } else if (kind == FaultKind::tool_unknown) {
            t.name = "no_such_tool_" + t.name;
        } else if (last) {
            t.name = last->name;
            t.arguments = last->arguments;
        }
    }

    void stream_answer(Protocol p, const Answer& a, bool include_usage, bool truncate,
                       bool malformed, double t0, httplib::Response& res) {
        auto events = std::make_shared<std::vector<Event>>(
            p == Protocol::openai ? openai_stream(a, include_usage, malformed)
                                  : anthropic_stream(a, malformed));
        // A truncated stream stops halfway, before any terminator ([DONE], message_stop).
        size_t cut = truncate ? std::max<size_t>(1, events->size() / 2) : events->size();
        res.status = 200;
        res.set_header("Cache-Control", "no-cache");
        res.set_chunked_content_provider(
            "text/event-stream", [this, events, cut, t0](size_t, httplib::DataSink& sink) {
                for (size_t i = 0; i < cut; ++i) {
                    const Event& e = (*events)[i];
                    if (!sleep_until(t0 + e.at_ms) || !sink.write(e.text.data(), e.text.size())) {
                        return false;
                    }
                }
                if (cut < events->size()) {
                    return false; // hang up without the terminating chunk
                }
                sink.done();
                return true;
            });
    }

    bool authorized_any(const httplib::Request& req) const {
        return authorized(Protocol::openai, req) || authorized(Protocol::anthropic, req);
    }

    void handle_models(const httplib::Request& req, httplib::Response& res) {
        LogRecord rec;
        rec.at = util::now_iso8601();
        if (!authorized_any(req)) {
            send_error(Protocol::openai, res,
                       unauthorized(Protocol::openai, req.has_header("Authorization")));
        } else {
            // OpenAI's list shape, with Anthropic's fields too, so either kind of client reads it.
            json data = json::array();
            for (const auto& m : models) {
                data.push_back({{"id", m.name},
                                {"object", "model"},
                                {"type", "model"},
                                {"created", 0},
                                {"owned_by", "orch-sim"},
                                {"display_name", m.name + " (simulated, " + m.id + ")"}});
            }
            json body = {{"object", "list"}, {"data", data}, {"has_more", false}};
            res.status = 200;
            res.set_content(dump(body), k_json_type);
        }
        rec.status = res.status;
        write_log(rec, req);
    }

    void handle_health(const httplib::Request& req, httplib::Response& res) {
        LogRecord rec;
        rec.at = util::now_iso8601();
        json body = {{"status", "ok"},
                     {"simulated", true},
                     {"models", models.size()},
                     {"golden_tasks", answers.size()},
                     {"requests", seq.load()}};
        res.status = 200;
        res.set_content(dump(body), k_json_type);
        rec.status = res.status;
        write_log(rec, req);
    }
};

HttplibServer::HttplibServer(const config::ProvidersConfig& providers, AnswerKey answers, ServerOptions options)
    : m_impl(std::make_unique<Impl>()) {
    for (const auto& m : providers.models) {
        if (m.sim) {
            m_impl->models.push_back(m);
        }
    }
    if (m_impl->models.empty()) {
        throw Error(
            ErrorKind::config,
            fmt::format("{}: no simulated models (a model needs a [models.NAME.sim] profile to be "
                        "served by orch sim serve)",
                        providers.path.empty() ? std::string("providers") : providers.path));
    }
    if (options.latency_scale < 0 || (options.fixed_latency_ms && *options.fixed_latency_ms < 0)) {
        throw Error(ErrorKind::config, "latency scale and fixed latency must be 0 or more");
    }
    m_impl->faults = FaultPlan::parse(options.faults);
    m_impl->answers = std::move(answers);
    m_impl->options = std::move(options);
}

HttplibServer::~HttplibServer() {
    stop();
}

void HttplibServer::start() {
    Impl& m = *m_impl;
    if (m.started) {
        throw Error(ErrorKind::internal, "sim server: start called twice");
    }
    if (!m.options.log_path.empty()) {
        m.log.open(m.options.log_path, std::ios::out | std::ios::trunc);
        if (!m.log) {
            throw Error(ErrorKind::config, fmt::format("--log: cannot write {}: {}",
                                                       m.options.log_path, std::strerror(errno)));
        }
    }
    auto& http = m.http;
    size_t threads = static_cast<size_t>(std::max(1, m.options.threads));
    http.new_task_queue = [threads] { return new httplib::ThreadPool(threads); };
    http.set_keep_alive_max_count(1000);
    http.set_keep_alive_timeout(5);
    http.set_read_timeout(30);
    http.set_write_timeout(30);
    http.Post("/v1/chat/completions", [&m](const httplib::Request& req, httplib::Response& res) {
        m.handle_call(Protocol::openai, req, res);
    });
    http.Post("/v1/messages", [&m](const httplib::Request& req, httplib::Response& res) {
        m.handle_call(Protocol::anthropic, req, res);
    });
    http.Get("/v1/models", [&m](const httplib::Request& req, httplib::Response& res) {
        m.handle_models(req, res);
    });
    http.Get("/health", [&m](const httplib::Request& req, httplib::Response& res) {
        m.handle_health(req, res);
    });
    http.set_error_handler([](const httplib::Request& req, httplib::Response& res) {
        if (res.status == 404 && res.body.empty()) {
            send_error(Protocol::openai, res,
                       {404,
                        fmt::format("no route for {} {} (orch sim serve)", req.method, req.path),
                        "invalid_request_error",
                        "",
                        "not_found_error",
                        {}});
        }
    });

    // httplib's default adds SO_REUSEPORT, which lets a second server share a busy port.
    http.set_socket_options([](::socket_t sock) {
        int yes = 1;
        setsockopt(sock, SOL_SOCKET, SO_REUSEADDR, &yes, sizeof yes);
    });

    bool bound = false;
    errno = 0;
    if (m.options.port == 0) {
        m.port = http.bind_to_any_port(m.options.host);
        bound = m.port > 0;
    } else {
        bound = http.bind_to_port(m.options.host, m.options.port);
        m.port = m.options.port;
    }
    if (!bound) {
        int err = errno;
        throw Error(ErrorKind::config,
                    fmt::format("sim serve: cannot listen on {}:{}{}", m.options.host,
                                m.options.port,
                                err != 0 ? fmt::format(" ({})", std::strerror(err)) : ""));
    }
    // httplib listens with a backlog of 5; a burst of concurrent clients needs far more.
    ::listen(http.listening_socket(), 1024);
    m.started = true;
    m.thread = std::thread([&http] { http.listen_after_bind(); });
    // stop() is only safe once httplib has marked itself running.
    while (!http.is_running()) {
        std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
}

void HttplibServer::run(const std::function<void()>& on_listening) {
    start();
    if (on_listening) {
        on_listening();
    }
    std::unique_lock lock(m_impl->state_mutex);
    m_impl->stopped_cv.wait(lock, [this] { return m_impl->stopped; });
}

void HttplibServer::stop() {
    Impl& m = *m_impl;
    std::lock_guard guard(m.stop_mutex);
    if (m.thread.joinable()) {
        m.stopping.store(true);
        m.http.stop();
        m.thread.join();
    }
    {
        std::lock_guard lock(m.state_mutex);
        m.stopped = true;
    }
    m.stopped_cv.notify_all();
}

int HttplibServer::port() const {
    return m_impl->port;
}
std::uint64_t HttplibServer::requests() const {
    return m_impl->seq.load();
}
std::size_t HttplibServer::model_count() const {
    return m_impl->models.size();
}
std::size_t HttplibServer::golden_tasks() const {
    return m_impl->answers.size();
}

} // namespace orch::sim

extern "C" orch::sim::ServerBackend* orch_sim_make_server(const orch::config::ProvidersConfig& providers,
                                                          orch::sim::AnswerKey answers,
                                                          orch::sim::ServerOptions options) {
    return new orch::sim::HttplibServer(providers, std::move(answers), std::move(options));
}
