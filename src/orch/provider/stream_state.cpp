#include <orch/provider/stream_state.hpp>

namespace orch::provider {

Reply settle(Reply r) {
    if (!r.error.empty()) {
        r.ok = false;
    } else if (r.text.empty() && !r.refused) {
        r.error = "empty answer";
    } else {
        r.ok = true;
    }
    return r;
}

Reply StreamState::reply() const {
    Reply r;
    r.text = m_text;
    r.usage = m_usage;
    r.refused = m_refused;
    r.error = !m_error.empty() ? m_error
              : !m_done        ? "the stream ended without its " + m_terminator + " terminator"
                               : "";
    return settle(std::move(r));
}

} // namespace orch::provider
