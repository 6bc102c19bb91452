#include <orch/bench/conversation.hpp>
#include <orch/context/compaction.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <limits>

namespace orch::bench {

namespace {

using nlohmann::json;

// What a call may be sent for a model: its window, less the answer's room and a margin for the
// estimate's error.
std::int64_t fit_limit(const config::ModelConfig* model, const GenParams& params) {
    if (model == nullptr) {
        return std::numeric_limits<std::int64_t>::max();
    }
    return static_cast<std::int64_t>(std::floor(0.95 * static_cast<double>(model->context_window))) -
           params.max_tokens.value_or(0);
}

// The model a policy's context_length error named, from the route's chain.
std::string overflowed_model(const store::StepRow& row) {
    std::string model = row.model;
    if (row.route.is_object()) {
        for (const auto& s : row.route.value("chain", json::array())) {
            if (s.value("error_kind", "") == "context_length") {
                model = s.value("model", model);
            }
        }
    }
    return model;
}

} // namespace

ConversationTask::ConversationTask(std::shared_ptr<const config::Task> task, const store::StepRow& identity,
                                   const std::vector<store::StepRow>* restored, ConversationEnv env)
    : m_task(std::move(task)), m_spec(*m_task->context), m_thread(*m_task->conversation), m_identity(identity),
      m_env(std::move(env)) {
    m_summary = m_env.memory.summary;
    if (restored != nullptr) {
        for (const auto& r : *restored) {
            if (r.status != "error" && r.step_id.rfind("context:", 0) == 0) {
                m_restored[r.step_id] = r;
            }
        }
    }
    plan();
}

const std::string& ConversationTask::session() const { return m_thread.session; }

// How a call is routed: a compaction as type compact, the answer as the task's type, each tagged.
config::StepTask ConversationTask::spec_for(Kind kind, const std::string& id) const {
    config::StepTask spec;
    spec.id = id;
    spec.tags = m_task->tags;
    spec.sensitive = m_task->sensitive;
    spec.threshold = 1;
    if (kind == Kind::answer) {
        spec.type = m_task->type;
        spec.params = m_task->params;
        spec.tags.push_back("context:answer");
    } else {
        spec.type = "compact";
        spec.tags.push_back(kind == Kind::memory ? "context:memory" : "context:compact");
    }
    return spec;
}

ConversationTask::Call& ConversationTask::add_call(Kind kind, const std::string& id) {
    Call& c = m_calls.emplace_back();
    c.kind = kind;
    c.row = m_identity;
    c.row.step_id = id;
    c.row.step_type = kind == Kind::answer ? m_task->type : "compact";
    c.row.threshold = 1;
    c.ready_ms = m_clock;
    c.spec = spec_for(kind, id);
    c.task.suite = m_task->suite;
    c.task.id = m_task->id;
    c.task.tags = m_task->tags;
    c.task.difficulty = m_task->difficulty;
    c.task.where = m_task->where;
    c.task.sensitive = m_task->sensitive;
    c.task.type = c.spec.type;
    c.task.tags = c.spec.tags;
    return c;
}

const config::ModelConfig* ConversationTask::model_for(const config::StepTask& spec,
                                                       const std::vector<Message>& messages) const {
    return m_env.model_for ? m_env.model_for(spec, messages) : nullptr;
}

std::int64_t ConversationTask::estimate(const config::ModelConfig* model, const std::vector<Message>& messages) const {
    if (m_env.tokens != nullptr && model != nullptr) {
        return m_env.tokens->estimate(model->name, messages);
    }
    return estimate_tokens(messages);
}

std::vector<Message> ConversationTask::answer_messages() const {
    std::vector<std::string> system;
    std::vector<Message> request;
    for (const auto& m : m_task->messages) {
        if (m.role == "system") {
            system.push_back(m.content);
        } else {
            request.push_back(m);
        }
    }
    if (!m_env.memory.unavailable.empty()) {
        system.push_back(context::memory_unavailable_note(m_env.memory.unavailable));
    }
    if (!m_summary.empty()) {
        system.push_back(context::summary_message(m_summary));
    }
    if (m_cut > 0) {
        system.push_back(context::truncation_note(m_cut));
    }
    std::vector<Message> out;
    if (!system.empty()) {
        std::string text;
        for (const auto& s : system) {
            text += (text.empty() ? "" : "\n\n") + s;
        }
        out.push_back(Message{"system", text});
    }
    out.insert(out.end(), m_context.begin(), m_context.end());
    out.insert(out.end(), request.begin(), request.end());
    return out;
}

bool ConversationTask::over_threshold() {
    std::vector<Message> messages = answer_messages();
    if (!m_answer_model) {
        // Which model answers is decided once: the context is measured for it as it grows.
        m_answer_model = model_for(spec_for(Kind::answer, "context:answer"), messages);
    }
    return estimate(*m_answer_model, messages) > threshold(*m_answer_model);
}

std::int64_t ConversationTask::threshold(const config::ModelConfig* model) const {
    return m_spec.threshold(model != nullptr ? model->context_window : config::ModelConfig{}.context_window);
}

void ConversationTask::plan() {
    if (m_failed || m_answered) {
        return;
    }
    while (m_next < m_thread.history.size()) {
        m_context.push_back(context::as_context(m_thread.history[m_next++]));
        auto keep = static_cast<std::size_t>(m_spec.keep_recent);
        if (m_env.strategy == "compact" && m_context.size() > keep && m_context.size() >= m_retry_at &&
            over_threshold()) {
            add_compaction(Kind::compact, false);
            return;
        }
    }
    add_answer();
}

void ConversationTask::add_compaction(Kind kind, bool forced) {
    auto keep = static_cast<std::size_t>(m_spec.keep_recent);
    std::vector<Message> fold;
    if (kind == Kind::memory) {
        fold = m_context;
        for (const auto& m : m_task->messages) {
            if (m.role != "system") {
                fold.push_back(m);
            }
        }
        fold.push_back(Message{"assistant", m_answer.value_or("")});
    } else {
        std::size_t n = m_context.size() > keep ? m_context.size() - keep : (forced ? m_context.size() : 0);
        fold.assign(m_context.begin(), m_context.begin() + static_cast<long>(n));
    }
    if (fold.empty()) {
        add_answer(); // nothing to fold: the answer's context is cut instead
        return;
    }
    std::size_t index = m_calls.size();
    std::string id = kind == Kind::memory ? "context:memory" : fmt::format("context:compact{}", ++m_compactions);
    Call& c = add_call(kind, id);
    c.messages = context::compaction_request(m_spec.prompt, m_summary, fold);
    const config::ModelConfig* model = model_for(c.spec, c.messages);
    // The compactor's own window: fold fewer messages (the rest stay in the context).
    while (fold.size() > 1 && estimate(model, c.messages) > fit_limit(model, c.spec.params)) {
        fold.pop_back();
        c.messages = context::compaction_request(m_spec.prompt, m_summary, fold);
    }
    c.folded = kind == Kind::memory ? 0 : fold.size();
    c.replaced = context::replaced_text(m_summary, fold);
    c.facts = context::facts_in(m_thread.facts, c.replaced);
    if (!c.facts.empty()) {
        config::EvaluatorSpec e;
        e.kind = "must_preserve";
        e.params = {{"facts", c.facts}};
        e.where = m_spec.where;
        e.key = "context.facts";
        c.task.evaluators.push_back(std::move(e));
        c.task.threshold = 1;
    }
    c.estimated = estimate(model, c.messages);
    c.estimated_for = model != nullptr ? model->name : "";
    replay(index);
}

void ConversationTask::add_answer() {
    std::size_t index = m_calls.size();
    Call& c = add_call(Kind::answer, m_overflowed ? "context:answer2" : "context:answer");
    c.spec.model = m_pinned;
    c.spec.compact_on_overflow = m_env.compact_on_overflow && !m_overflowed;
    c.messages = answer_messages();
    const config::ModelConfig* model = model_for(c.spec, c.messages);
    std::int64_t limit = fit_limit(model, c.spec.params);
    if (m_env.strategy == "truncate") {
        limit = std::min(limit, threshold(model));
    }
    if (m_cap > 0) {
        limit = std::min(limit, m_cap);
    }
    // The last resort: the oldest messages go, and the request says so.
    while (!m_context.empty() && estimate(model, c.messages) > limit) {
        m_context.erase(m_context.begin());
        ++m_cut;
        c.messages = answer_messages();
    }
    c.estimated = estimate(model, c.messages);
    c.estimated_for = model != nullptr ? model->name : "";
    m_answer_messages = c.messages;
    replay(index);
}

// A call a resumed run recorded is not made again: its row stands for it.
void ConversationTask::replay(std::size_t index) {
    Call& c = m_calls[index];
    auto it = m_restored.find(c.row.step_id);
    if (it == m_restored.end()) {
        return;
    }
    c.row = it->second;
    c.queued = true;
    c.emitted = true;
    m_clock = c.row.end_ms;
    settle(index, true, "");
}

std::vector<std::size_t> ConversationTask::take_ready(double now_ms) {
    if (m_calls.empty() || m_calls.back().queued || m_calls.back().finished) {
        return {};
    }
    Call& c = m_calls.back();
    c.queued = true;
    c.queued_ms = now_ms;
    c.ready_ms = m_clock;
    return {m_calls.size() - 1};
}

Request ConversationTask::request(std::size_t step, const std::string& key, std::uint64_t seed) {
    Call& c = m_calls[step];
    Request r;
    r.messages = c.messages;
    r.params = c.spec.params;
    r.task_type = c.spec.type;
    r.key = key;
    r.seed = seed;
    const config::Task& t = *m_task;
    if (c.kind == Kind::answer) {
        r.sim_hint = SimHint{t.type, t.reference, t.choices, t.difficulty, m_thread.needs};
        r.sim_hint->needs_every_input = true;
    } else {
        r.sim_hint = SimHint{"compact", nullptr, json::array(), t.difficulty, {}};
    }
    c.task.messages = c.messages;
    return r;
}

void ConversationTask::started(std::size_t step, double now_ms) {
    Call& c = m_calls[step];
    c.row.start_ms = c.ready_ms + std::max(0.0, now_ms - c.queued_ms);
}

void ConversationTask::answered(std::size_t step, const provider::Outcome& outcome,
                                const std::optional<route::RouteResult>& route, const std::string& policy) {
    Call& c = m_calls[step];
    record_call(c.row, outcome, route, policy);
    m_clock = c.row.end_ms;
    if (outcome) {
        const Completion& done = outcome.value();
        c.simulated = done.simulated;
        c.row.output = done.text;
        c.row.status = "answered";
        // What the provider counted refines the model's estimate (a cascade's sum would not).
        bool one_call = !route || route->chain.size() == 1;
        if (m_env.tokens != nullptr && one_call && !done.usage.estimated && !done.cached && !done.recorded_score) {
            m_env.tokens->observe(c.row.model, c.messages, done.usage.input_tokens);
        }
    }
    settle(step, outcome.has_value(), outcome ? "" : to_string(outcome.error().kind));
}

void ConversationTask::settle(std::size_t step, bool ok, const std::string& error_kind) {
    Call& c = m_calls[step];
    c.finished = true;
    if (c.kind == Kind::answer) {
        if (!ok && error_kind == "context_length" && c.spec.compact_on_overflow) {
            // Compact what there is and try the same model again, with less if that fails.
            m_overflowed = true;
            m_pinned = overflowed_model(c.row);
            m_cap = std::max<std::int64_t>(1, c.estimated * 3 / 4);
            add_compaction(Kind::compact, true);
            return;
        }
        if (!ok) {
            m_failed = true;
            return;
        }
        m_answered = true;
        m_answer = c.row.output;
        if (!m_thread.session.empty() && m_env.strategy == "compact") {
            add_compaction(Kind::memory, false);
        }
        return;
    }
    if (c.emitted) {
        // Replayed: its verdict is on its row.
        bool accepted = false;
        for (const auto& e : c.row.evaluations) {
            if (e.value("kind", "") == "guard") {
                accepted = e.value("accepted", false);
                c.rejected = e.value("reason", "");
            }
        }
        if (!accepted && c.rejected.empty()) {
            c.rejected = "not recorded";
        }
    } else {
        c.rejected = ok ? context::reject_reason(c.replaced, c.row.output)
                        : fmt::format("error: {}: {}", c.row.error_kind, c.row.error);
        c.row.evaluations = json::array({json{{"kind", "guard"}, {"accepted", c.rejected.empty()}, {"reason", c.rejected}}});
        if (ok && !c.task.evaluators.empty()) {
            c.to_score = true; // its row is complete once its facts are scored
            c.finished = false;
        }
    }
    if (c.rejected.empty()) {
        m_summary = c.row.output;
        m_summary_changed = true;
        m_context.erase(m_context.begin(), m_context.begin() + static_cast<long>(c.folded)); // none for memory
    } else if (c.kind == Kind::compact) {
        // Not again until the context has doubled: a compactor that fails is not asked every turn.
        m_retry_at = 2 * m_context.size();
    }
    if (c.kind == Kind::compact) {
        plan();
    }
}

std::vector<std::size_t> ConversationTask::take_to_score() {
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < m_calls.size(); ++i) {
        if (m_calls[i].to_score) {
            m_calls[i].to_score = false;
            out.push_back(i);
        }
    }
    return out;
}

