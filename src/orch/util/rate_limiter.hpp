#pragma once
// A per-minute rate limit (requests or tokens) as a reservation schedule: reserve() says
// how long to wait before the reserved amount may be used. Thread-safe.
#include <mutex>

namespace orch::util {

class RateLimiter {
  public:
    // per_minute <= 0 means unlimited.
    explicit RateLimiter(double per_minute) : m_per_minute(per_minute) {}
    // Reserves `amount` now and returns the wait in milliseconds before using it.
    double reserve(double amount, double now_ms);

  private:
    std::mutex m_mutex;
    double m_per_minute;
    double m_available = -1; // tokens in the bucket; -1 until first use (starts full)
    double m_last_ms = 0;
};

} // namespace orch::util
