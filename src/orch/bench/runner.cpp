#include <orch/bench/runner.hpp>
#include <orch/bench/flow.hpp>
#include <orch/bench/judging.hpp>
#include <orch/bench/response_cache.hpp>
#include <orch/bench/scoring.hpp>
#include <orch/bench/agent.hpp>
#include <orch/bench/conversation.hpp>
#include <orch/bench/workflow.hpp>
#include <orch/config/agent.hpp>
#include <orch/config/context.hpp>
#include <orch/config/recorded.hpp>
#include <orch/eval/heuristic.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/bandit.hpp>
#include <orch/route/router.hpp>
#include <orch/util/clock.hpp>

#include <algorithm>
#include <condition_variable>
#include <deque>
#include <fmt/format.h>
#include <mutex>
#include <set>
#include <ostream>
#include <thread>

#ifndef ORCH_VERSION
#define ORCH_VERSION "0.0.0"
#endif
#ifndef ORCH_GIT_REV
#define ORCH_GIT_REV ""
#endif

namespace orch::bench {

namespace {

// Reports each evaluator problem once, where it was written: a suite's [[evaluators]] entry at
// the suite file's line (the parameter's own line when the problem names one), however many
// rows use it; an evaluator a row's override brought, or one that only this row's template
// values make wrong, at the row.
void check_evaluators(const std::vector<config::EvaluatorSpec>& written_list,
                      const std::vector<config::EvaluatorSpec>& used, const config::Suite& suite,
                      const config::Location& row, const config::ProvidersConfig* providers,
                      config::Problems& problems, std::set<std::string>& reported) {
    for (const auto& e : used) {
        auto found = check_evaluator(e, providers);
        if (found.empty()) {
            continue;
        }
        const config::EvaluatorSpec* written = nullptr; // the suite's own entry, if it is one
        if (e.where.file == suite.path) {
            for (const auto& se : written_list) {
                if (se.key == e.key) {
                    written = &se;
                }
            }
        }
        // A problem the suite's template has too (an unknown parameter, a bad kind) is the
        // suite's, reported once at its line, not once per row that renders it.
        std::vector<std::string> in_template;
        if (written != nullptr && written->params != e.params) {
            in_template = check_evaluator(*written, providers);
        }
        for (const auto& what : found) {
            if (written == nullptr) {
                problems.add(row, e.key, what);
                continue;
            }
            bool templated = std::find(in_template.begin(), in_template.end(), what) != in_template.end();
            if (written->params != e.params && !templated) {
                problems.add(row, e.key,
                             fmt::format("{} (the evaluator at {}, with this row's values)", what,
                                         config::format_location(e.where)));
                continue;
            }
            // "kind: param: what" names the parameter: point at its line.
            config::Location at = e.where;
            std::string key = e.key;
            if (size_t colon = what.find(": "); colon != std::string::npos) {
                std::string param = what.substr(colon + 2, what.find(':', colon + 2) - colon - 2);
                if (auto it = e.param_where.find(param); it != e.param_where.end()) {
                    at = it->second;
                    key += "." + param;
                }
            }
            if (reported.insert(config::format_location(at) + key + what).second) {
                problems.add(at, key, what);
            }
        }
    }
}

void check_task_evaluators(const config::Suite& suite, const config::Task& task,
                           const config::ProvidersConfig* providers, config::Problems& problems,
                           std::set<std::string>& reported) {
    check_evaluators(suite.evaluators, task.evaluators, suite, task.where, providers, problems, reported);
    for (std::size_t i = 0; i < task.steps.size(); ++i) {
        check_evaluators(suite.steps[i].evaluators, task.steps[i].evaluators, suite, task.where, providers, problems,
                         reported);
    }
}

// A trajectory evaluator where no agent loop runs: a located error, not a run of unscored rows.
void check_trajectory_readers(const config::Suite& suite, config::Problems& problems) {
    auto check = [&](const std::vector<config::EvaluatorSpec>& evaluators, bool has_loop, const std::string& what) {
        for (const auto& e : evaluators) {
            if (eval::reads_trajectory(e.kind) && !has_loop) {
                problems.add(e.where, e.key + ".kind",
                             fmt::format("{} reads an agent's calls, but {} runs no agent loop (give it [[tools]])",
                                         e.kind, what));
            }
        }
    };
    if (suite.steps.empty()) {
        check(suite.evaluators, suite.agent != nullptr, "this suite");
        return;
    }
    const auto& final = suite.steps[suite.final_step];
    check(suite.evaluators, final.agent != nullptr, fmt::format("its final step {}", final.id));
    for (const auto& step : suite.steps) {
        check(step.evaluators, step.agent != nullptr, "step " + step.id);
    }
}

} // namespace

void check_step_routes(const config::ProvidersConfig& providers, const config::Suite& suite, const config::Task* task,
                       StepPolicies& policies, config::Problems& problems) {
    for (std::size_t i = 0; i < suite.steps.size(); ++i) {
        const auto& spec = suite.steps[i];
        const std::string& model = task != nullptr ? task->steps[i].model : spec.model;
        const std::string& policy = task != nullptr ? task->steps[i].policy : spec.policy;
        bool from_row = task != nullptr && (model != spec.model || policy != spec.policy);
        if (task != nullptr && !from_row) {
            continue; // checked once at the suite's line
        }
        config::Location at = from_row ? task->where : spec.key_where.at(model.empty() ? "policy" : "model");
        std::string key = from_row ? "override.steps." + spec.id : spec.key;
        if (!model.empty() && providers.find_model(model) == nullptr) {
            problems.add(at, key + ".model", fmt::format("no model named \"{}\" in [models] of {}", model, providers.path));
        }
        if (!policy.empty() && policies.count(policy) == 0) {
            try {
                policies[policy] = std::make_shared<const config::Policy>(config::resolve_policy(providers, policy));
            } catch (const Error& e) {
                problems.add(at, key + ".policy", e.what());
            }
        }
    }
}

BenchPlan plan_bench(const config::ProvidersConfig& providers, const BenchOptions& options) {
    BenchPlan plan;
    config::Problems problems;
    if (options.targets.empty()) {
        for (const auto& m : providers.models) {
            plan.targets.push_back(Target{m.name, &m, nullptr});
        }
    }
    for (const auto& name : options.targets) {
        if (name.rfind("policy:", 0) == 0) {
            try {
                auto policy = std::make_shared<const config::Policy>(config::resolve_policy(providers, name.substr(7)));
                plan.targets.push_back(Target{"policy:" + policy->name, nullptr, std::move(policy)});
            } catch (const Error& e) {
                problems.add_located(fmt::format("--target {}: {}", name, e.what()));
            }
        } else if (const config::ModelConfig* m = providers.find_model(name)) {
            plan.targets.push_back(Target{m->name, m, nullptr});
        } else {
            problems.add(config::Location{providers.path, 0, 0}, "--target",
                         fmt::format("no model named \"{}\" in [models]", name));
        }
    }
    for (const auto& dir : options.suite_paths) {
        auto files = config::suite_files(dir);
        if (files.empty()) {
            problems.add(config::Location{dir, 0, 0}, "", "no suite files (*.toml) here");
        }
        for (const auto& file : files) {
            try {
                plan.suites.push_back(config::load_suite(file));
            } catch (const Error& e) {
                problems.add_located(e.what());
            }
        }
    }
    for (const auto& suite : plan.suites) {
        for (const auto& other : plan.suites) {
            if (&other != &suite && other.name == suite.name && &other < &suite) {
                problems.add(suite.where, "name",
                             fmt::format("suite name \"{}\" is also used by {}", suite.name, other.path));
            }
        }
        check_trajectory_readers(suite, problems);
        config::DatasetReader reader(suite);
        config::Task task;
        std::int64_t rows = 0;
        std::set<std::string> reported;
        if (!providers.models.empty()) {
            check_step_routes(providers, suite, nullptr, plan.step_policies, problems);
        }
        while (reader.next(task, problems)) {
            ++rows;
            check_task_evaluators(suite, task, providers.models.empty() ? nullptr : &providers, problems, reported);
            if (!providers.models.empty()) {
                check_step_routes(providers, suite, &task, plan.step_policies, problems);
            }
        }
        if (rows == 0) {
            problems.add(config::Location{suite.dataset_path, 0, 0}, "", "the dataset has no usable rows");
        }
        plan.tasks += rows;
    }
    // A replay provider's recorded outcomes are read when its first call starts: check them
    // now, so that a bad file fails before the run is created.
    for (const auto& p : providers.providers) {
        if (p.protocol == "replay" && !p.source.empty()) {
            try {
                config::read_recorded_jsonl(p.source);
            } catch (const Error& e) {
                problems.add_located(e.what());
            }
        }
    }
    problems.throw_if_any();
    return plan;
}

namespace {

struct Work {
    std::shared_ptr<const config::Task> task;
    const config::Suite* suite = nullptr;
    const Target* target = nullptr;
    std::int64_t repeat = 0;
};

struct JudgeRef {
    std::uint64_t pending = 0; // which result is being judged
    JudgeCallSpec call;
};

// A call made for one step of a workflow task in flight.
struct StepRef {
    std::uint64_t flow = 0;
    std::size_t step = 0;
};

// A tool job that finished: which flow, which call, and what the tool said.
struct ToolRef {
    std::uint64_t flow = 0;
    ToolJob job;
    tools::ToolOutcome outcome;
    std::uint64_t thread = 0; // the thread that ran it, joined when its outcome is taken
};

struct Done {
    Work work;
    provider::Outcome outcome;
    std::optional<JudgeRef> judge;          // set when this is a judge's reply, not a target's answer
    std::optional<route::RouteResult> route; // set for a policy's answer
    std::optional<StepRef> step;             // set for a workflow step's answer
    const config::ModelConfig* counted = nullptr; // whose provider slot the call took
    std::optional<ToolRef> tool;                  // set for a tool job's outcome
};

constexpr std::size_t k_no_step = static_cast<std::size_t>(-1);

// A result whose judges have not all answered yet: a target's answer, a workflow step's
// (flow set, step its index) or a workflow's final output (flow set, step k_no_step).
struct Pending {
    Work work;
    provider::Outcome outcome;
    std::optional<route::RouteResult> route;
    std::unique_ptr<PendingJudgement> judging;
    std::optional<std::uint64_t> flow;
    std::size_t step = k_no_step;
};

// A workflow or agent task in flight.
struct Flow {
    Work work;
    std::unique_ptr<TaskFlow> task;
    std::size_t width = 1; // the slots it holds: its most steps that can run at once
};

// Walks suites → rows → targets → repeats lazily, so memory stays flat with dataset size.
class WorkSource {
  public:
    WorkSource(const BenchPlan& plan, const BenchOptions& options,
               const std::unordered_set<std::string>& done)
        : m_plan(plan), m_options(options), m_done(done) {}

