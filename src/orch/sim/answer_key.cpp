#include <orch/sim/answer_key.hpp>
#include <orch/util/hash.hpp>

namespace orch::sim {

std::uint64_t messages_hash(const std::vector<Message>& messages) {
    std::string text;
    for (const auto& m : messages) {
        text += m.role;
        text += '\n';
        text += m.content;
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
        return std::nullopt;
    }
    return it->second;
}

} // namespace orch::sim
