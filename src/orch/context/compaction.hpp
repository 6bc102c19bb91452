#pragma once
// What compaction is made of, apart from the calls: the transcript a compactor reads, the
// request it is sent, the guards a summary must pass before it replaces what it summarises, and
// the facts a text still holds. bench/conversation.cpp runs the calls.
#include <orch/core/types.hpp>

#include <string>
#include <vector>

namespace orch::context {

// The words a text relies on: any word with a digit (INV-2231, 2026-03-04, $4,200.50) and any
// capitalised word of two letters or more inside a sentence (a name), stripped of the punctuation around it, once each.
std::vector<std::string> identifiers(const std::string& text);

// Messages as one transcript, a line per message ("user: …", "tool: …").
std::string transcript(const std::vector<Message>& messages);

// The compaction call's messages: its instructions, then the summary so far (when there is one)
// and the messages to fold into it.
std::vector<Message> compaction_request(const std::string& prompt, const std::string& summary,
                                        const std::vector<Message>& fold);
// The text a compaction replaces (the summary so far and the folded messages), as the guards
// compare it with the new summary.
std::string replaced_text(const std::string& summary, const std::vector<Message>& fold);

// Why `summary` must not replace `replaced`, or "" when it may: it is empty, it is not shorter
// than what it replaces, or it keeps none of the identifiers of a text that had some.
std::string reject_reason(const std::string& replaced, const std::string& summary);

// The facts that occur in `text` (case and spacing aside).
std::vector<std::string> facts_in(const std::vector<std::string>& facts, const std::string& text);

// A message of a recorded thread as the answering model is sent it: a tool result without the
// call it answers becomes a user message ("Tool result: …"), as the wire formats require.
Message as_context(const Message& m);

// The marker a summary is sent under, and the notes that tell the model what it is missing.
std::string summary_message(const std::string& summary);
std::string truncation_note(std::size_t messages_cut);
std::string memory_unavailable_note(const std::string& why);

} // namespace orch::context
