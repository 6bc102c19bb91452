#pragma once
// An asynchronous HTTP client interface, and its libcurl implementation: one event loop
// thread drives every transfer (curl multi), so hundreds of requests in flight need no
// more threads. Connections are reused (keep-alive), TLS is verified, and proxies come
// from the environment as curl honours them.
#include <orch/util/result.hpp>

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

namespace orch::http {

struct HttpRequest {
    std::string method = "POST";
    std::string url;
    std::vector<std::pair<std::string, std::string>> headers;
    std::string body;
    double connect_timeout_s = 10;
    double first_byte_timeout_s = 30; // from the request's start to the first response byte
    double total_timeout_s = 60;
};

struct HttpResponse {
    int status = 0;
    std::map<std::string, std::string> headers; // names in lower case
    std::string body; // empty when a 2xx body was streamed to on_data
    double latency_ms = 0;
    std::optional<double> first_byte_ms;
};

enum class TransportErrorKind {
    connect,            // refused or unreachable
    dns,
    timeout_connect,
    timeout_first_byte,
    timeout_total,
    reset,              // the connection closed before a complete response
    other,
};

struct TransportError {
    TransportErrorKind kind = TransportErrorKind::other;
    std::string message;
    double latency_ms = 0;
    int status = 0;              // the HTTP status if headers had arrived
    std::string partial_body;    // what arrived before the failure
};

std::string to_string(TransportErrorKind kind);

using HttpOutcome = util::Result<HttpResponse, TransportError>;
// Receives body bytes as they arrive (streams); return false to abort the transfer.
using OnData = std::function<bool(std::string_view)>;
using OnDone = std::function<void(HttpOutcome)>;

class HttpClient {
  public:
    virtual ~HttpClient() = default;
    // Starts a transfer. With on_data set, a 2xx reply's body bytes go there and not into the
    // response (a non-2xx reply's body is kept in the response, to be read whole);
    // on_data and done run on the client's thread; done runs exactly once.
    virtual void start(HttpRequest request, OnData on_data, OnDone done) = 0;
};

// The libcurl implementation. Destroying it aborts transfers still in flight (their done
// callbacks run with a transport error).
std::unique_ptr<HttpClient> make_curl_client();

} // namespace orch::http
