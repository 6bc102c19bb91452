#include <orch/route/budget.hpp>

#include <algorithm>

namespace orch::route {

bool RunBudget::reserve(double usd) {
    std::lock_guard lock(m_mutex);
    if (m_spent + m_reserved + usd > m_cap) {
        return false;
    }
    m_reserved += usd;
    return true;
}

void RunBudget::settle(double reserved_usd, double actual_usd) {
    std::lock_guard lock(m_mutex);
    m_reserved = std::max(0.0, m_reserved - reserved_usd);
    m_spent += actual_usd;
}

void RunBudget::add(double usd) {
    std::lock_guard lock(m_mutex);
    m_spent += usd;
}

double RunBudget::spent() const {
    std::lock_guard lock(m_mutex);
    return m_spent;
}

double RunBudget::remaining() const {
    std::lock_guard lock(m_mutex);
    return std::max(0.0, m_cap - m_spent - m_reserved);
}

} // namespace orch::route
