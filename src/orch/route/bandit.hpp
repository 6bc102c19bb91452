#pragma once
// What `bandit` rules have learned, held in memory for a process: the sums per policy, rule,
// task type and model, read from the store when the process starts and added to as rewards
// arrive (an evaluator's score in a bench run, `orch feedback` on a routed request). The
// observations not yet written are taken in batches, so the store gets them with the results
// they came from.
#include <orch/route/policy_engine.hpp>
#include <orch/store/store.hpp>

#include <map>
#include <mutex>
#include <string>
#include <tuple>
#include <vector>

namespace orch::route {

class BanditBook {
  public:
    void load(const std::vector<store::BanditArm>& arms);
    // Adds an observation (bandit_observation's) to the sums, and to what is to be written.
    void observe(const store::BanditArm& observation);
    std::vector<store::BanditArm> take_pending();
    // Reads this book (thread-safe); it must outlive the source.
    BanditSource source();
    std::vector<store::BanditArm> arms(const std::string& policy, const std::string& rule,
                                       const std::string& task_type) const;

  private:
    using Key = std::tuple<std::string, std::string, std::string>; // policy, rule, task type
    mutable std::mutex m_mutex;
    std::map<Key, std::map<std::string, store::BanditArm>> m_arms;
    std::vector<store::BanditArm> m_pending;
};

// The observation a routed request's reward makes, or nothing when the rule does not learn or
// the answer came from a fallback rather than the model the rule chose.
std::optional<store::BanditArm> bandit_observation(const store::RouteLogEntry& entry,
                                                   double reward);

} // namespace orch::route
