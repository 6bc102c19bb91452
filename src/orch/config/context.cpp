#include <orch/config/context.hpp>
#include <orch/config/toml_reader.hpp>

#include <cmath>
#include <fmt/format.h>

namespace orch::config {

const char* const k_default_compact_prompt =
    "You compact the earlier part of a long conversation so that work can go on without it. "
    "Write a brief summary that keeps, word for word: every decision made and why, every constraint "
    "and preference stated, every identifier (order, ticket, invoice and account numbers), every name, "
    "date and amount, every task still pending, and every failure or error and how it was handled. "
    "Leave out greetings, repetition and anything already superseded. Write only the summary.";

std::int64_t ContextSpec::threshold(std::int64_t window) const {
    if (compact_at <= 1) {
        return static_cast<std::int64_t>(std::floor(compact_at * static_cast<double>(window)));
    }
    return static_cast<std::int64_t>(compact_at);
}

std::shared_ptr<const ContextSpec> read_context(TableReader& suite_reader, const std::string& file,
                                                Problems& problems) {
    const toml::table* t = suite_reader.table("context");
    if (t == nullptr) {
        return nullptr;
    }
    TableReader r(*t, file, "context", problems);
    auto spec = std::make_shared<ContextSpec>();
    spec->where = r.where();
    if (auto v = r.number("compact_at")) {
        if (!(*v > 0)) {
            problems.add(r.where("compact_at"), "context.compact_at",
                         "expected a fraction of the context window (0 < x <= 1) or a number of tokens (> 1)");
        } else if (*v > 1 && std::floor(*v) != *v) {
            problems.add(r.where("compact_at"), "context.compact_at",
                         "a number of tokens must be whole (a fraction of the window is at most 1)");
        }
        spec->compact_at = *v;
    }
    if (auto v = r.integer("keep_recent")) {
        if (*v < 0) {
            problems.add(r.where("keep_recent"), "context.keep_recent", "expected a count of messages, 0 or more");
        }
        spec->keep_recent = *v;
    }
    spec->strategy = r.one_of("strategy", {"compact", "truncate"}).value_or("compact");
    spec->on_context_length = r.one_of("on_context_length", {"fallback", "compact"}).value_or("fallback");
    if (auto p = r.string("prompt")) {
        if (p->empty()) {
            problems.add(r.where("prompt"), "context.prompt", "expected the compaction's instructions, not an empty string");
        }
        spec->prompt = *p;
    }
    spec->history = r.string("history").value_or("history");
    spec->session = r.string("session").value_or("session");
    spec->facts = r.string("facts").value_or("facts");
    spec->needs = r.string("needs").value_or("needs");
    r.finish("compact_at, keep_recent, strategy, on_context_length, prompt, history, session, facts, needs");
    return spec;
}

namespace {

void read_facts(const nlohmann::json& row, const std::string& field, const Location& where,
                std::vector<std::string>& out, Problems& problems) {
    if (!row.contains(field)) {
        return;
    }
    const auto& f = row[field];
    bool ok = f.is_array();
    for (const auto& x : ok ? f : nlohmann::json::array()) {
        if (!x.is_string() || x.get<std::string>().empty()) {
            ok = false;
            break;
        }
        out.push_back(x.get<std::string>());
    }
    if (!ok) {
        problems.add(where, field, "expected a list of facts, each a non-empty string");
    }
}

} // namespace

bool read_conversation(const nlohmann::json& row, const ContextSpec& spec, const Location& where, Conversation& out,
                       Problems& problems) {
    auto& history = out.history;
    std::size_t before = problems.size();
    if (!row.contains(spec.history)) {
        problems.add(where, spec.history,
                     fmt::format("a conversation row needs its earlier messages in \"{}\" (a list of "
                                 "{{\"role\": …, \"content\": …}}), as [context] history names",
                                 spec.history));
    } else if (!row[spec.history].is_array()) {
        problems.add(where, spec.history, "expected a list of messages {\"role\": …, \"content\": …}");
    } else {
        const auto& list = row[spec.history];
        for (std::size_t i = 0; i < list.size(); ++i) {
            const auto& m = list[i];
            std::string key = fmt::format("{}[{}]", spec.history, i);
            if (!m.is_object() || !m.contains("role") || !m["role"].is_string() || !m.contains("content") ||
                !m["content"].is_string()) {
                problems.add(where, key, "expected a message {\"role\": …, \"content\": \"…\"}");
                continue;
            }
            std::string role = m["role"].get<std::string>();
            if (role != "user" && role != "assistant" && role != "tool" && role != "system") {
                problems.add(where, key + ".role",
                             fmt::format("expected user, assistant, tool or system, got \"{}\"", role));
                continue;
            }
            history.push_back(Message{role, m["content"].get<std::string>()});
        }
    }
    if (row.contains(spec.session)) {
        if (row[spec.session].is_string() && !row[spec.session].get<std::string>().empty()) {
            out.session = row[spec.session].get<std::string>();
        } else if (!row[spec.session].is_null()) {
            problems.add(where, spec.session, "expected the session's key, a non-empty string");
        }
    }
    read_facts(row, spec.facts, where, out.facts, problems);
    read_facts(row, spec.needs, where, out.needs, problems);
    return problems.size() == before;
}

} // namespace orch::config
