#pragma once
// One background thread that runs callbacks at a given time: timers for simulated latency
// and retry backoff, without a thread per waiting request.
#include <chrono>
#include <condition_variable>
#include <functional>
#include <mutex>
#include <queue>
#include <thread>
#include <vector>

namespace orch::util {

class Scheduler {
  public:
    Scheduler();
    ~Scheduler(); // runs nothing more; pending callbacks are dropped
    Scheduler(const Scheduler&) = delete;
    Scheduler& operator=(const Scheduler&) = delete;

    // Runs fn on the scheduler thread after delay_ms (0 = as soon as possible).
    void after(double delay_ms, std::function<void()> fn);

  private:
    using Clock = std::chrono::steady_clock;
    struct Item {
        Clock::time_point due;
        std::uint64_t order;
        std::function<void()> fn;
        bool operator>(const Item& o) const {
            return due != o.due ? due > o.due : order > o.order;
        }
    };
    void loop();

    std::mutex m_mutex;
    std::condition_variable m_cv;
    std::priority_queue<Item, std::vector<Item>, std::greater<>> m_items;
    std::uint64_t m_next_order = 0;
    bool m_stop = false;
    std::thread m_thread;
};

} // namespace orch::util
