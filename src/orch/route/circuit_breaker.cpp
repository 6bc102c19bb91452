#include <orch/route/circuit_breaker.hpp>

#include <algorithm>

namespace orch::route {

std::optional<double> CircuitBreaker::cooling_down(const std::string& model, double now_ms) const {
    std::lock_guard lock(m_mutex);
    auto it = m_models.find(model);
    if (it == m_models.end() || it->second.open_until_ms <= now_ms) {
        return std::nullopt;
    }
    return it->second.open_until_ms - now_ms;
}

void CircuitBreaker::record_success(const std::string& model) {
    std::lock_guard lock(m_mutex);
    m_models.erase(model);
}

void CircuitBreaker::record_failure(const std::string& model, double now_ms,
                                    std::optional<double> retry_after_s) {
    std::lock_guard lock(m_mutex);
    State& s = m_models[model];
    ++s.failures;
    // At the threshold, and on every failure of a trial call after a cooldown, (re)open.
    if (s.failures >= m_threshold) {
        s.open_until_ms = std::max(s.open_until_ms, now_ms + m_cooldown_ms);
    }
    if (retry_after_s && *retry_after_s > 0) {
        s.open_until_ms = std::max(s.open_until_ms, now_ms + *retry_after_s * 1000.0);
    }
}

int CircuitBreaker::consecutive_failures(const std::string& model) const {
    std::lock_guard lock(m_mutex);
    auto it = m_models.find(model);
    return it == m_models.end() ? 0 : it->second.failures;
}

} // namespace orch::route
