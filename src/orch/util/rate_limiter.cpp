#include <orch/util/rate_limiter.hpp>

#include <algorithm>

namespace orch::util {

double RateLimiter::reserve(double amount, double now_ms) {
    if (m_per_minute <= 0) {
        return 0;
    }
    std::lock_guard lock(m_mutex);
    double rate_per_ms = m_per_minute / 60000.0;
    if (m_available < 0) {
        m_available = m_per_minute; // a full minute's allowance to start
        m_last_ms = now_ms;
    }
    m_available = std::min(m_per_minute, m_available + (now_ms - m_last_ms) * rate_per_ms);
    m_last_ms = now_ms;
    m_available -= amount; // may go negative: later callers wait longer
    return m_available >= 0 ? 0 : -m_available / rate_per_ms;
}

} // namespace orch::util
