#pragma once
// A conversation suite's [context]: when the context of a long thread is compacted before the
// answer, how, and what a compaction must keep; and the dataset fields it reads (the earlier
// messages, the session, the facts). The compaction itself runs in bench/conversation.cpp.
#include <orch/config/problems.hpp>
#include <orch/core/types.hpp>

#include <cstdint>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <vector>

namespace orch::config {

class TableReader;

// What a compaction is asked to keep when the suite gives no prompt of its own.
extern const char* const k_default_compact_prompt;

struct ContextSpec {
    // Compact when the context passes this: a fraction (0 < x <= 1) of the answering model's
    // context window, or a number of tokens (x > 1).
    double compact_at = 0.75;
    std::int64_t keep_recent = 4; // messages kept word for word after a compaction
    std::string strategy = "compact"; // compact | truncate (no compaction: the oldest turns go)
    std::string on_context_length = "fallback"; // fallback (the policy's chain) | compact (then retry)
    std::string prompt = k_default_compact_prompt;
    std::string history = "history"; // dataset field: the earlier messages
    std::string session = "session"; // dataset field: tasks sharing it share a memory
    std::string facts = "facts";     // dataset field: what every compaction must keep
    std::string needs = "needs";     // dataset field: the facts the final answer needs
    Location where;

    // The token count above which the context is compacted, for a model with this window.
    std::int64_t threshold(std::int64_t window) const;
};

// Reads `[context]` of a suite; null when it has none. Every problem goes to `problems`.
std::shared_ptr<const ContextSpec> read_context(TableReader& suite_reader, const std::string& file,
                                                Problems& problems);

// A row's conversation as a task holds it.
struct Conversation {
    std::vector<Message> history; // the earlier messages (user, assistant, tool or system)
    std::string session;          // "" when the row has none
    std::vector<std::string> facts;
    std::vector<std::string> needs;
};

// Reads a row's conversation. Returns false when it added a problem.
bool read_conversation(const nlohmann::json& row, const ContextSpec& spec, const Location& where, Conversation& out,
                       Problems& problems);

} // namespace orch::config
