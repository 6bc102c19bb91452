#include <orch/bench/agent.hpp>
#include <orch/config/agent.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace orch::bench {

namespace {

using nlohmann::json;

json arguments_json(const std::string& text) {
    json j = json::parse(text, nullptr, false);
    return j.is_discarded() ? json(text) : j;
}

} // namespace

// The number in "PREFIXturn12"; 0 when it is not one of this loop's turns.
std::size_t AgentTask::turn_number(const std::string& step_id) const {
    std::string head = m_prefix + "turn";
    if (step_id.rfind(head, 0) != 0 || step_id.size() == head.size()) {
        return 0;
    }
    std::size_t n = 0;
    for (char c : step_id.substr(head.size())) {
        if (c < '0' || c > '9') {
            return 0;
        }
        n = n * 10 + static_cast<std::size_t>(c - '0');
    }
    return n;
}

AgentTask::AgentTask(std::shared_ptr<const config::Task> task, const tools::ToolBox& tools,
                     const store::StepRow& identity, const std::vector<store::StepRow>* restored, double start_ms,
                     std::string prefix, std::string model, std::string policy)
    : m_task(std::move(task)), m_tools(tools), m_identity(identity), m_prefix(std::move(prefix)), m_clock(start_ms) {
    m_spec.model = std::move(model);
    m_spec.policy = std::move(policy);
    const config::Task& t = *m_task;
    m_messages = t.messages;
    m_turn_task.suite = t.suite;
    m_turn_task.id = t.id;
    m_turn_task.type = t.type;
    m_turn_task.tags = t.tags;
    m_turn_task.difficulty = t.difficulty;
    m_turn_task.where = t.where;
    m_final_task = t;
    m_trajectory = {{"turns", 0}, {"tool_calls", 0}, {"invalid_calls", 0}, {"tool_errors", 0}, {"stop", ""},
                    {"calls", json::array()}};
    m_spec.type = t.type;
    m_spec.sensitive = t.sensitive;
    m_spec.params = t.params;
    m_spec.threshold = 1;

    // A resumed run: the turns already recorded, in order, as far as they go unbroken.
    std::vector<const store::StepRow*> rows;
    if (restored != nullptr) {
        for (const auto& r : *restored) {
            if (turn_number(r.step_id) > 0 && r.status == "answered") {
                rows.push_back(&r);
            }
        }
    }
    std::sort(rows.begin(), rows.end(), [this](const auto* a, const auto* b) {
        return turn_number(a->step_id) < turn_number(b->step_id);
    });
    for (const auto* r : rows) {
        json turn = json::parse(r->output, nullptr, false);
        if (turn_number(r->step_id) != m_turns.size() + 1 || !turn.is_object() || m_state == State::done) {
            break;
        }
        Turn& tr = m_turns.emplace_back();
        tr.row = *r;
        tr.emitted = true;
        for (const auto& c : turn.value("calls", json::array())) {
            tr.calls.push_back(ToolCall{c.value("id", ""), c.value("name", ""), c.value("arguments", "")});
        }
        json results = turn.value("results", json::array());
        for (std::size_t i = 0; i < tr.calls.size(); ++i) {
            json res = i < results.size() ? results[i] : json::object();
            tools::ToolOutcome o;
            o.content = res.value("content", "");
            o.is_error = res.value("is_error", false);
            o.valid = res.value("valid", true);
            o.error = res.value("error", "");
            o.latency_ms = res.value("latency_ms", 0.0);
            tr.run += res.value("ran", true) ? 1 : 0;
            tr.outcomes.push_back(o);
        }
        tr.text = turn.value("text", "");
        m_messages.push_back(Message{"assistant", tr.text, tr.calls});
        m_calls += static_cast<std::int64_t>(tr.run);
        m_clock = r->end_ms;
        close_turn();
    }
}

void AgentTask::set_spec() {
    m_spec.id = fmt::format("{}turn{}", m_prefix, m_turns.size());
    m_spec.tags = m_task->tags;
    // A policy can route the turn that picks the first tools apart from the turns that read
    // their results (and usually answer).
    bool after_tools = std::any_of(m_messages.begin(), m_messages.end(), [](const Message& m) { return m.role == "tool"; });
    m_spec.tags.push_back(after_tools ? "agent:after_tools" : "agent:first");
}

