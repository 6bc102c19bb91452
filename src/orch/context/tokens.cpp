#include <orch/context/tokens.hpp>

#include <cmath>

namespace orch::context {

double Calibration::factor() const {
    return estimated > 0 && reported > 0 ? static_cast<double>(reported) / static_cast<double>(estimated) : 1.0;
}

void TokenCounter::load(const std::vector<Calibration>& stored) {
    std::lock_guard lock(m_mutex);
    for (const auto& c : stored) {
        m_total[c.model] = c;
    }
}

double TokenCounter::factor(const std::string& model) const {
    std::lock_guard lock(m_mutex);
    auto it = m_total.find(model);
    return it == m_total.end() ? 1.0 : it->second.factor();
}

RoughCount rough_count(const std::vector<Message>& messages) {
    RoughCount n;
    for (const auto& m : messages) {
        n.framing += k_framing_tokens * static_cast<std::int64_t>(1 + m.tool_calls.size());
    }
    n.text = estimate_tokens(messages) - n.framing;
    return n;
}

std::int64_t TokenCounter::estimate(const std::string& model, const std::vector<Message>& messages) const {
    RoughCount n = rough_count(messages);
    return n.framing + static_cast<std::int64_t>(std::ceil(static_cast<double>(n.text) * factor(model)));
}

void TokenCounter::observe(const std::string& model, const std::vector<Message>& messages, std::int64_t reported) {
    RoughCount n = rough_count(messages);
    std::int64_t rough = n.text;
    reported -= n.framing;
    if (model.empty() || rough <= 0 || reported <= 0) {
        return;
    }
    std::lock_guard lock(m_mutex);
    for (auto* m : {&m_total, &m_new}) {
        Calibration& c = (*m)[model];
        c.model = model;
        c.estimated += rough;
        c.reported += reported;
        c.calls += 1;
    }
}

std::vector<Calibration> TokenCounter::take_observed() {
    std::lock_guard lock(m_mutex);
    std::vector<Calibration> out;
    for (auto& [name, c] : m_new) {
        out.push_back(c);
    }
    m_new.clear();
    return out;
}

} // namespace orch::context