    bool next(Work& out) {
        while (true) {
            if (m_task && m_target < m_plan.targets.size()) {
                out = Work{m_task, &m_plan.suites[m_suite], &m_plan.targets[m_target], m_repeat};
                if (++m_repeat >= m_options.repeats) {
                    m_repeat = 0;
                    ++m_target;
                }
                if (m_done.count(store::work_key(out.suite->name, out.task->id, out.target->name,
                                                 out.repeat)) != 0) {
                    continue; // finished before a resume
                }
                return true;
            }
            if (!advance_task()) {
                return false;
            }
        }
    }

  private:
    bool advance_task() {
        while (m_suite < m_plan.suites.size()) {
            if (!m_reader) {
                m_reader = std::make_unique<config::DatasetReader>(m_plan.suites[m_suite]);
            }
            config::Task t;
            config::Problems ignored; // checked by plan_bench
            if (m_reader->next(t, ignored)) {
                m_task = std::make_shared<const config::Task>(std::move(t));
                m_target = 0;
                m_repeat = 0;
                return true;
            }
            m_reader.reset();
            ++m_suite;
        }
        m_task.reset();
        return false;
    }

    const BenchPlan& m_plan;
    const BenchOptions& m_options;
    const std::unordered_set<std::string>& m_done;
    std::size_t m_suite = 0;
    std::unique_ptr<config::DatasetReader> m_reader;
    std::shared_ptr<const config::Task> m_task;
    std::size_t m_target = 0;
    std::int64_t m_repeat = 0;
};

Request make_request(const Work& w, std::uint64_t seed) {
    Request r;
    r.messages = w.task->messages;
    r.params = w.task->params;
    r.task_type = w.task->type;
    r.key = fmt::format("{}/{}/{}", w.suite->name, w.task->id, w.repeat);
    r.seed = seed;
    r.sim_hint = SimHint{w.task->type, w.task->reference, w.task->choices, w.task->difficulty, {}};
    return r;
}

store::ResultRow make_row(std::int64_t run_id, const Work& w, const provider::Outcome& outcome,
                          const std::optional<route::RouteResult>& route, const PendingJudgement* judging) {
    store::ResultRow row;
    row.run_id = run_id;
    row.suite = w.suite->name;
    row.suite_hash = w.suite->content_hash;
    row.task_id = w.task->id;
    row.task_type = w.task->type;
    row.target = w.target->name;
    row.model = w.target->model != nullptr ? w.target->model->name : "";
    row.repeat = w.repeat;
    row.threshold = w.task->threshold;
    if (route) {
        // A policy's answer: which rule, which model, and every call it took (cascades, fallbacks).
        row.model = route->model_used;
        row.route = {{"policy", w.target->policy->name}, {"rule", route->rule}, {"chain", route->chain}};
    }
    if (!outcome) {
        const ProviderError& e = outcome.error();
        row.status = "error";
        row.error_kind = to_string(e.kind);
        row.error = e.message;
        row.latency_ms = route ? route->total_latency_ms : e.latency_ms;
        row.cost_usd = route ? route->total_cost_usd : 0;
        row.retries = e.retries;
        row.simulated = w.target->model != nullptr && w.target->model->sim.has_value();
        return row;
    }
    const Completion& c = outcome.value();
    row.input_tokens = c.usage.input_tokens;
    row.output_tokens = c.usage.output_tokens;
    row.tokens_estimated = c.usage.estimated;
    row.cost_usd = c.cost_usd;
    row.latency_ms = c.latency_ms;
    row.ttft_ms = c.ttft_ms;
    row.retries = c.retries;
    row.output = c.text;
    row.simulated = c.simulated;
    row.cached = c.cached;
    if (route) {
        row.input_tokens = route->usage.input_tokens;
        row.output_tokens = route->usage.output_tokens;
        row.cost_usd = route->total_cost_usd;
        row.latency_ms = route->total_latency_ms;
    }
    eval::Candidate candidate{c.text, c.latency_ms, c.cost_usd, c.recorded_score};
    TaskScore ts = judging != nullptr ? score_task(*w.task, candidate, judging->verdicts()) : score_task(*w.task, candidate);
    if (judging != nullptr) {
        row.judge_cost_usd = judging->cost_usd();
    }
    record_score(row, &ts);
    return row;
}

} // namespace

namespace {

// Whether every target (each model, and every model a policy may call) is simulated; under a
// policy target, so must be the models workflow steps pin and the models their own policies call.
bool all_simulated(const config::ProvidersConfig& providers, const BenchPlan& plan) {
    auto simulated = [&](const std::string& name) {
        const auto* model = providers.find_model(name);
        return model != nullptr && providers.provider_of(*model).protocol == "sim";
    };
    bool routed = false;
    for (const auto& t : plan.targets) {
        if (t.model != nullptr) {
            if (!simulated(t.model->name)) {
                return false;
            }
            continue;
        }
        routed = true;
        for (const auto& m : config::policy_models(*t.policy)) {
            if (!simulated(m)) {
                return false;
            }
        }
    }
    if (!routed) {
        return true; // a model target's calls all go to that model, steps included
    }
    for (const auto& suite : plan.suites) {
        for (const auto& step : suite.steps) {
            if (!step.model.empty() && !simulated(step.model)) {
                return false;
            }
        }
    }
    for (const auto& [name, policy] : plan.step_policies) {
        for (const auto& m : config::policy_models(*policy)) {
            if (!simulated(m)) {
                return false;
            }
        }
    }
    return true;
}

// Creates the run's record, or reopens the run being resumed; returns its id and fills `done`
// with the work it already finished.
std::int64_t open_run(const config::ProvidersConfig& providers, const BenchPlan& plan, const BenchOptions& options,
                      store::Store& store, std::unordered_set<std::string>& done) {
    if (options.resume_run) {
        auto run = store.run(*options.resume_run);
        if (!run) {
            throw Error(ErrorKind::config, fmt::format("--resume: no run {} in the database", *options.resume_run));
        }
        done = store.done_keys(run->id);
        store.set_run_status(run->id, "running", false);
        return run->id;
    }
    store::RunInfo run;
    run.started_at = util::now_iso8601();
    run.command = options.command_line;
    run.orch_version = ORCH_VERSION;
    run.git_rev = ORCH_GIT_REV;
    run.providers_hash = providers.content_hash;
    run.seed = options.seed;
    run.repeats = options.repeats;
    for (const auto& t : plan.targets) {
        run.targets.push_back(t.name);
    }
    for (const auto& s : plan.suites) {
        run.suites[s.name] = s.content_hash;
    }
    run.simulated = all_simulated(providers, plan);
    return store.create_run(run);
}

std::unique_ptr<route::BanditBook> loaded_bandits(store::Store& store) {
    auto book = std::make_unique<route::BanditBook>();
    book->load(store.bandit_state());
    return book;
}

// One bench run: the dispatcher (work into calls, within -j and each provider's
// max_concurrency), the replies coming back (answers, judges' verdicts), and the group commit
// of the results. Calls complete on provider threads; everything else runs on the thread that
// calls run().
class BenchRun {
  public:
    BenchRun(const config::ProvidersConfig& providers, const BenchPlan& plan, const BenchOptions& options,
             store::Store& store, std::ostream& progress, BenchOutcome& outcome,
             const std::unordered_set<std::string>& done,
             std::unordered_map<std::string, std::vector<store::StepRow>> restored)
        : m_providers(providers), m_options(options), m_store(store), m_progress(progress),
          m_outcome(outcome), m_provider_set(providers, provider_options(options)),
          // Policy targets route through one Router for the run: its circuit breaker and quality
          // evidence are shared by every request, as in production.
          m_bandits(loaded_bandits(store)),
          m_router(providers, m_provider_set, [&store] { return store.quality_stats(); },
                   route::RouterOptions{3, 30000, {}, m_bandits->source()}),
          m_plan(plan), m_source(plan, options, done),
          m_total(plan.tasks * static_cast<std::int64_t>(plan.targets.size()) * options.repeats),
          m_completed(static_cast<std::int64_t>(done.size())), m_restored(std::move(restored)),
          m_wall_clock(options.sim_sleep || !all_simulated(providers, plan)) {
        std::vector<context::Calibration> stored;
        for (const auto& c : store.token_calibration()) {
            stored.push_back(context::Calibration{c.model, c.estimated, c.reported, c.calls});
        }
        m_tokens.load(stored);
        for (const auto& t : plan.targets) {
            if (t.policy && t.policy->max_cost_per_run_usd) {
                m_policy_budgets[t.name] = std::make_unique<route::RunBudget>(*t.policy->max_cost_per_run_usd);
            }
        }
    }