std::vector<std::size_t> AgentTask::take_ready(double now_ms) {
    if (m_state != State::ready) {
        return {};
    }
    m_state = State::queued;
    Turn& t = m_turns.emplace_back();
    t.row = m_identity;
    t.row.step_id = fmt::format("{}turn{}", m_prefix, m_turns.size());
    t.row.step_type = "agent_turn";
    t.row.threshold = 1;
    t.ready_ms = m_clock;
    t.queued_ms = now_ms;
    set_spec();
    return {m_turns.size() - 1};
}

Request AgentTask::request(std::size_t /*step*/, const std::string& key, std::uint64_t seed) {
    const config::Task& t = *m_task;
    Request r;
    r.messages = m_messages;
    r.params = t.params;
    r.task_type = t.type;
    r.key = key;
    r.seed = seed;
    r.sim_hint = SimHint{t.type, t.reference, t.choices, t.difficulty, {},
                         {{"calls", t.trajectory.is_null() ? json::array() : t.trajectory}}};
    r.tools = m_tools.specs();
    m_turn_task.messages = m_messages;
    return r;
}

void AgentTask::started(std::size_t step, double now_ms) {
    Turn& t = m_turns[step];
    m_state = State::calling;
    t.row.start_ms = t.ready_ms + std::max(0.0, now_ms - t.queued_ms);
}

void AgentTask::answered(std::size_t step, const provider::Outcome& outcome,
                         const std::optional<route::RouteResult>& route, const std::string& policy) {
    Turn& t = m_turns[step];
    store::StepRow& row = t.row;
    record_call(row, outcome, route, policy);
    if (!outcome) {
        m_clock = row.end_ms;
        m_stop = "error";
        m_trajectory["stop"] = m_stop;
        m_trajectory["turns"] = m_turns.size();
        m_state = State::done;
        return;
    }
    const Completion& c = outcome.value();
    t.simulated = c.simulated;
    t.calls = c.tool_calls;
    for (std::size_t i = 0; i < t.calls.size(); ++i) {
        if (t.calls[i].id.empty()) {
            t.calls[i].id = fmt::format("call_{}_{}", m_turns.size(), i + 1);
        }
    }
    t.text = c.text;
    m_messages.push_back(Message{"assistant", t.text, t.calls});
    // Calls past max_tool_calls are not run: the loop stops once the ones within it answer.
    const auto& agent = *m_task->agent;
    t.run = static_cast<std::size_t>(
        std::clamp<std::int64_t>(agent.max_tool_calls - m_calls, 0, static_cast<std::int64_t>(t.calls.size())));
    m_calls += static_cast<std::int64_t>(t.run);
    t.outcomes.assign(t.calls.size(), std::nullopt);
    for (std::size_t i = 0; i < t.calls.size(); ++i) {
        const ToolCall& call = t.calls[i];
        if (i >= t.run) {
            tools::ToolOutcome o;
            o.is_error = true;
            o.error = fmt::format("not run: the task's max_tool_calls ({}) was reached", agent.max_tool_calls);
            o.content = "error: " + o.error;
            t.outcomes[i] = o;
        } else if (auto bad = m_tools.check(call)) {
            t.outcomes[i] = *bad; // back to the model as a tool error, as agent runtimes do
        } else if (m_tools.runs_program(call)) {
            m_jobs.push_back(ToolJob{step, i, call, &m_tools});
        } else {
            t.outcomes[i] = m_tools.run(call);
        }
    }
    m_state = State::tools;
    if (m_jobs.empty()) {
        close_turn();
    }
}

std::vector<ToolJob> AgentTask::take_tool_jobs() {
    std::vector<ToolJob> out;
    out.swap(m_jobs);
    return out;
}

void AgentTask::tool_done(const ToolJob& job, const tools::ToolOutcome& outcome) {
    Turn& t = m_turns[job.step];
    t.outcomes[job.index] = outcome;
    if (std::all_of(t.outcomes.begin(), t.outcomes.end(), [](const auto& o) { return o.has_value(); })) {
        close_turn();
    }
}

void AgentTask::close_turn() {
    Turn& t = m_turns.back();
    double tools_ms = 0; // a turn's calls run side by side
    for (std::size_t i = 0; i < t.calls.size(); ++i) {
        const tools::ToolOutcome& o = *t.outcomes[i];
        tools_ms = std::max(tools_ms, o.latency_ms);
        Message result{"tool", o.content};
        result.tool_call_id = t.calls[i].id;
        result.is_error = o.is_error;
        m_messages.push_back(std::move(result));
    }
    m_clock = t.row.end_ms + tools_ms;
    record(t);
    const auto& agent = *m_task->agent;
    if (t.calls.empty()) {
        m_stop = "answer";
    } else if (t.run < t.calls.size()) {
        m_stop = "max_tool_calls";
    } else if (static_cast<std::int64_t>(m_turns.size()) >= agent.max_turns) {
        m_stop = "max_turns";
    }
    m_trajectory["stop"] = m_stop;
    m_state = m_stop.empty() ? State::ready : State::done;
}

