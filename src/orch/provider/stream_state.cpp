#include <orch/provider/stream_state.hpp>

#include <algorithm>

namespace orch::provider {

Reply settle(Reply r) {
    if (!r.error.empty()) {
        r.ok = false;
    } else if (r.text.empty() && r.tool_calls.empty() && !r.refused) {
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

ToolCall& ToolCallAssembly::at(std::int64_t index) {
    for (auto& [i, call] : m_calls) {
        if (i == index) {
            return call;
        }
    }
    m_calls.emplace_back(index, ToolCall{});
    return m_calls.back().second;
}

void ToolCallAssembly::begin(std::int64_t index, const std::string& id, const std::string& name) {
    ToolCall& call = at(index);
    if (!id.empty()) {
        call.id = id;
    }
    if (!name.empty()) {
        call.name = name;
    }
}

void ToolCallAssembly::append(std::int64_t index, const std::string& arguments_piece) {
    at(index).arguments += arguments_piece;
}

std::vector<ToolCall> ToolCallAssembly::calls() const {
    auto sorted = m_calls;
    std::stable_sort(sorted.begin(), sorted.end(), [](const auto& a, const auto& b) { return a.first < b.first; });
    std::vector<ToolCall> out;
    for (auto& [index, call] : sorted) {
        out.push_back(call);
        if (out.back().arguments.empty()) {
            out.back().arguments = "{}";
        }
    }
    return out;
}

Reply StreamState::reply() const {
    Reply r;
    r.error_code = m_error_code;
    r.text = m_text;
    r.tool_calls = m_tools.calls();
    r.usage = m_usage;
    r.refused = m_refused;
    r.cut = !m_done && m_error.empty();
    r.error = !m_error.empty() ? m_error
              : !m_done        ? "the stream ended without its " + m_terminator + " terminator"
                               : "";
    return settle(std::move(r));
}

} // namespace orch::provider