    void run() {
        while (true) {
            if (m_options.stop != nullptr && m_options.stop->load()) {
                m_stopping = true;
            }
            fill();
            if (m_in_flight == 0 && (m_stopping || (m_source_done && !m_held && m_waiting_count == 0 && m_flows.empty() &&
                                                    m_session_ready.empty()))) {
                break;
            }
            std::vector<Done> ready;
            {
                std::unique_lock lock(m_mutex);
                m_cv.wait_for(lock, std::chrono::milliseconds(200), [&] { return !m_finished.empty(); });
                ready.swap(m_finished);
            }
            for (auto& d : ready) {
                on_done(d);
            }
            // The cap is checked on what these completions spent, before any slot is refilled.
            if (m_options.max_cost_usd && m_outcome.spent_usd >= *m_options.max_cost_usd && !m_stopping) {
                m_stopping = true;
                m_outcome.status = "budget_exceeded";
            }
            // Refill the slots those completions freed before committing them, so the next
            // requests are on the wire while the results are written.
            fill();
            commit();
            show_progress();
        }
        if (m_options.progress) {
            m_progress << "\n";
        }
        if (m_outcome.status.empty()) {
            m_outcome.status = m_stopping ? "interrupted" : "completed";
        }
    }

  private:
    // The clock a workflow's queue waits are read on. When every call is simulated and not
    // slept, waiting for a slot takes no simulated time: the timeline (and so each task's
    // latency) is the same on any machine and at any -j.
    double task_clock() const { return m_wall_clock ? util::monotonic_ms() : 0; }

