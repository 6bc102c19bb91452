#include <orch/bench/workflow.hpp>
#include <orch/bench/agent.hpp>
#include <orch/config/agent.hpp>
#include <orch/eval/json_output.hpp>

#include <algorithm>
#include <fmt/format.h>

namespace orch::bench {

std::size_t parallel_width(const config::Task& task) {
    // Steps are in an order where a step's inputs come before it.
    std::vector<std::size_t> depth(task.steps.size(), 0);
    std::vector<std::size_t> at_depth(task.steps.size() + 1, 0);
    std::size_t width = 1;
    for (std::size_t i = 0; i < task.steps.size(); ++i) {
        for (auto u : task.steps[i].upstream) {
            depth[i] = std::max(depth[i], depth[u] + 1);
        }
        width = std::max(width, ++at_depth[depth[i]]);
    }
    return width;
}

WorkflowTask::~WorkflowTask() = default;

WorkflowTask::WorkflowTask(std::shared_ptr<const config::Task> task, const store::StepRow& identity,
                           const std::vector<store::StepRow>* restored, ToolBoxes toolboxes)
    : m_toolboxes(std::move(toolboxes)), m_task(std::move(task)) {
    const config::Task& t = *m_task;
    m_steps.resize(t.steps.size());
    m_step_tasks.resize(t.steps.size());
    for (std::size_t i = 0; i < t.steps.size(); ++i) {
        const config::StepTask& s = t.steps[i];
        Step& st = m_steps[i];
        st.row = identity;
        st.row.step_id = s.id;
        st.row.step_type = s.type;
        st.row.threshold = s.threshold;
        config::Task& as_task = m_step_tasks[i];
        as_task.suite = t.suite;
        as_task.id = t.id + "/" + s.id;
        as_task.type = s.type;
        as_task.tags = s.tags;
        as_task.difficulty = t.difficulty;
        as_task.threshold = s.threshold;
        as_task.sensitive = s.sensitive;
        as_task.params = s.params;
        as_task.evaluators = s.evaluators;
        as_task.reference = s.reference;
        as_task.choices = s.choices;
        as_task.where = t.where;
    }
    if (restored != nullptr) {
        for (const auto& row : *restored) {
            for (std::size_t i = 0; i < t.steps.size(); ++i) {
                if (t.steps[i].agent && row.step_id.rfind(t.steps[i].id + "/turn", 0) == 0) {
                    m_steps[i].restored_turns.push_back(row); // replayed into the step's loop
                }
                if (t.steps[i].id == row.step_id) {
                    m_steps[i].row = row;
                    m_steps[i].state = State::done;
                    m_steps[i].ok = row.status == "scored" || row.status == "unscored" || row.status == "answered";
                    m_steps[i].emitted = true; // recorded already
                }
            }
        }
    }
    m_final_task = t;
}

nlohmann::json WorkflowTask::outputs() const {
    nlohmann::json out = nlohmann::json::object();
    for (std::size_t i = 0; i < m_steps.size(); ++i) {
        if (!m_steps[i].ok) {
            continue;
        }
        const std::string& text = m_steps[i].row.output;
        nlohmann::json entry = {{"output", text}};
        if (auto parsed = eval::parse_json_output(text)) {
            entry["json"] = std::move(*parsed);
        }
        out[m_task->steps[i].id] = std::move(entry);
    }
    return out;
}

std::vector<std::size_t> WorkflowTask::take_ready(double now_ms) {
    std::vector<std::size_t> ready;
    bool changed = true;
    while (changed) { // a skip can make the steps below it skip too
        changed = false;
        for (std::size_t i = 0; i < m_steps.size(); ++i) {
            Step& s = m_steps[i];
            if (s.state != State::waiting) {
                continue;
            }
            bool inputs = true;
            const Step* failed = nullptr;
            std::size_t failed_index = 0;
            double ready_at = 0;
            for (auto u : m_task->steps[i].upstream) {
                const Step& up = m_steps[u];
                bool answered = up.state == State::answered || up.state == State::done;
                if (answered && !up.ok) {
                    failed = &up;
                    failed_index = u;
                    break;
                }
                inputs = inputs && answered;
                ready_at = std::max(ready_at, up.row.end_ms);
            }
            if (failed != nullptr) {
                s.state = State::done;
                s.row.status = "skipped";
                s.row.error_kind = "upstream";
                s.row.error = fmt::format("skipped (upstream step {} {})", m_task->steps[failed_index].id,
                                          failed->row.status == "skipped" ? "was skipped" : "failed");
                s.row.start_ms = s.row.end_ms = failed->row.end_ms;
                changed = true;
            } else if (inputs) {
                s.ready_ms = ready_at;
                s.queued_ms = now_ms;
                const config::StepTask& spec = m_task->steps[i];
                if (!spec.agent) {
                    s.state = State::queued;
                    ready.push_back(i);
                    continue;
                }
                // An agent step: its loop starts from the step's prompt over its inputs.
                auto loop = std::make_shared<config::Task>();
                std::vector<std::string> missing;
                loop->suite = m_task->suite;
                loop->id = m_task->id;
                loop->type = spec.type;
                loop->tags = spec.tags;
                loop->difficulty = m_task->difficulty;
                loop->threshold = spec.threshold;
                loop->sensitive = spec.sensitive;
                loop->messages = config::render_step(*m_task, spec, outputs(), missing);
                loop->params = spec.params;
                loop->reference = spec.reference;
                loop->choices = spec.choices;
                loop->where = m_task->where;
                loop->agent = spec.agent;
                loop->trajectory = spec.trajectory;
                m_step_tasks[i].messages = loop->messages;
                if (i == m_task->final_step) {
                    m_final_task.messages = loop->messages;
                }
                s.row.start_ms = ready_at;
                s.agent = std::make_unique<AgentTask>(loop, m_toolboxes(*spec.agent), s.row,
                                                      s.restored_turns.empty() ? nullptr : &s.restored_turns, ready_at,
                                                      spec.id + "/", spec.model, spec.policy);
                s.state = State::looping;
                sync_agent(i); // a loop resumed to its end has nothing left to call
            }
        }
    }
    for (std::size_t i = 0; i < m_steps.size(); ++i) {
        Step& s = m_steps[i];
        if (s.state == State::looping && !s.agent->take_ready(now_ms).empty()) {
            s.state = State::queued;
            ready.push_back(i);
        }
    }
    return ready;
}

const config::StepTask& WorkflowTask::spec(std::size_t step) const {
    // An agent step's call is its loop's turn: "act/turn2", with the turn's tags.
    return m_steps[step].agent ? m_steps[step].agent->spec(0) : m_task->steps[step];
}

void WorkflowTask::sync_agent(std::size_t step) {
    Step& s = m_steps[step];
    AgentTask& loop = *s.agent;
    for (auto& row : loop.take_rows()) {
        m_turn_rows.push_back(std::move(row));
    }
    for (auto& row : loop.take_tool_rows()) {
        m_tool_rows.push_back(std::move(row));
    }
    if (!loop.steps_done()) {
        s.state = s.state == State::queued || s.state == State::running ? s.state : State::looping;
        return;
    }
    // The step's row sums its turns; it ends when its last turn and tools ended.
    store::ResultRow sum = loop.result(nullptr, 0, "", "");
    store::StepRow& row = s.row;
    row.model = sum.model;
    row.input_tokens = sum.input_tokens;
    row.output_tokens = sum.output_tokens;
    row.cost_usd = sum.cost_usd;
    row.retries = sum.retries;
    row.cached = sum.cached;
    row.end_ms = loop.critical_path_ms();
    row.latency_ms = row.end_ms - row.start_ms;
    s.simulated = sum.simulated;
    s.latency_ms = row.latency_ms;
    s.cost_usd = row.cost_usd;
    if (auto output = loop.final_output()) {
        row.output = *output;
        s.state = State::answered;
        s.ok = true;
        m_to_score.push_back(step);
    } else {
        row.status = "error";
        row.error_kind = sum.error_kind;
        row.error = sum.error;
        s.state = State::done;
        s.ok = false;
    }
}

std::vector<std::size_t> WorkflowTask::take_to_score() {
    std::vector<std::size_t> out;
    out.swap(m_to_score);
    return out;
}

StepAnswer WorkflowTask::step_answer(std::size_t step) const {
    const Step& s = m_steps[step];
    return StepAnswer{m_task->steps[step].id, s.row.output, s.latency_ms, s.cost_usd, s.recorded_score,
                      s.agent ? s.agent->trajectory() : nullptr};
}

std::vector<ToolJob> WorkflowTask::take_tool_jobs() {
    std::vector<ToolJob> out;
    for (std::size_t i = 0; i < m_steps.size(); ++i) {
        if (m_steps[i].agent) {
            for (auto& job : m_steps[i].agent->take_tool_jobs()) {
                job.step = i; // back to this step's loop when it is done
                out.push_back(std::move(job));
            }
        }
    }
    return out;
}

void WorkflowTask::tool_done(const ToolJob& job, const tools::ToolOutcome& outcome) {
    AgentTask& loop = *m_steps[job.step].agent;
    ToolJob inner = job;
    inner.step = loop.current_turn();
    loop.tool_done(inner, outcome);
    sync_agent(job.step);
}

std::vector<store::ToolCallRow> WorkflowTask::take_tool_rows() {
    std::vector<store::ToolCallRow> out;
    out.swap(m_tool_rows);
    return out;
}

const nlohmann::json* WorkflowTask::trajectory() const {
    const Step& f = m_steps[m_task->final_step];
    return f.agent ? f.agent->trajectory() : nullptr;
}

Request WorkflowTask::request(std::size_t step, const std::string& key, std::uint64_t seed) {
    if (m_steps[step].agent) {
        AgentTask& loop = *m_steps[step].agent;
        return loop.request(loop.current_turn(), key, seed);
    }
    const config::StepTask& s = m_task->steps[step];
    std::vector<std::string> missing; // an input without the field a template reads stays visible
    Request r;
    r.messages = config::render_step(*m_task, s, outputs(), missing);
    r.params = s.params;
    r.task_type = s.type;
    r.key = key;
    r.seed = seed;
    r.sim_hint = SimHint{s.type, s.reference, s.choices, m_task->difficulty, config::expected_step_inputs(*m_task, s)};
    m_step_tasks[step].messages = r.messages; // what the step's judges read
    if (step == m_task->final_step) {
        m_final_task.messages = r.messages; // and the task's judges, for the final output
    }
    return r;
}

void WorkflowTask::started(std::size_t step, double now_ms) {
    Step& s = m_steps[step];
    if (s.agent) {
        s.agent->started(s.agent->current_turn(), now_ms);
        s.state = State::running;
        return;
    }
    s.state = State::running;
    s.row.start_ms = s.ready_ms + std::max(0.0, now_ms - s.queued_ms);
}

void WorkflowTask::answered(std::size_t step, const provider::Outcome& outcome,
                            const std::optional<route::RouteResult>& route, const std::string& policy) {
    Step& s = m_steps[step];
    if (s.agent) {
        s.agent->answered(s.agent->current_turn(), outcome, route, policy);
        s.state = State::looping;
        sync_agent(step);
        return;
    }
    store::StepRow& row = s.row;
    record_call(row, outcome, route, policy);
    if (!outcome) {
        s.state = State::done;
        s.ok = false;
        return;
    }
    const Completion& c = outcome.value();
    s.simulated = c.simulated;
    row.output = c.text;
    s.latency_ms = c.latency_ms;
    s.cost_usd = c.cost_usd;
    s.recorded_score = c.recorded_score;
    s.state = State::answered;
    s.ok = true;
    m_to_score.push_back(step);
}

void WorkflowTask::scored(std::size_t step, const TaskScore& score, double judge_cost_usd) {
    Step& s = m_steps[step];
    record_step_score(s.row, score, judge_cost_usd, !m_step_tasks[step].evaluators.empty());
    s.state = State::done;
}

bool WorkflowTask::steps_done() const {
    return std::all_of(m_steps.begin(), m_steps.end(), [](const Step& s) { return s.state == State::done; });
}

std::vector<store::StepRow> WorkflowTask::take_rows() {
    std::vector<store::StepRow> out;
    out.swap(m_turn_rows); // an agent step's turns, as they end
    for (auto& s : m_steps) {
        if (s.state == State::done && !s.emitted) {
            s.emitted = true;
            out.push_back(s.row);
        }
    }
    return out;
}

std::optional<std::string> WorkflowTask::final_output() const {
    const Step& f = m_steps[m_task->final_step];
    if (!f.ok) {
        return std::nullopt;
    }
    return f.row.output;
}

double WorkflowTask::critical_path_ms() const {
    double critical = 0;
    for (const auto& s : m_steps) {
        if (s.row.status != "skipped") {
            critical = std::max(critical, s.row.end_ms);
        }
    }
    return critical;
}

double WorkflowTask::spent_usd() const {
    double total = 0;
    for (const auto& s : m_steps) {
        total += s.row.cost_usd;
    }
    return total;
}

store::ResultRow WorkflowTask::result(const TaskScore* score, double judge_cost_usd, const std::string& suite_hash,
                                      const std::string& policy) const {
    const config::Task& t = *m_task;
    std::vector<const store::StepRow*> rows;
    double sequential = 0;
    const Step* first_failed = nullptr;
    for (const auto& s : m_steps) {
        const store::StepRow& r = s.row;
        rows.push_back(&r);
        sequential += r.status == "skipped" ? 0 : r.latency_ms;
        bool bad = r.status == "error" || r.status == "unscored" || (r.passed && !*r.passed);
        if (bad && (first_failed == nullptr || r.start_ms < first_failed->row.start_ms)) {
            first_failed = &s;
        }
    }
    store::ResultRow row = sum_call_rows(t, m_steps.front().row, rows, suite_hash, judge_cost_usd, policy);
    row.simulated = std::any_of(m_steps.begin(), m_steps.end(), [](const Step& s) { return s.simulated; });
    row.latency_ms = critical_path_ms();
    row.sequential_ms = sequential;
    const Step& f = m_steps[t.final_step];
    if (!f.ok) {
        row.status = "error";
        row.error_kind = f.row.error_kind == "upstream" ? "upstream" : f.row.error_kind;
        row.error = fmt::format("final step {}: {}", f.row.step_id, f.row.error);
    } else {
        row.output = f.row.output;
        record_score(row, score);
    }
    if (first_failed != nullptr) {
        row.failed_step = first_failed->row.step_id;
    } else if (row.passed && !*row.passed) {
        row.failed_step = f.row.step_id; // every step passed its own checks; the final output did not
    }
    return row;
}

} // namespace orch::bench
