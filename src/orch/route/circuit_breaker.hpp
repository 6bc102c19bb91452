#pragma once
// A cooldown per model for a deployment that keeps failing (SPEC §5): after `threshold`
// failures in a row the model is skipped for `cooldown_ms`, then tried again; one more
// failure reopens the cooldown, a success closes it. A rate limit with Retry-After cools the
// model down for at least that long. Thread-safe; time comes from the caller (monotonic ms).
#include <map>
#include <mutex>
#include <optional>
#include <string>

namespace orch::route {

class CircuitBreaker {
  public:
    CircuitBreaker(int threshold, double cooldown_ms)
        : m_threshold(threshold), m_cooldown_ms(cooldown_ms) {}

    // nullopt when the model may be called now; otherwise the milliseconds left to wait.
    std::optional<double> cooling_down(const std::string& model, double now_ms) const;
    void record_success(const std::string& model);
    // A failure that says something about the deployment (not about the request).
    void record_failure(const std::string& model, double now_ms,
                        std::optional<double> retry_after_s = std::nullopt);
    int consecutive_failures(const std::string& model) const;

  private:
    struct State {
        int failures = 0;
        double open_until_ms = 0;
    };
    mutable std::mutex m_mutex;
    int m_threshold;
    double m_cooldown_ms;
    std::map<std::string, State> m_models;
};

} // namespace orch::route