    static provider::ProviderOptions provider_options(const BenchOptions& options) {
        provider::ProviderOptions popts;
        popts.sim_sleep = options.sim_sleep;
        if (options.cache != nullptr) {
            popts.wrap = [cache = options.cache](std::unique_ptr<provider::Provider> p) { return cache->wrap(std::move(p)); };
        }
        return popts;
    }

    // Starts one call: a target's answer, or (with judge set) a judge's verdict on one.
    void call(const config::ModelConfig& model, Request req, Work w, std::optional<JudgeRef> judge,
              std::optional<StepRef> step = std::nullopt) {
        ++m_in_flight;
        ++m_provider_in_flight[m_providers.provider_of(model).name];
        m_provider_set.for_model(model).start(
            model, std::move(req),
            [this, w = std::move(w), judge = std::move(judge), step, m = &model](provider::Outcome o) mutable {
                std::lock_guard lock(m_mutex);
                m_finished.push_back(Done{std::move(w), std::move(o), std::move(judge), std::nullopt, step, m, std::nullopt});
                m_cv.notify_one();
            });
    }

    // Starts a routed call: a policy target's answer, or a workflow step under a policy.
    void route(const config::Policy& policy, route::RouteInput in, Work w, std::optional<StepRef> step) {
        ++m_in_flight;
        auto budget = m_policy_budgets.find(w.target->name);
        m_router.start(policy, std::move(in),
                       [this, w, step](route::RouteResult r) mutable {
                           provider::Outcome o = r.outcome;
                           std::lock_guard lock(m_mutex);
                           m_finished.push_back(Done{std::move(w), std::move(o), std::nullopt, std::move(r), step, nullptr, std::nullopt});
                           m_cv.notify_one();
                       },
                       budget == m_policy_budgets.end() ? nullptr : budget->second.get());
    }

    void launch(Work w) {
        Request req = make_request(w, m_options.seed);
        if (w.target->model != nullptr) {
            const config::ModelConfig& model = *w.target->model;
            call(model, std::move(req), std::move(w), std::nullopt);
            return;
        }
        route::RouteInput in{req.messages, req.task_type, w.task->tags, w.task->sensitive, req.key,
                             req.params, req.sim_hint, req.seed};
        const config::Policy& policy = *w.target->policy;
        route(policy, std::move(in), std::move(w), std::nullopt);
    }

    // The tools of an agent suite or agent step, compiled once.
    const tools::ToolBox& toolbox(const config::AgentSpec& spec) {
        auto& box = m_toolboxes[&spec];
        if (!box) {
            box = std::make_unique<tools::ToolBox>(spec);
        }
        return *box;
    }

