#include <orch/sim/answer_key.hpp>
#include <orch/config/agent.hpp>
#include <orch/util/hash.hpp>

#include <algorithm>

namespace orch::sim {

std::uint64_t messages_hash(const std::vector<Message>& messages) {
    std::string text;
    for (const auto& m : messages) {
        text += m.role;
        text += '\n';
        text += m.content;
        for (const auto& c : m.tool_calls) {
            text += '\x1f' + c.id + '\x1f' + c.name + '\x1f' + c.arguments;
        }
        if (!m.tool_call_id.empty()) {
            text += '\x1f' + m.tool_call_id + (m.is_error ? "\x1f!" : "");
        }
        text += '\x1e';
    }
    return util::hash64(text);
}

AnswerKey::AnswerKey(const std::vector<config::Suite>& suites) {
    for (const auto& suite : suites) {
        config::DatasetReader reader(suite);
        config::Problems ignored;
        config::Task task;
        while (reader.next(task, ignored)) {
            SimHint hint{task.type, task.reference, task.choices, task.difficulty, {}};
            if (task.agent) {
                hint.agent = {{"calls", task.trajectory.is_null() ? nlohmann::json::array() : task.trajectory}};
            }
            m_hints.emplace(messages_hash(task.messages), std::move(hint));
        }
    }
}

AnswerKey AnswerKey::from_paths(const std::vector<std::string>& paths) {
    std::vector<config::Suite> suites;
    for (const auto& path : paths) {
        for (const auto& file : config::suite_files(path)) {
            suites.push_back(config::load_suite(file));
        }
    }
    return AnswerKey(suites);
}

std::optional<SimHint> AnswerKey::find(const std::vector<Message>& messages) const {
    auto it = m_hints.find(messages_hash(messages));
    if (it == m_hints.end()) {
        // An agent's later turn: the row is known by the messages before the first answer.
        auto first = std::find_if(messages.begin(), messages.end(),
                                  [](const Message& m) { return m.role == "assistant" || m.role == "tool"; });
        if (first == messages.end() || first == messages.begin()) {
            return std::nullopt;
        }
        it = m_hints.find(messages_hash(std::vector<Message>(messages.begin(), first)));
        if (it == m_hints.end() || it->second.agent.is_null()) {
            return std::nullopt;
        }
    }
    return it->second;
}

} // namespace orch::sim
