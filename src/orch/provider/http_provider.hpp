#pragma once
// A provider reached over HTTP (OpenAI or Anthropic protocol): API key from the
// environment, per-provider rpm/tpm limits, retries with exponential backoff and jitter
// that honour Retry-After, failures classified as ProviderError values.
#include <orch/http/client.hpp>
#include <orch/provider/protocol.hpp>
#include <orch/provider/provider.hpp>
#include <orch/util/rate_limiter.hpp>
#include <orch/util/scheduler.hpp>

#include <atomic>

namespace orch::provider {

struct RetryPolicy {
    double base_delay_ms = 500;
    double max_delay_ms = 20000;
    double retry_after_cap_s = 60; // a longer Retry-After fails now, so routing can move on
};

class HttpProvider : public Provider {
  public:
    HttpProvider(const config::ProviderConfig& cfg, std::unique_ptr<Protocol> protocol,
                 std::shared_ptr<http::HttpClient> client, RetryPolicy retry = {});
    ~HttpProvider() override;
    void start(const config::ModelConfig& model, Request request, Callback done) override;

  private:
    struct Call;
    void attempt(std::shared_ptr<Call> call);
    void attempt_now_or_later(std::shared_ptr<Call> call);
    void on_response(std::shared_ptr<Call> call, http::HttpOutcome outcome);
    void fail_or_retry(std::shared_ptr<Call> call, ProviderError error);

    const config::ProviderConfig& m_cfg;
    std::unique_ptr<Protocol> m_protocol;
    std::shared_ptr<http::HttpClient> m_client;
    RetryPolicy m_retry;
    util::RateLimiter m_rpm;
    util::RateLimiter m_tpm;
    util::Scheduler m_scheduler;
};

// Classifies an HTTP exchange that did not produce a usable reply.
ProviderError classify_http_error(int status, const std::map<std::string, std::string>& headers,
                                  std::string_view body);
// The class a provider's own error code or type names (error_code_of), when it names one:
// rate limits, overload, context length, auth, and an exhausted quota (auth: no retry helps).
std::optional<ProviderErrorKind> kind_of_error_code(std::string_view code);
// Classifies an error a provider reported by its code inside a stream, where the HTTP status
// was 200: as kind_of_error_code says, else a bad_response.
ProviderError classify_error_code(std::string_view code, const std::string& message);
// A stream that stopped before its terminator (Reply::cut): a transport error, retried like a
// reset, whose message keeps how far it got. `how` says what ended it.
ProviderError stream_cut(const Reply& partial, std::string_view how);
// Retry-After as seconds: "120", an HTTP-date, or retry-after-ms; nullopt when absent.
std::optional<double> parse_retry_after(const std::map<std::string, std::string>& headers);

} // namespace orch::provider
