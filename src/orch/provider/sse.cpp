#include <orch/provider/sse.hpp>

namespace orch::provider {

std::vector<SseEvent> SseParser::feed(std::string_view chunk) {
    std::vector<SseEvent> out;
    for (char c : chunk) {
        if (c == '\n' && m_last_was_cr) {
            m_last_was_cr = false; // the \n of a \r\n pair
            continue;
        }
        m_last_was_cr = c == '\r';
        if (c == '\n' || c == '\r') {
            take_line(out);
        } else {
            m_line += c;
        }
    }
    return out;
}

void SseParser::take_line(std::vector<SseEvent>& out) {
    std::string_view line = m_line;
    if (line.empty()) {
        if (m_has_fields) {
            out.push_back(std::move(m_current));
        }
        m_current = SseEvent{};
        m_has_fields = false;
        return;
    }
    if (line[0] != ':') { // a line starting with ':' is a comment (keep-alive)
        size_t colon = line.find(':');
        std::string_view field = line.substr(0, colon);
        std::string_view value;
        if (colon != std::string_view::npos) {
            value = line.substr(colon + 1);
            if (!value.empty() && value[0] == ' ') {
                value.remove_prefix(1);
            }
        }
        if (field == "data") {
            if (m_has_fields && !m_current.data.empty()) {
                m_current.data += '\n';
            }
            m_current.data += value;
            m_has_fields = true;
        } else if (field == "event") {
            m_current.event = value;
            m_has_fields = true;
        }
    }
    m_line.clear();
}

} // namespace orch::provider
