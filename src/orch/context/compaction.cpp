#include <orch/context/compaction.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cctype>
#include <fmt/format.h>
#include <set>

namespace orch::context {

namespace {

bool is_edge_punct(char c) {
    return std::string_view(".,;:!?()[]{}\"'`*").find(c) != std::string_view::npos;
}

std::string normalise(const std::string& text) { return util::to_lower(util::collapse_whitespace(text)); }

} // namespace

std::vector<std::string> identifiers(const std::string& text) {
    std::vector<std::string> out;
    std::set<std::string> seen;
    bool sentence_start = true;
    std::size_t i = 0;
    while (i < text.size()) {
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) != 0) {
            if (text[i] == '\n') {
                sentence_start = true;
            }
            ++i;
        }
        std::size_t start = i;
        while (i < text.size() && std::isspace(static_cast<unsigned char>(text[i])) == 0) {
            ++i;
        }
        std::string word = text.substr(start, i - start);
        bool ends_sentence = !word.empty() && std::string_view(".!?:").find(word.back()) != std::string_view::npos;
        while (!word.empty() && is_edge_punct(word.back())) {
            word.pop_back();
        }
        std::size_t lead = 0;
        while (lead < word.size() && is_edge_punct(word[lead])) {
            ++lead;
        }
        word = word.substr(lead);
        bool digit = std::any_of(word.begin(), word.end(), [](char c) { return std::isdigit(static_cast<unsigned char>(c)) != 0; });
        bool name = std::isupper(static_cast<unsigned char>(word.empty() ? 'a' : word[0])) != 0 && !sentence_start;
        if ((digit || (name && word.size() > 1)) && seen.insert(word).second) {
            out.push_back(word);
        }
        bool bullet = word == "-" || word == "*";
        if (!word.empty() && !bullet) {
            sentence_start = ends_sentence; // "user:" opens a transcript line as a sentence starts
        }
    }
    return out;
}

std::string transcript(const std::vector<Message>& messages) {
    std::string out;
    for (const auto& m : messages) {
        out += m.role;
        out += ": ";
        out += m.content;
        out += '\n';
    }
    return out;
}

std::string replaced_text(const std::string& summary, const std::vector<Message>& fold) {
    std::string out;
    if (!summary.empty()) {
        out = "Summary so far:\n" + summary + "\n\n";
    }
    return out + "Conversation to fold in:\n" + transcript(fold);
}

std::vector<Message> compaction_request(const std::string& prompt, const std::string& summary,
                                        const std::vector<Message>& fold) {
    return {Message{"system", prompt}, Message{"user", replaced_text(summary, fold)}};
}

std::string reject_reason(const std::string& replaced, const std::string& summary) {
    if (util::trim(summary).empty()) {
        return "empty";
    }
    std::int64_t in = estimate_tokens(replaced);
    std::int64_t out = estimate_tokens(summary);
    if (out >= in) {
        return fmt::format("longer than its input ({} tokens for {})", out, in);
    }
    auto ids = identifiers(replaced);
    if (!ids.empty()) {
        std::string kept = normalise(summary);
        bool any = std::any_of(ids.begin(), ids.end(),
                               [&](const std::string& id) { return kept.find(normalise(id)) != std::string::npos; });
        if (!any) {
            return fmt::format("dropped every identifier of its input ({}, …)",
                               util::join(std::vector<std::string>(ids.begin(), ids.begin() + std::min<std::size_t>(3, ids.size())), ", "));
        }
    }
    return "";
}

std::vector<std::string> facts_in(const std::vector<std::string>& facts, const std::string& text) {
    std::string t = normalise(text);
    std::vector<std::string> out;
    for (const auto& f : facts) {
        if (t.find(normalise(f)) != std::string::npos) {
            out.push_back(f);
        }
    }
    return out;
}

Message as_context(const Message& m) {
    if (m.role == "tool" && m.tool_call_id.empty()) {
        return Message{"user", "Tool result: " + m.content};
    }
    return Message{m.role, m.content};
}

std::string summary_message(const std::string& summary) {
    return "Summary of the earlier conversation (compacted):\n" + summary;
}

std::string truncation_note(std::size_t messages_cut) {
    return fmt::format("Note: the {} earliest message{} of this conversation were cut to fit the context window; "
                       "say so if the answer depends on them.",
                       messages_cut, messages_cut == 1 ? "" : "s");
}

std::string memory_unavailable_note(const std::string& why) {
    return fmt::format("Note: the memory of this session's earlier conversations could not be read ({}); "
                       "anything from them is missing here.",
                       why);
}

} // namespace orch::context
