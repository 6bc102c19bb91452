#include <orch/provider/http_provider.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/rng.hpp>
#include <orch/util/strings.hpp>

#include <cmath>
#include <ctime>
#include <fmt/format.h>

namespace orch::provider {

using nlohmann::json;

struct HttpProvider::Call {
    const config::ModelConfig* model = nullptr;
    Request request;
    Callback done;
    std::string api_key;
    int attempt = 0;
    double started_ms = 0;
    double wait_ms = 0; // time spent waiting for limits and backoff
    std::unique_ptr<StreamDecoder> decoder;
    SseParser sse;
    std::optional<double> ttft_ms;
    double attempt_started_ms = 0;
};

HttpProvider::HttpProvider(const config::ProviderConfig& cfg, std::unique_ptr<Protocol> protocol,
                           std::shared_ptr<http::HttpClient> client, RetryPolicy retry)
    : m_cfg(cfg), m_protocol(std::move(protocol)), m_client(std::move(client)), m_retry(retry),
      m_rpm(cfg.rpm), m_tpm(cfg.tpm) {}

HttpProvider::~HttpProvider() = default;

std::optional<double> parse_retry_after(const std::map<std::string, std::string>& headers) {
    if (auto it = headers.find("retry-after-ms"); it != headers.end()) {
        double ms = 0;
        if (util::parse_number(it->second, ms) && ms >= 0) {
            return ms / 1000.0;
        }
    }
    auto it = headers.find("retry-after");
    if (it == headers.end()) {
        return std::nullopt;
    }
    double s = 0;
    if (util::parse_number(it->second, s) && s >= 0) {
        return s;
    }
    std::tm tm{};
    if (strptime(it->second.c_str(), "%a, %d %b %Y %H:%M:%S GMT", &tm) != nullptr) {
        double delta = std::difftime(timegm(&tm), std::time(nullptr));
        return std::max(0.0, delta);
    }
    return std::nullopt;
}

ProviderError classify_http_error(int status, const std::map<std::string, std::string>& headers,
                                  std::string_view body) {
    ProviderError e;
    e.http_status = status;
    std::string snippet = util::truncate(util::collapse_whitespace(body), 200);
    json j = json::parse(body, nullptr, false);
    std::string code = j.is_object() && j.contains("error") ? error_code_of(j["error"]) : "";
    if (status == 429 && kind_of_error_code(code) == ProviderErrorKind::auth) {
        // OpenAI's "out of credit" comes as a 429 too, but no retry can succeed.
        e.kind = ProviderErrorKind::auth;
        e.message = fmt::format("HTTP 429 {}: quota exhausted or key refused, not retried: {}", code, snippet);
    } else if (status == 429) {
        e.kind = ProviderErrorKind::rate_limited;
        e.retry_after_s = parse_retry_after(headers);
        e.message = fmt::format("HTTP 429 rate limited{}: {}",
                                e.retry_after_s ? fmt::format(" (retry after {:.3g}s)", *e.retry_after_s) : "",
                                snippet);
    } else if (status == 401 || status == 403) {
        e.kind = ProviderErrorKind::auth;
        e.message = fmt::format("HTTP {}: authentication failed: {}", status, snippet);
    } else if ((status == 400 || status == 413 || status == 422) && is_context_length_error(body)) {
        e.kind = ProviderErrorKind::context_length;
        e.message = fmt::format("HTTP {}: input exceeds the context window: {}", status, snippet);
    } else if (status == 408) {
        e.kind = ProviderErrorKind::timeout;
        e.message = "HTTP 408 request timeout";
    } else if (status >= 500) {
        e.kind = ProviderErrorKind::server;
        e.retry_after_s = parse_retry_after(headers);
        e.message = fmt::format("HTTP {}: {}", status, snippet);
    } else {
        e.kind = ProviderErrorKind::bad_response;
        e.message = fmt::format("HTTP {}: {}", status, snippet);
    }
    return e;
}

std::optional<ProviderErrorKind> kind_of_error_code(std::string_view code) {
    static const std::map<std::string, ProviderErrorKind, std::less<>> k_kinds = {
        {"insufficient_quota", ProviderErrorKind::auth},
        {"authentication_error", ProviderErrorKind::auth},
        {"permission_error", ProviderErrorKind::auth},
        {"invalid_api_key", ProviderErrorKind::auth},
        {"rate_limit_exceeded", ProviderErrorKind::rate_limited},
        {"rate_limit_error", ProviderErrorKind::rate_limited},
        {"rate_limited", ProviderErrorKind::rate_limited},
        {"too_many_requests", ProviderErrorKind::rate_limited},
        {"overloaded_error", ProviderErrorKind::server},
        {"server_error", ProviderErrorKind::server},
        {"api_error", ProviderErrorKind::server},
        {"internal_error", ProviderErrorKind::server},
        {"service_unavailable", ProviderErrorKind::server},
    };
    std::string lower = util::to_lower(code);
    if (auto it = k_kinds.find(lower); it != k_kinds.end()) {
        return it->second;
    }
    if (!lower.empty() && is_context_length_error(lower)) {
        return ProviderErrorKind::context_length;
    }
    return std::nullopt;
}

ProviderError classify_error_code(std::string_view code, const std::string& message) {
    ProviderError e;
    e.kind = kind_of_error_code(code).value_or(ProviderErrorKind::bad_response);
    e.message = fmt::format("error in the stream: {}", message);
    return e;
}

ProviderError stream_cut(const Reply& partial, std::string_view how) {
    ProviderError e;
    e.kind = ProviderErrorKind::transport;
    e.message = fmt::format("the stream was cut before its terminator after {} characters ({}){}{}",
                            partial.text.size(), how, partial.text.empty() ? "" : ": ",
                            util::truncate(partial.text, 200));
    return e;
}

void HttpProvider::start(const config::ModelConfig& model, Request request, Callback done) {
    auto call = std::make_shared<Call>();
    call->model = &model;
    call->request = std::move(request);
    call->done = std::move(done);
    call->started_ms = util::monotonic_ms();
    if (!m_cfg.api_key_env.empty()) {
        const char* key = std::getenv(m_cfg.api_key_env.c_str());
        if (key == nullptr || *key == '\0') {
            ProviderError e;
            e.kind = ProviderErrorKind::auth;
            e.message = fmt::format("environment variable {} (api_key_env of provider {}) is not set",
                                    m_cfg.api_key_env, m_cfg.name);
            call->done(util::unexpected(std::move(e)));
            return;
        }
        call->api_key = key;
    }
    attempt(call);
}

void HttpProvider::attempt(std::shared_ptr<Call> call) {
    // Respect the provider's limits before sending: wait for a request slot and tokens.
    double now = util::monotonic_ms();
    double tokens = static_cast<double>(estimate_tokens(call->request.messages) +
                                        call->request.params.max_tokens.value_or(256));
    double wait = std::max(m_rpm.reserve(1, now), m_tpm.reserve(tokens, now));
    if (wait > 0) {
        call->wait_ms += wait;
        m_scheduler.after(wait, [this, call] { attempt_now_or_later(call); });
        return;
    }
    attempt_now_or_later(call);
}

void HttpProvider::attempt_now_or_later(std::shared_ptr<Call> call) {
    bool stream = m_cfg.stream;
    http::HttpRequest req = m_protocol->build(m_cfg, *call->model, call->request, stream, call->api_key);
    req.connect_timeout_s = m_cfg.connect_timeout_s;
    req.first_byte_timeout_s = m_cfg.first_byte_timeout_s;
    req.total_timeout_s = m_cfg.timeout_s;
    call->attempt_started_ms = util::monotonic_ms();
    http::OnData on_data;
    if (stream) {
        call->decoder = m_protocol->stream_decoder();
        call->sse = SseParser{};
        call->ttft_ms.reset();
        on_data = [call](std::string_view bytes) {
            try {
                for (const auto& ev : call->sse.feed(bytes)) {
                    call->decoder->on_event(ev);
                    if (!call->ttft_ms && call->decoder->has_text()) {
                        call->ttft_ms = util::monotonic_ms() - call->started_ms;
                    }
                }
            } catch (const std::exception&) {
                return false; // a decoder that cannot read the stream ends it
            }
            return true;
        };
    }
    m_client->start(std::move(req), std::move(on_data),
                    [this, call](http::HttpOutcome o) { on_response(call, std::move(o)); });
}

void HttpProvider::on_response(std::shared_ptr<Call> call, http::HttpOutcome outcome) {
    auto scrub = [&](std::string s) {
        // Never let a key that a server echoed reach logs, errors or the database.
        return call->api_key.empty() ? s : util::replace_all(std::move(s), call->api_key, "[redacted]");
    };
    if (!outcome) {
        const auto& t = outcome.error();
        ProviderError e;
        e.http_status = t.status;
        bool timeout = t.kind == http::TransportErrorKind::timeout_connect ||
                       t.kind == http::TransportErrorKind::timeout_first_byte ||
                       t.kind == http::TransportErrorKind::timeout_total;
        e.kind = timeout ? ProviderErrorKind::timeout : ProviderErrorKind::transport;
        e.message = scrub(fmt::format("{}: {}", http::to_string(t.kind), t.message));
        if (call->decoder && t.status >= 200 && t.status < 300) {
            Reply partial = call->decoder->reply();
            if (!partial.error_code.empty()) {
                e = classify_error_code(partial.error_code, partial.error); // the stream said why
                e.http_status = t.status;
            } else if (!partial.cut) {
                e.kind = ProviderErrorKind::bad_response; // unreadable, then cut: not a transport fault
                e.message = partial.error;
            } else {
                // Cut mid-answer: nothing has reached a user yet, so it is retried like a reset.
                e = stream_cut(partial, http::to_string(t.kind));
                e.http_status = t.status;
            }
            e.message = scrub(e.message);
        }
        fail_or_retry(call, std::move(e));
        return;
    }
    const http::HttpResponse& resp = outcome.value();
    if (resp.status < 200 || resp.status >= 300) {
        std::string body = resp.body;
        ProviderError e = classify_http_error(resp.status, resp.headers, body);
        e.message = scrub(e.message);
        fail_or_retry(call, std::move(e));
        return;
    }
    Reply reply;
    try {
        reply = call->decoder ? call->decoder->reply() : m_protocol->parse(resp.body);
    } catch (const std::exception& ex) {
        reply.ok = false;
        reply.error = fmt::format("unreadable reply: {}", ex.what());
    }
    if (!reply.ok) {
        ProviderError e;
        if (reply.cut) {
            e = stream_cut(reply, "the connection closed");
        } else if (!reply.error_code.empty()) {
            e = classify_error_code(reply.error_code, reply.error);
        } else {
            e.kind = ProviderErrorKind::bad_response;
            e.message = reply.error;
        }
        e.http_status = resp.status;
        e.message = scrub(e.message);
        fail_or_retry(call, std::move(e));
        return;
    }
    Completion c;
    c.text = std::move(reply.text);
    c.tool_calls = std::move(reply.tool_calls);
    if (c.text.empty() && !c.tool_calls.empty() && call->request.tools.empty()) {
        // Tool calls nobody offered tools for answer a single-call task: hand them on as JSON,
        // what its tool_call evaluator reads. An agent's turn keeps them apart from its text.
        nlohmann::json calls = nlohmann::json::array();
        for (const auto& t : c.tool_calls) {
            nlohmann::json args = nlohmann::json::parse(t.arguments, nullptr, false);
            calls.push_back({{"name", t.name}, {"arguments", args.is_discarded() ? nlohmann::json(t.arguments) : args}});
        }
        c.text = nlohmann::json{{"tool_calls", calls}}.dump();
    }
    if (reply.usage) {
        c.usage = *reply.usage;
    } else {
        c.usage.input_tokens = estimate_tokens(call->request.messages);
        c.usage.output_tokens = estimate_tokens(c.text);
        c.usage.estimated = true;
    }
    c.cost_usd = call->model->cost_usd(c.usage.input_tokens, c.usage.output_tokens, c.usage.cached_input_tokens);
    c.latency_ms = util::monotonic_ms() - call->started_ms;
    c.ttft_ms = call->ttft_ms ? call->ttft_ms
                              : (resp.first_byte_ms ? std::optional(call->attempt_started_ms - call->started_ms +
                                                                    *resp.first_byte_ms)
                                                    : std::nullopt);
    c.model = call->model->name;
    c.provider_model = call->model->id;
    c.retries = call->attempt;
    if (reply.refused) {
        ProviderError e;
        e.kind = ProviderErrorKind::refused;
        e.message = scrub("the model refused: " + util::truncate(c.text, 200));
        e.http_status = resp.status;
        e.latency_ms = c.latency_ms;
        e.retries = call->attempt;
        call->done(util::unexpected(std::move(e)));
        return;
    }
    call->done(std::move(c));
}

void HttpProvider::fail_or_retry(std::shared_ptr<Call> call, ProviderError error) {
    error.retries = call->attempt;
    error.latency_ms = util::monotonic_ms() - call->started_ms;
    int max_retries = static_cast<int>(call->request.max_retries.value_or(m_cfg.max_retries));
    bool too_long = error.retry_after_s && *error.retry_after_s > m_retry.retry_after_cap_s;
    if (!is_retryable(error.kind) || call->attempt >= max_retries || too_long) {
        if (too_long) {
            error.message += fmt::format(" (Retry-After beyond the {}s cap: not waiting)", m_retry.retry_after_cap_s);
        }
        call->done(util::unexpected(std::move(error)));
        return;
    }
    // Exponential backoff with jitter; a server's Retry-After wins when it asks for longer.
    util::Rng rng(util::hash64(call->request.key, static_cast<std::uint64_t>(call->attempt) + 1));
    double backoff = std::min(m_retry.max_delay_ms, m_retry.base_delay_ms * std::pow(2.0, call->attempt));
    backoff *= 0.75 + 0.5 * rng.uniform();
    if (error.retry_after_s) {
        backoff = std::max(backoff, *error.retry_after_s * 1000.0);
    }
    ++call->attempt;
    call->wait_ms += backoff;
    m_scheduler.after(backoff, [this, call] { attempt(call); });
}

} // namespace orch::provider
