#include <orch/provider/stream_state.hpp>

namespace orch::provider {

Reply StreamState::reply() const {
    Reply r;
    r.text = m_text;
    r.usage = m_usage;
    r.refused = m_refused;
    if (!m_error.empty()) {
        r.error = m_error;
    } else if (!m_done) {
        r.error = "the stream ended without its " + m_terminator + " terminator";
    } else if (m_text.empty() && !m_refused) {
        r.error = "empty answer";
    } else {
        r.ok = true;
    }
    return r;
}

} // namespace orch::provider
