#include <orch/route/bandit.hpp>

namespace orch::route {

void BanditBook::load(const std::vector<store::BanditArm>& arms) {
    std::lock_guard lock(m_mutex);
    for (const auto& a : arms) {
        m_arms[{a.policy, a.rule, a.task_type}][a.model] = a;
    }
}

void BanditBook::observe(const store::BanditArm& o) {
    std::lock_guard lock(m_mutex);
    auto& arm = m_arms[{o.policy, o.rule, o.task_type}][o.model];
    arm.policy = o.policy;
    arm.rule = o.rule;
    arm.task_type = o.task_type;
    arm.model = o.model;
    arm.n += o.n;
    arm.reward_sum += o.reward_sum;
    arm.cost_sum += o.cost_sum;
    m_pending.push_back(o);
}

std::vector<store::BanditArm> BanditBook::take_pending() {
    std::lock_guard lock(m_mutex);
    return std::exchange(m_pending, {});
}

std::vector<store::BanditArm> BanditBook::arms(const std::string& policy, const std::string& rule,
                                               const std::string& task_type) const {
    std::lock_guard lock(m_mutex);
    std::vector<store::BanditArm> out;
    auto it = m_arms.find({policy, rule, task_type});
    if (it != m_arms.end()) {
        for (const auto& [model, arm] : it->second) {
            out.push_back(arm);
        }
    }
    return out;
}

BanditSource BanditBook::source() {
    return [this](const std::string& policy, const std::string& rule, const std::string& type) {
        return arms(policy, rule, type);
    };
}

std::optional<store::BanditArm> bandit_observation(const store::RouteLogEntry& e, double reward) {
    if (!e.online || e.model.empty() || e.chain.empty() || !e.chain.is_array()) {
        return std::nullopt;
    }
    const auto& first = e.chain.front();
    if (!first.is_object() || first.value("model", "") != e.model) {
        return std::nullopt; // a fallback answered: the chosen model earned nothing to learn from
    }
    return store::BanditArm{e.policy, e.rule, e.task_type, e.model, 1, reward, e.cost_usd};
}

} // namespace orch::route