StepAnswer ConversationTask::step_answer(std::size_t step) const {
    const Call& c = m_calls[step];
    return StepAnswer{c.row.step_id, c.row.output, c.row.latency_ms, c.row.cost_usd, std::nullopt, nullptr};
}

void ConversationTask::scored(std::size_t step, const TaskScore& score, double judge_cost_usd) {
    Call& c = m_calls[step];
    json guard = c.row.evaluations;
    record_step_score(c.row, score, judge_cost_usd, !c.task.evaluators.empty());
    for (const auto& g : guard) {
        c.row.evaluations.push_back(g);
    }
    c.finished = true;
}

bool ConversationTask::steps_done() const {
    if (!m_failed && !m_answered) {
        return false;
    }
    return std::all_of(m_calls.begin(), m_calls.end(), [](const Call& c) { return c.finished && !c.to_score; });
}

std::vector<store::StepRow> ConversationTask::take_rows() {
    std::vector<store::StepRow> out;
    for (auto& c : m_calls) {
        if (c.finished && !c.emitted) {
            c.emitted = true;
            out.push_back(c.row);
        }
    }
    return out;
}

std::optional<std::string> ConversationTask::final_output() const { return m_failed ? std::nullopt : m_answer; }

std::optional<std::string> ConversationTask::memory_out() const {
    return m_summary_changed ? std::optional(m_summary) : std::nullopt;
}