    // A tool that runs a program: on a thread of its own (it may take until its timeout), its
    // outcome back through the completion queue. It counts as in flight, so the run waits for it.
    void run_tool(std::uint64_t flow, ToolJob job) {
        ++m_in_flight;
        const tools::ToolBox* box = job.tools;
        std::uint64_t id = m_next_tool_thread++;
        m_tool_threads.emplace(id, std::thread([this, box, flow, id, job = std::move(job)]() mutable {
            tools::ToolOutcome outcome = box->run(job.call);
            std::lock_guard lock(m_mutex);
            m_finished.push_back(Done{Work{}, provider::Outcome(util::unexpected(ProviderError{})), std::nullopt,
                                      std::nullopt, std::nullopt, nullptr,
                                      ToolRef{flow, std::move(job), std::move(outcome), id}});
            m_cv.notify_one();
        }));
    }

    // The session a conversation task shares memory with, as this run keys it: "" for none.
    static std::string session_key(const Work& w) {
        if (!w.task->context || w.task->conversation->session.empty()) {
            return "";
        }
        return fmt::format("{}\x1f{}\x1f{}", w.target->name, w.repeat, w.task->conversation->session);
    }

    // What a conversation task borrows: the token counter, the model a call would go to first,
    // the strategy (the policy's over the suite's), and its session's memory.
    ConversationEnv conversation_env(const Work& w) {
        ConversationEnv env;
        env.tokens = &m_tokens;
        const config::ContextSpec& spec = *w.task->context;
        const config::Policy* policy = w.target->policy.get();
        env.strategy = policy != nullptr && policy->compaction ? *policy->compaction : spec.strategy;
        std::string overflow = policy != nullptr && policy->on_context_length ? *policy->on_context_length
                                                                              : spec.on_context_length;
        env.compact_on_overflow = overflow == "compact";
        env.model_for = [this, target = w.target](const config::StepTask& step,
                                                  const std::vector<Message>& messages) -> const config::ModelConfig* {
            if (target->model != nullptr) {
                return target->model;
            }
            if (!step.model.empty()) {
                return m_providers.find_model(step.model);
            }
            route::RouteInput in{messages, step.type, step.tags, step.sensitive, "", {}, {}, 0};
            route::Decision d = m_router.explain(*target->policy, in);
            for (const auto& x : d.excluded) {
                if (d.chain.empty() && x.why == route::Exclusion::context) {
                    return m_providers.find_model(x.model); // the one it is too long for: cut it to fit
                }
            }
            return d.chain.empty() ? nullptr : m_providers.find_model(d.chain.front().model);
        };
        std::string key = session_key(w);
        if (!key.empty()) {
            auto known = m_memories.find(key);
            if (known != m_memories.end()) {
                env.memory.summary = known->second;
            } else {
                store::MemoryLookup m = m_store.memory(m_outcome.run_id, w.target->name, w.repeat,
                                                       w.task->conversation->session);
                env.memory = MemoryRead{m.summary, m.unavailable};
            }
        }
        return env;
    }

    // A workflow, agent or conversation task: its state machine, and its first calls queued.
    void start_flow(Work w, std::size_t width) {
        std::uint64_t id = m_next_flow++;
        store::StepRow identity;
        identity.run_id = m_outcome.run_id;
        identity.suite = w.suite->name;
        identity.task_id = w.task->id;
        identity.target = w.target->name;
        identity.repeat = w.repeat;
        auto restored = m_restored.find(store::work_key(identity.suite, identity.task_id, identity.target, w.repeat));
        m_reserved += width;
        const auto* done = restored == m_restored.end() ? nullptr : &restored->second;
        std::unique_ptr<TaskFlow> task;
        if (w.task->context) {
            task = std::make_unique<ConversationTask>(w.task, identity, done, conversation_env(w));
        } else if (w.task->agent) {
            task = std::make_unique<AgentTask>(w.task, toolbox(*w.task->agent), identity, done);
        } else {
            task = std::make_unique<WorkflowTask>(w.task, identity, done,
                                                  [this](const config::AgentSpec& spec) -> const tools::ToolBox& {
                                                      return toolbox(spec);
                                                  });
        }
        Flow f{w, std::move(task), width};
        m_flows.emplace(id, std::move(f));
        advance_flow(id);
    }

    // Queues the flow's steps whose inputs are in, records what finished, and once every step
    // is done scores the final output (judging it first when the suite has judges).
    void advance_flow(std::uint64_t id) {
        Flow& f = m_flows.at(id);
        for (auto step : f.task->take_to_score()) {
            score_step(id, step);
        }
        for (auto step : f.task->take_ready(task_clock())) {
            m_step_queue.push_back(StepRef{id, step});
        }
        for (auto& row : f.task->take_rows()) {
            m_step_batch.push_back(std::move(row));
        }
        for (auto& row : f.task->take_tool_rows()) {
            m_tool_batch.push_back(std::move(row));
        }
        for (auto& job : f.task->take_tool_jobs()) {
            run_tool(id, std::move(job));
        }
        if (!f.task->steps_done()) {
            return;
        }
        auto output = f.task->final_output();
        if (output) {
            auto pj = std::make_unique<PendingJudgement>(
                f.task->final_task(), *output, m_options.seed,
                fmt::format("{}/{}/{}/{}", f.work.suite->name, f.work.task->id, f.work.target->name, f.work.repeat));
            if (judge_in_flow(id, std::move(pj), k_no_step)) {
                return;
            }
        }
        finish_flow(id, nullptr);
    }