void AgentTask::record(Turn& t) {
    json calls = json::array();
    json results = json::array();
    std::size_t turn = turn_number(t.row.step_id);
    for (std::size_t i = 0; i < t.calls.size(); ++i) {
        const ToolCall& c = t.calls[i];
        const tools::ToolOutcome& o = *t.outcomes[i];
        bool ran = i < t.run;
        calls.push_back({{"id", c.id}, {"name", c.name}, {"arguments", c.arguments}});
        results.push_back({{"content", o.content}, {"is_error", o.is_error}, {"valid", o.valid}, {"error", o.error},
                           {"latency_ms", o.latency_ms}, {"ran", ran}});
        json entry = {{"turn", turn}, {"name", c.name}, {"arguments", arguments_json(c.arguments)}, {"valid", o.valid}};
        if (o.is_error) {
            entry["error"] = o.error;
        } else {
            entry["result"] = util::truncate(o.content, 200); // for the report's transcript
        }
        if (!ran) {
            entry["ran"] = false;
        }
        m_trajectory["calls"].push_back(std::move(entry));
        auto count = [&](const char* key, bool counted) {
            m_trajectory[key] = m_trajectory[key].get<std::int64_t>() + (ran && counted ? 1 : 0);
        };
        count("tool_calls", true);
        count("invalid_calls", !o.valid);
        count("tool_errors", o.is_error);
        if (!t.emitted) {
            store::ToolCallRow r;
            r.run_id = t.row.run_id;
            r.suite = t.row.suite;
            r.task_id = t.row.task_id;
            r.target = t.row.target;
            r.repeat = t.row.repeat;
            r.step = m_prefix.empty() ? "" : m_prefix.substr(0, m_prefix.size() - 1);
            r.turn = static_cast<std::int64_t>(turn);
            r.index = static_cast<std::int64_t>(i + 1);
            r.call_id = c.id;
            r.tool = c.name;
            r.arguments = c.arguments;
            r.valid = o.valid;
            r.is_error = o.is_error;
            r.result = o.content;
            r.error = o.error;
            r.latency_ms = o.latency_ms;
            m_tool_rows.push_back(std::move(r));
        }
    }
    m_trajectory["turns"] = m_turns.size();
    if (!t.emitted) {
        t.row.status = "answered";
        t.row.output = json{{"text", t.text}, {"calls", calls}, {"results", results}}.dump();
    }
}

std::vector<store::StepRow> AgentTask::take_rows() {
    std::vector<store::StepRow> out;
    for (auto& t : m_turns) {
        bool finished = t.row.status == "answered" || t.row.status == "error";
        if (finished && !t.emitted) {
            t.emitted = true;
            out.push_back(t.row);
        }
    }
    return out;
}

std::vector<store::ToolCallRow> AgentTask::take_tool_rows() {
    std::vector<store::ToolCallRow> out;
    out.swap(m_tool_rows);
    return out;
}

std::optional<std::string> AgentTask::final_output() const {
    if (m_stop == "error" || m_turns.empty()) {
        return std::nullopt;
    }
    if (m_stop != "answer") {
        return std::string(); // stopped at a limit: the model never answered
    }
    return m_turns.back().text;
}

double AgentTask::spent_usd() const {
    double total = 0;
    for (const auto& t : m_turns) {
        total += t.row.cost_usd;
    }
    return total;
}

store::ResultRow AgentTask::result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                                   const std::string& policy) const {
    std::vector<const store::StepRow*> rows;
    for (const auto& turn : m_turns) {
        rows.push_back(&turn.row);
    }
    store::ResultRow row = sum_call_rows(*m_task, m_turns.front().row, rows, suite_hash, judge_cost_usd, policy);
    row.simulated = std::any_of(m_turns.begin(), m_turns.end(), [](const Turn& t) { return t.simulated; });
    row.latency_ms = m_clock;
    row.trajectory = m_trajectory;
    if (m_stop == "error") {
        record_failure(row, m_turns.back().row);
        return row;
    }
    row.output = final_output().value_or("");
    record_score(row, score);
    if (m_stop != "answer") {
        row.failed_step = m_stop; // max_turns or max_tool_calls: recorded as such, and scored
    }
    return row;
}

} // namespace orch::bench