double ConversationTask::spent_usd() const {
    double total = 0;
    for (const auto& c : m_calls) {
        total += c.row.cost_usd;
    }
    return total;
}

json ConversationTask::context_record() const {
    json rejected = json::array();
    std::int64_t compactions = 0;
    std::int64_t accepted = 0;
    std::string last; // the last compaction's verdict
    const Call* answer = nullptr;
    double compact_cost = 0;
    for (const auto& c : m_calls) {
        if (c.kind == Kind::answer) {
            answer = &c;
            continue;
        }
        compact_cost += c.row.cost_usd;
        if (c.kind == Kind::compact) {
            ++compactions;
            accepted += c.rejected.empty() ? 1 : 0;
            last = c.rejected.empty() ? "compacted" : "kept_previous";
        }
        if (!c.rejected.empty()) {
            rejected.push_back({{"step", c.row.step_id}, {"reason", c.rejected}});
        }
    }
    json j;
    j["state"] = m_cut > 0 ? "truncated" : last.empty() ? "full" : last;
    j["compactions"] = compactions;
    j["accepted"] = accepted;
    j["rejected"] = rejected;
    j["cut_messages"] = m_cut;
    j["overflow_retry"] = m_overflowed;
    j["compaction_cost_usd"] = compact_cost;
    // The facts planted in the thread (and the memory it started from) that its answer still had.
    std::string planted_text = m_env.memory.summary + "\n" + context::transcript(m_thread.history);
    auto planted = context::facts_in(m_thread.facts, planted_text);
    auto kept = context::facts_in(planted, context::transcript(m_answer_messages));
    j["facts"] = {{"planted", planted.size()}, {"kept", kept.size()}};
    if (answer != nullptr) {
        json tokens = {{"model", answer->estimated_for}, {"estimated", answer->estimated}};
        if (answer->row.input_tokens > 0) {
            tokens["reported"] = answer->row.input_tokens;
            tokens["error_pct"] = 100.0 * static_cast<double>(answer->estimated - answer->row.input_tokens) /
                                  static_cast<double>(answer->row.input_tokens);
        }
        j["tokens"] = tokens;
    }
    if (!m_thread.session.empty()) {
        json memory = {{"session", m_thread.session},
                       {"read", !m_env.memory.unavailable.empty() ? "unavailable"
                                : m_env.memory.summary.empty()     ? "none"
                                                                   : "read"},
                       {"written", memory_out().has_value()}};
        if (!m_env.memory.unavailable.empty()) {
            memory["why"] = m_env.memory.unavailable;
        }
        j["memory"] = memory;
    }
    return j;
}

store::ResultRow ConversationTask::result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                                          const std::string& policy) const {
    std::vector<const store::StepRow*> rows;
    for (const auto& c : m_calls) {
        rows.push_back(&c.row);
    }
    store::ResultRow row = sum_call_rows(*m_task, m_identity, rows, suite_hash, judge_cost_usd, policy);
    row.simulated = std::any_of(m_calls.begin(), m_calls.end(), [](const Call& c) { return c.simulated; });
    row.latency_ms = m_clock;
    row.context = context_record();
    if (m_failed) {
        record_failure(row, m_calls.back().row);
        return row;
    }
    row.output = m_answer.value_or("");
    record_score(row, score);
    return row;
}

} // namespace orch::bench