    void finish_flow(std::uint64_t id, const PendingJudgement* pj) {
        Flow& f = m_flows.at(id);
        std::optional<TaskScore> ts;
        if (auto output = f.task->final_output()) {
            eval::Candidate candidate{*output, f.task->critical_path_ms(), f.task->spent_usd(), std::nullopt,
                                      f.task->trajectory()};
            ts = pj != nullptr ? score_task(f.task->final_task(), candidate, pj->verdicts())
                               : score_task(f.task->final_task(), candidate);
        }
        const Target& t = *f.work.target;
        store::ResultRow row = f.task->result(ts ? &*ts : nullptr, pj != nullptr ? pj->cost_usd() : 0,
                                              f.work.suite->content_hash, t.policy ? t.policy->name : "");
        if (pj != nullptr) {
            add_judge_rows(*pj, f.work, "");
        }
        m_outcome.cost_usd += row.cost_usd + row.judge_cost_usd;
        m_outcome.errors += row.status == "error";
        m_outcome.unscored += row.status == "unscored";
        m_batch.push_back(std::move(row));
        m_reserved -= f.width;
        std::string session = session_key(f.work);
        if (!session.empty()) {
            // The session's memory as this task left it, then the session's next task.
            const auto& conversation = static_cast<const ConversationTask&>(*f.task);
            if (auto memory = conversation.memory_out()) {
                m_memories[session] = *memory;
                m_memory_batch.push_back(store::MemoryRow{m_outcome.run_id, f.work.suite->name, f.work.task->id,
                                                          f.work.target->name, f.work.repeat,
                                                          conversation.session(), *memory});
            }
            auto waiting = m_session_waiting.find(session);
            if (waiting != m_session_waiting.end() && !waiting->second.empty()) {
                m_session_ready.push_back(std::move(waiting->second.front()));
                waiting->second.pop_front();
            } else {
                m_session_busy.erase(session);
                if (waiting != m_session_waiting.end()) {
                    m_session_waiting.erase(waiting);
                }
            }
        }
        m_flows.erase(id);
    }

    // Launches the queued steps the limits allow: -j, and each provider's max_concurrency for
    // a step whose model is known before the call.
    void drain_steps() {
        for (auto it = m_step_queue.begin(); it != m_step_queue.end() && !m_stopping && m_in_flight < m_options.jobs;) {
            Flow& f = m_flows.at(it->flow);
            const config::StepTask& spec = f.task->spec(it->step);
            const config::ModelConfig* model = f.work.target->model;
            if (model == nullptr && !spec.model.empty()) {
                model = m_providers.find_model(spec.model);
            }
            if (model != nullptr && !has_room(*model)) {
                ++it;
                continue;
            }
            StepRef ref = *it;
            it = m_step_queue.erase(it);
            const Work& w = f.work;
            Request req = f.task->request(
                ref.step, fmt::format("{}/{}/{}/{}", w.suite->name, w.task->id, w.repeat, spec.id), m_options.seed);
            f.task->started(ref.step, task_clock());
            if (model != nullptr) {
                call(*model, std::move(req), w, std::nullopt, ref);
                continue;
            }
            const config::Policy& policy =
                spec.policy.empty() ? *w.target->policy : *m_plan.step_policies.at(spec.policy);
            route::RouteInput in{req.messages, req.task_type, spec.tags, spec.sensitive, req.key,
                                 req.params, req.sim_hint, req.seed, req.tools};
            in.compact_on_overflow = spec.compact_on_overflow;
            route(policy, std::move(in), w, ref);
        }
    }

    // A step's answer: recorded, its dependents released, and judged when it has judges.
    void on_step_answer(Done& d) {
        auto fit = m_flows.find(d.step->flow);
        Flow& f = fit->second;
        std::size_t step = d.step->step;
        const config::StepTask& spec = f.task->spec(step);
        std::string policy;
        if (d.route) {
            policy = spec.policy.empty() ? f.work.target->policy->name : m_plan.step_policies.at(spec.policy)->name;
            route::RouteInput in{f.task->step_task(step).messages, spec.type, spec.tags, spec.sensitive, "", {}, {}, 0};
            m_route_batch.push_back(route::make_log_entry(
                fmt::format("run{}/{}/{}/{}/{}/{}", m_outcome.run_id, f.work.suite->name, f.work.task->id,
                            f.work.target->name, f.work.repeat, spec.id),
                policy, in, *d.route));
        }
        if (d.route) {
            m_outcome.spent_usd += d.route->total_cost_usd;
        } else if (d.outcome && !d.outcome.value().cached && !d.outcome.value().recorded_score) {
            m_outcome.spent_usd += d.outcome.value().cost_usd;
        }
        f.task->answered(step, d.outcome, d.route, policy);
        advance_flow(d.step->flow);
    }

    // Starts the judges of a flow's step (or, with k_no_step, of its final output); false when
    // it has none.
    bool judge_in_flow(std::uint64_t flow, std::unique_ptr<PendingJudgement> pj, std::size_t step) {
        if (!pj->has_judges()) {
            return false;
        }
        std::uint64_t pid = m_next_pending++;
        auto calls = pj->initial_calls();
        Work w = m_flows.at(flow).work;
        m_judging.emplace(pid, Pending{w, provider::Outcome(util::unexpected(ProviderError{})), std::nullopt,
                                       std::move(pj), flow, step});
        start_judge_calls(pid, w, std::move(calls));
        return true;
    }

    // A complete step scored by its own evaluators: at once, or once its judges have answered.
    void score_step(std::uint64_t flow, std::size_t step) {
        Flow& f = m_flows.at(flow);
        StepAnswer a = f.task->step_answer(step);
        auto pj = std::make_unique<PendingJudgement>(
            f.task->step_task(step), a.text, m_options.seed,
            fmt::format("{}/{}/{}/{}/{}", f.work.suite->name, f.work.task->id, f.work.target->name, f.work.repeat,
                        a.step_id));
        if (judge_in_flow(flow, std::move(pj), step)) {
            return; // its dependents need its answer, not its verdicts
        }
        eval::Candidate candidate{a.text, a.latency_ms, a.cost_usd, a.recorded_score, a.trajectory};
        f.task->scored(step, score_task(f.task->step_task(step), candidate), 0);
    }

    void finish_step_judging(Pending& p) {
        Flow& f = m_flows.at(*p.flow);
        StepAnswer a = f.task->step_answer(p.step);
        eval::Candidate candidate{a.text, a.latency_ms, a.cost_usd, a.recorded_score, a.trajectory};
        f.task->scored(p.step, score_task(f.task->step_task(p.step), candidate, p.judging->verdicts()),
                       p.judging->cost_usd());
        add_judge_rows(*p.judging, f.work, a.step_id);
        advance_flow(*p.flow);
    }

