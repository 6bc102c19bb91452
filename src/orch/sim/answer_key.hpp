#pragma once
// The answer key of the simulated server: which golden row a chat request's messages came
// from, so the fleet can play a model that "knows" the task while the wire request stays an
// ordinary chat request (SPEC §6).
#include <orch/config/suite.hpp>
#include <orch/core/types.hpp>

#include <cstdint>
#include <optional>
#include <string>
#include <unordered_map>
#include <vector>

namespace orch::sim {

// The identity of a conversation: for each message role + '\n' + content + '\x1e', hashed
// with util::hash64. Clients and the server compute it the same way from the same messages.
std::uint64_t messages_hash(const std::vector<Message>& messages);

class AnswerKey {
  public:
    AnswerKey() = default;
    // Reads every row of every suite (rows with problems are skipped: `orch tasks validate`
    // is the place that reports them). The first row wins when two render the same messages.
    explicit AnswerKey(const std::vector<config::Suite>& suites);
    // Loads the suites named by files or folders (every *.toml inside); throws
    // orch::Error(config) when a suite file is missing or invalid.
    static AnswerKey from_paths(const std::vector<std::string>& paths);

    // The hint for a golden row whose rendered messages are exactly these; nullopt otherwise.
    std::optional<SimHint> find(const std::vector<Message>& messages) const;
    std::size_t size() const { return m_hints.size(); }

  private:
    std::unordered_map<std::uint64_t, SimHint> m_hints;
};

} // namespace orch::sim
