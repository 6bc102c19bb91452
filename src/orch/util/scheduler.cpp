#include <orch/util/scheduler.hpp>

namespace orch::util {

Scheduler::Scheduler() : m_thread([this] { loop(); }) {}

Scheduler::~Scheduler() {
    {
        std::lock_guard lock(m_mutex);
        m_stop = true;
    }
    m_cv.notify_all();
    m_thread.join();
}

void Scheduler::after(double delay_ms, std::function<void()> fn) {
    auto due = Clock::now() + std::chrono::microseconds(static_cast<long long>(delay_ms * 1000));
    {
        std::lock_guard lock(m_mutex);
        m_items.push(Item{due, m_next_order++, std::move(fn)});
    }
    m_cv.notify_one();
}

void Scheduler::loop() {
    std::unique_lock lock(m_mutex);
    while (!m_stop) {
        if (m_items.empty()) {
            m_cv.wait(lock);
            continue;
        }
        auto due = m_items.top().due;
        if (Clock::now() < due) {
            m_cv.wait_until(lock, due);
            continue;
        }
        auto fn = std::move(const_cast<Item&>(m_items.top()).fn);
        m_items.pop();
        lock.unlock();
        fn();
        lock.lock();
    }
}

} // namespace orch::util