    void add_judge_rows(const PendingJudgement& pj, const Work& w, const std::string& step) {
        for (auto jc : pj.calls()) {
            jc.run_id = m_outcome.run_id;
            jc.suite = w.suite->name;
            jc.task_id = w.task->id;
            jc.target = w.target->name;
            jc.repeat = w.repeat;
            jc.step = step;
            m_judge_batch.push_back(std::move(jc));
        }
    }

    void start_judge_calls(std::uint64_t id, const Work& w, std::vector<JudgeCallSpec> calls) {
        for (auto& c : calls) {
            const config::ModelConfig* judge_model = m_providers.find_model(c.judge_model);
            Request req = c.request;
            call(*judge_model, std::move(req), w, JudgeRef{id, std::move(c)});
        }
    }

    bool has_room(const config::ModelConfig& m) {
        const auto& pcfg = m_providers.provider_of(m);
        return m_provider_in_flight[pcfg.name] < pcfg.max_concurrency;
    }

    // Dispatch as much as the limits allow: first work held for a provider, then new work.
    // Workflow steps already under way come first; new work only while none is waiting.
    void fill() {
        drain_steps();
        for (auto& [name, queue] : m_waiting) {
            while (!m_stopping && m_in_flight < m_options.jobs && !queue.empty() && has_room(*queue.front().target->model)) {
                Work w = std::move(queue.front());
                queue.pop_front();
                --m_waiting_count;
                launch(std::move(w));
            }
        }
        while (!m_stopping && (m_held || !m_source_done || !m_session_ready.empty()) && m_in_flight < m_options.jobs &&
               m_step_queue.empty() && m_waiting_count < static_cast<std::size_t>(m_options.jobs) * 4) {
            Work w;
            if (m_held) {
                w = std::move(*m_held);
                m_held.reset();
            } else if (!m_session_ready.empty()) {
                w = std::move(m_session_ready.front());
                m_session_ready.pop_front();
            } else if (!m_source.next(w)) {
                m_source_done = true;
                continue;
            } else if (std::string session = session_key(w);
                       !session.empty() && !m_session_busy.insert(session).second) {
                // A session's tasks run one after another, each reading the memory the one before
                // left: this one waits for its turn (the session stays taken until the last ends).
                m_session_waiting[session].push_back(std::move(w));
                continue;
            }
            if (!w.task->steps.empty() || w.task->agent || w.task->context) {
                // A workflow starts once the slots for its widest stage are free, so that its
                // parallel steps run side by side rather than wait for each other's slots: what a
                // task's end-to-end latency measures is the workflow, not the bench's queue.
                std::size_t width = w.task->agent || w.task->context ? 1 : parallel_width(*w.task);
                if (!m_flows.empty() && m_reserved + width > static_cast<std::size_t>(m_options.jobs)) {
                    m_held = std::move(w);
                    break;
                }
                start_flow(std::move(w), width);
                drain_steps();
            } else if (w.target->model == nullptr || has_room(*w.target->model)) {
                launch(std::move(w));
            } else {
                m_waiting[m_providers.provider_of(*w.target->model).name].push_back(std::move(w));
                ++m_waiting_count;
            }
        }
    }

    // One completed call: a judge's verdict goes to its pending result; a target's answer is
    // judged when its task has judges, else it is a result.
    void on_done(Done& d) {
        --m_in_flight;
        if (d.counted != nullptr) {
            --m_provider_in_flight[m_providers.provider_of(*d.counted).name];
        }
        if (d.step) {
            on_step_answer(d);
            return;
        }
        if (d.tool) {
            auto thread = m_tool_threads.find(d.tool->thread);
            thread->second.join(); // it has handed its outcome over: only its return is left
            m_tool_threads.erase(thread);
            m_flows.at(d.tool->flow).task->tool_done(d.tool->job, d.tool->outcome);
            advance_flow(d.tool->flow);
            return;
        }
        if (d.judge) {
            if (d.outcome && !d.outcome.value().cached) {
                m_outcome.spent_usd += d.outcome.value().cost_usd;
            }
            auto it = m_judging.find(d.judge->pending);
            Pending& p = it->second;
            auto more = p.judging->on_reply(d.judge->call, d.outcome);
            if (!more.empty()) {
                start_judge_calls(it->first, p.work, std::move(more));
            } else if (p.judging->complete()) {
                if (p.flow && p.step != k_no_step) {
                    finish_step_judging(p);
                } else if (p.flow) {
                    finish_flow(*p.flow, p.judging.get());
                } else {
                    finish_result(p.work, p.outcome, p.route, p.judging.get());
                }
                m_judging.erase(it);
            }
            return;
        }
        if (d.outcome) {
            auto pj = std::make_unique<PendingJudgement>(
                *d.work.task, d.outcome.value().text, m_options.seed,
                fmt::format("{}/{}/{}/{}", d.work.suite->name, d.work.task->id, d.work.target->name, d.work.repeat));
            if (pj->has_judges()) {
                std::uint64_t id = m_next_pending++;
                auto calls = pj->initial_calls();
                Work w = d.work;
                m_judging.emplace(id, Pending{d.work, std::move(d.outcome), std::move(d.route), std::move(pj), std::nullopt, k_no_step});
                start_judge_calls(id, w, std::move(calls));
                return;
            }
        }
        finish_result(d.work, d.outcome, d.route, nullptr);
    }

