#pragma once
// Internal to provider/: the state every stream decoder keeps (text so far, usage, whether the
// protocol's end marker came) and the reply it makes of it.
#include <orch/provider/protocol.hpp>

#include <nlohmann/json.hpp>
#include <string>

namespace orch::provider {

// Marks a reply usable when it has text, tool calls or is a refusal, else an "empty answer"
// error; an error already recorded stays. Returns the reply.
Reply settle(Reply r);

// Tool calls assembled from stream deltas, by the index the protocol gives each one: OpenAI's
// tool_calls[].index, Anthropic's content block index.
class ToolCallAssembly {
  public:
    // Starts (or names) the call at `index`.
    void begin(std::int64_t index, const std::string& id, const std::string& name);
    // Appends a piece of the call's arguments (JSON text, split anywhere).
    void append(std::int64_t index, const std::string& arguments_piece);
    bool empty() const { return m_calls.empty(); }
    // The calls in index order; a call whose arguments never came reads as "{}".
    std::vector<ToolCall> calls() const;

  private:
    std::vector<std::pair<std::int64_t, ToolCall>> m_calls;
    ToolCall& at(std::int64_t index);
};

class StreamState : public StreamDecoder {
  public:
    bool complete() const override { return m_done; }
    bool has_text() const override { return !m_text.empty() || !m_tools.empty(); }
    Reply reply() const override;

  protected:
    // Records an error event's payload ({"message", "code" or "type"}): the first one wins.
    void on_error_payload(const nlohmann::json& error);
    // `terminator` names the end-of-stream marker in the error when it never came.
    explicit StreamState(std::string terminator) : m_terminator(std::move(terminator)) {}

    std::string m_text;
    ToolCallAssembly m_tools;
    std::optional<Usage> m_usage;
    std::string m_error;
    std::string m_error_code; // see Reply::error_code
    bool m_done = false;
    bool m_refused = false;

  private:
    std::string m_terminator;
};

} // namespace orch::provider
