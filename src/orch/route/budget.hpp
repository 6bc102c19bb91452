#pragma once
// A per-run spending cap shared by every request of a run (SPEC §5 "Budgets: per run").
// Thread-safe. A call reserves its worst-case estimate before it starts and settles to what
// it really cost when it ends, so concurrent requests cannot overshoot the cap together.
#include <mutex>

namespace orch::route {

class RunBudget {
  public:
    explicit RunBudget(double cap_usd) : m_cap(cap_usd) {}
    RunBudget(const RunBudget&) = delete;
    RunBudget& operator=(const RunBudget&) = delete;

    // Reserves `usd` when spent + reserved + usd stays within the cap; false (and nothing
    // reserved) otherwise.
    bool reserve(double usd);
    // Releases a reservation and records what the call actually cost (0 for a failed call).
    void settle(double reserved_usd, double actual_usd);
    // Records spending that was not reserved (e.g. judge calls made by the caller).
    void add(double usd);

    double cap() const { return m_cap; }
    double spent() const;
    double remaining() const; // cap - spent - reserved, never below 0
    bool exhausted() const { return remaining() <= 0; }

  private:
    mutable std::mutex m_mutex;
    double m_cap;
    double m_spent = 0;
    double m_reserved = 0;
};

} // namespace orch::route