    void finish_result(const Work& w, const provider::Outcome& o, const std::optional<route::RouteResult>& rr,
                       const PendingJudgement* pj) {
        m_batch.push_back(make_row(m_outcome.run_id, w, o, rr, pj));
        if (rr) {
            route::RouteInput in{w.task->messages, w.task->type, w.task->tags, w.task->sensitive, "", {}, {}, 0};
            m_route_batch.push_back(route::make_log_entry(
                fmt::format("run{}/{}/{}/{}/{}", m_outcome.run_id, w.suite->name, w.task->id, w.target->name, w.repeat),
                w.target->policy->name, in, *rr));
            auto& entry = m_route_batch.back();
            if (const auto& row = m_batch.back(); row.score) {
                entry.reward = row.score;
                if (auto obs = route::bandit_observation(entry, *row.score)) {
                    m_bandits->observe(*obs);
                }
            }
        }
        const auto& row = m_batch.back();
        m_outcome.cost_usd += row.cost_usd + row.judge_cost_usd;
        // A replayed answer was recorded, not bought: its cost is what it cost then.
        bool replayed = o && o.value().recorded_score.has_value();
        m_outcome.spent_usd += row.cached || replayed ? 0 : row.cost_usd;
        m_outcome.cache_hits += row.cached ? 1 : 0;
        m_outcome.replayed += replayed ? 1 : 0;
        m_outcome.errors += row.status == "error";
        m_outcome.unscored += row.status == "unscored";
        if (pj != nullptr) {
            add_judge_rows(*pj, w, "");
        }
    }

    // Group commit: everything that completed since the last commit, in one transaction.
    void commit() {
        m_store.add_step_results(m_step_batch); // before the task rows they add up to
        m_step_batch.clear();
        m_store.add_tool_calls(m_tool_batch); // the turns' calls, beside the turns
        m_tool_batch.clear();
        m_store.put_memories(m_memory_batch); // before the results that make them count
        m_memory_batch.clear();
        std::vector<store::TokenCalibration> calibration;
        for (const auto& c : m_tokens.take_observed()) {
            calibration.push_back(store::TokenCalibration{c.model, c.estimated, c.reported, c.calls});
        }
        m_store.add_token_calibration(calibration);
        m_store.add_results(m_batch);
        m_store.add_judge_calls(m_judge_batch);
        m_judge_batch.clear();
        for (const auto& e : m_route_batch) {
            m_store.log_route(e);
        }
        m_route_batch.clear();
        m_store.add_bandit_observations(m_bandits->take_pending());
        if (m_options.cache != nullptr) {
            m_options.cache->flush();
        }
        m_outcome.results += static_cast<std::int64_t>(m_batch.size());
        m_completed += static_cast<std::int64_t>(m_batch.size());
        m_batch.clear();
    }

    void show_progress() {
        if (m_options.progress && (util::monotonic_ms() - m_last_progress > 100 || m_in_flight == 0)) {
            m_last_progress = util::monotonic_ms();
            m_progress << fmt::format("\r[{}/{}] {} in flight, {} errors, ${:.4f}   ", m_completed, m_total,
                                      m_in_flight, m_outcome.errors, m_outcome.cost_usd)
                       << std::flush;
        }
    }

    const config::ProvidersConfig& m_providers;
    const BenchOptions& m_options;
    store::Store& m_store;
    std::ostream& m_progress;
    BenchOutcome& m_outcome;
    provider::ProviderSet m_provider_set;
    std::unique_ptr<route::BanditBook> m_bandits; // what bandit rules learn, run by run
    route::Router m_router;
    std::map<std::string, std::unique_ptr<route::RunBudget>> m_policy_budgets;
    const BenchPlan& m_plan;
    WorkSource m_source;

    std::mutex m_mutex; // guards m_finished, filled from provider threads
    std::condition_variable m_cv;
    std::vector<Done> m_finished;

    std::map<std::string, std::int64_t> m_provider_in_flight;
    std::map<std::string, std::deque<Work>> m_waiting; // held back by a provider's own limit
    std::size_t m_waiting_count = 0;
    std::int64_t m_in_flight = 0;
    bool m_source_done = false;
    bool m_stopping = false;
    std::map<std::uint64_t, Pending> m_judging;
    std::uint64_t m_next_pending = 0;

    std::map<std::uint64_t, Flow> m_flows;
    std::uint64_t m_next_flow = 0;
    std::size_t m_reserved = 0;  // slots the running workflows hold (their widths)
    std::optional<Work> m_held;  // a workflow waiting for slots to start
    std::deque<StepRef> m_step_queue; // workflow steps whose inputs are in, waiting for a slot
    context::TokenCounter m_tokens;   // calibrated per model as calls report their usage
    // Conversation sessions: the ones with a task in flight, the tasks waiting their turn, the
    // next tasks released by the one before, and each session's memory so far.
    std::set<std::string> m_session_busy;
    std::map<std::string, std::deque<Work>> m_session_waiting;
    std::deque<Work> m_session_ready;
    std::map<std::string, std::string> m_memories;
    std::vector<store::MemoryRow> m_memory_batch;

    std::vector<store::ResultRow> m_batch;
    std::vector<store::StepRow> m_step_batch;
    std::vector<store::ToolCallRow> m_tool_batch;
    std::map<const config::AgentSpec*, std::unique_ptr<tools::ToolBox>> m_toolboxes; // one per agent suite
    std::map<std::uint64_t, std::thread> m_tool_threads; // program tools running
    std::uint64_t m_next_tool_thread = 0;
    std::vector<store::RouteLogEntry> m_route_batch;
    std::vector<store::JudgeCall> m_judge_batch;
    std::int64_t m_total;
    std::int64_t m_completed;
    std::unordered_map<std::string, std::vector<store::StepRow>> m_restored; // a resumed run's steps
    bool m_wall_clock = true; // see task_clock()
    double m_last_progress = 0;
};

} // namespace

BenchOutcome run_bench(const config::ProvidersConfig& providers, const BenchPlan& plan,
                       const BenchOptions& options, store::Store& store, std::ostream& progress) {
    BenchOutcome outcome;
    std::unordered_set<std::string> done;
    outcome.run_id = open_run(providers, plan, options, store, done);
    auto restored = options.resume_run ? store.unfinished_steps(outcome.run_id)
                                       : std::unordered_map<std::string, std::vector<store::StepRow>>{};
    {
        // Destroyed before the run is marked finished: every provider thread has stopped.
        BenchRun run(providers, plan, options, store, progress, outcome, done, std::move(restored));
        run.run();
    }
    store.set_run_status(outcome.run_id, outcome.status, true);
    return outcome;
}

} // namespace orch::bench
