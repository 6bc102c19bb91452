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

void StreamState::on_error_payload(const nlohmann::json& error) {
    if (!m_error_code.empty()) {
        return; // the first coded error is the cause; later ones follow from it
    }
    m_error_code = error_code_of(error);
    std::string message;
    if (error.is_object() && error.contains("message") && error["message"].is_string()) {
        message = error["message"].get<std::string>();
    }
    if (message.empty()) {
        message = "stream error";
    }
    m_error = m_error_code.empty() ? message : message + " (" + m_error_code + ")";
}

Reply StreamState::reply() const {
    Reply r;
    r.error_code = m_error_code;
    r.text = m_text;
    r.usage = m_usage;
    r.refused = m_refused;
    r.cut = !m_done && m_error.empty();
    r.error = !m_error.empty() ? m_error
              : !m_done        ? "the stream ended without its " + m_terminator + " terminator"
                               : "";
    return settle(std::move(r));
}

} // namespace orch::provider
