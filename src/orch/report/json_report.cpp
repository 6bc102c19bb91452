#include <orch/report/json_report.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <ostream>

namespace orch::report {

namespace {

using ojson = nlohmann::ordered_json;

ojson target_json(const TargetStats& t) {
    ojson j;
    j["target"] = t.target;
    j["simulated"] = t.simulated;
    j["tasks"] = t.attempted;
    j["scored"] = t.scored;
    j["unscored"] = t.unscored;
    j["errors"] = t.errors;
    j["passed"] = t.passed;
    j["pass_rate"] = round_to(t.pass_rate, 4);
    j["quality"] = ojson{
        {"mean", round_to(t.quality.mean, 4)},
        {"ci95",
         {round_to(std::max(0.0, t.quality.lo), 4), round_to(std::min(1.0, t.quality.hi), 4)}},
        {"n", t.quality.n}};
    j["cost_usd"] = ojson{{"per_task", round_to(t.cost_per_task, 8)},
                          {"per_1k_tasks", round_to(t.cost_per_task * 1000, 8)},
                          {"generation", round_to(t.cost_usd, 8)},
                          {"judging", round_to(t.judge_cost_usd, 8)},
                          {"total", round_to(t.total_cost_usd(), 8)}};
    if (t.latency_n > 0) {
        j["latency_ms"] =
            ojson{{"p50", round_to(t.latency_p50, 1)}, {"p95", round_to(t.latency_p95, 1)},
                  {"min", round_to(t.latency_min, 1)}, {"p25", round_to(t.latency_p25, 1)},
                  {"p75", round_to(t.latency_p75, 1)}, {"max", round_to(t.latency_max, 1)}};
    } else {
        j["latency_ms"] = nullptr;
    }
    j["ttft_ms"] = t.ttft_n > 0 ? ojson{{"p50", round_to(t.ttft_p50, 1)}} : ojson(nullptr);
    j["cache_hits"] = t.cache_hits;
    j["tokens"] = ojson{{"input", t.input_tokens}, {"output", t.output_tokens}};
    j["retries"] = t.retries;
    return j;
}

ojson result_json(const store::ResultRow& r, std::size_t clip_bytes) {
    ojson j;
    j["target"] = r.target;
    j["model"] = r.model;
    j["suite"] = r.suite;
    j["task_id"] = r.task_id;
    j["task_type"] = r.task_type;
    j["repeat"] = r.repeat;
    j["status"] = r.status;
    j["score"] = r.score ? ojson(round_to(*r.score, 4)) : ojson(nullptr);
    j["passed"] = r.passed ? ojson(*r.passed) : ojson(nullptr);
    j["threshold"] = round_to(r.threshold, 4);
    ojson reasons = ojson::array();
    for (const auto& reason : result_reasons(r)) {
        reasons.push_back(valid_utf8(reason));
    }
    j["reasons"] = reasons;
    // Round-trip through text: evaluations arrive as nlohmann::json (sorted keys).
    j["evaluations"] = ojson::parse(
        r.evaluations.is_null()
            ? "[]"
            : r.evaluations.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    j["output"] = valid_utf8(r.output);
    // The leaderboard clipped long outputs to clip_bytes and appended "…".
    j["output_clipped"] = r.output.size() > clip_bytes;
    if (r.trajectory.is_object()) {
        j["trajectory"] = ojson::parse(r.trajectory.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    }
    j["error_kind"] = r.error_kind;
    j["error"] = valid_utf8(r.error);
    j["route"] =
        r.route.is_null()
            ? ojson(nullptr)
            : ojson::parse(r.route.dump(-1, ' ', false, nlohmann::json::error_handler_t::replace));
    j["cost_usd"] = round_to(r.cost_usd, 8);
    j["judge_cost_usd"] = round_to(r.judge_cost_usd, 8);
    j["latency_ms"] = round_to(r.latency_ms, 1);
    j["cached"] = r.cached;
    j["simulated"] = r.simulated;
    return j;
}

ojson run_json(const Leaderboard& board) {
    const auto& run = board.run;
    ojson j;
    j["id"] = run.id;
    j["started_at"] = run.started_at;
    j["finished_at"] = run.finished_at.empty() ? ojson(nullptr) : ojson(run.finished_at);
    j["status"] = run.status;
    j["command"] = valid_utf8(run.command);
    j["orch_version"] = run.orch_version;
    j["git_rev"] = run.git_rev;
    j["providers_hash"] = run.providers_hash;
    j["seed"] = run.seed;
    j["repeats"] = run.repeats;
    j["suites"] = ojson::parse(run.suites.is_null() ? "{}" : run.suites.dump());
    j["simulated"] = board.simulated;
    ojson targets = ojson::array();
    for (const auto& t : board.targets) {
        targets.push_back(target_json(t));
    }
    j["targets"] = targets;
    ojson by_type = ojson::object();
    for (const auto& [type, stats] : board.by_type) {
        ojson v = ojson::array();
        for (const auto& t : stats) {
            v.push_back(target_json(t));
        }
        by_type[type] = v;
    }
    j["by_type"] = by_type;
    ojson worst = ojson::array();
    for (const auto& r : board.worst) {
        worst.push_back(result_json(r, board.worst_output_bytes));
    }
    j["worst"] = worst;
    ojson workflows = ojson::array();
    for (const auto& w : board.workflows) {
        ojson wf;
        wf["suite"] = w.suite;
        wf["target"] = w.target;
        wf["tasks"] = w.tasks;
        wf["failed"] = w.failed;
        wf["latency_p50_ms"] = round_to(w.latency_p50, 1);
        wf["latency_p95_ms"] = round_to(w.latency_p95, 1);
        wf["sequential_p50_ms"] = round_to(w.sequential_p50, 1);
        ojson steps = ojson::array();
        for (const StepStats& s : w.steps) {
            ojson st;
            st["step"] = s.step;
            st["type"] = s.step_type;
            st["runs"] = s.runs;
            st["scored"] = s.scored;
            st["unscored"] = s.unscored;
            st["passed"] = s.passed;
            st["errors"] = s.errors;
            st["skipped"] = s.skipped;
            st["pass_rate"] = s.checked() ? ojson(round_to(s.pass_rate, 4)) : ojson(nullptr);
            st["quality"] = s.scored > 0 ? ojson(round_to(s.quality, 4)) : ojson(nullptr);
            st["cost_usd"] = round_to(s.cost_usd, 8);
            st["cost_share"] = round_to(s.cost_share, 4);
            st["latency_p50_ms"] = round_to(s.latency_p50, 1);
            st["latency_share"] = round_to(s.latency_share, 4);
            st["start_mean_ms"] = round_to(s.start_mean_ms, 1);
            st["failures_began"] = s.failures_began;
            ojson models = ojson::object();
            for (const auto& [model, n] : s.models) {
                models[model] = n;
            }
            st["models"] = models;
            steps.push_back(st);
        }
        wf["steps"] = steps;
        workflows.push_back(wf);
    }
    j["workflows"] = workflows;
    ojson agents = ojson::array();
    for (const auto& a : board.agents) {
        ojson ag;
        ag["suite"] = a.suite;
        ag["target"] = a.target;
        ag["tasks"] = a.tasks;
        ag["solved"] = a.solved;
        ag["errors"] = a.errors;
        AgentRates r = agent_rates(a);
        auto rounded = [](const std::optional<double>& v, int digits) {
            return v ? ojson(round_to(*v, digits)) : ojson(nullptr);
        };
        ag["success_rate"] = rounded(r.success, 4);
        ag["tool_calls"] = a.tool_calls;
        ag["invalid_calls"] = a.invalid_calls;
        ag["validity_rate"] = rounded(r.validity, 4);
        ag["mean_turns"] = rounded(r.turns_per_task, 3);
        ag["mean_tool_calls"] = rounded(r.calls_per_task, 3);
        ag["stopped_at_limit"] = a.at_limit;
        ag["cost_per_solved_usd"] = rounded(r.cost_per_solved_usd, 8);
        agents.push_back(ag);
    }
    j["agents"] = agents;
    ojson contexts = ojson::array();
    for (const auto& c : board.contexts) {
        ojson cx;
        cx["suite"] = c.suite;
        cx["target"] = c.target;
        cx["tasks"] = c.tasks;
        cx["passed"] = c.passed;
        cx["errors"] = c.errors;
        cx["compactions"] = c.compactions;
        cx["rejected"] = c.rejected;
        cx["compacted"] = c.compacted;
        cx["kept_previous"] = c.kept_previous;
        cx["truncated"] = c.truncated;
        cx["facts_planted"] = c.facts_planted;
        cx["facts_kept"] = c.facts_kept;
        cx["compaction_cost_usd"] = round_to(c.compaction_cost_usd, 8);
        cx["cost_usd"] = round_to(c.cost_usd, 8);
        cx["mean_abs_estimate_error_pct"] =
            c.estimates > 0 ? ojson(round_to(c.abs_estimate_error_pct / static_cast<double>(c.estimates), 3)) : ojson(nullptr);
        contexts.push_back(cx);
    }
    j["contexts"] = contexts;
    return j;
}

} // namespace

nlohmann::ordered_json report_json(const std::vector<Leaderboard>& boards) {
    ojson j;
    j["schema"] = "orch.report/1";
    bool simulated = false;
    ojson runs = ojson::array();
    for (const auto& b : boards) {
        simulated = simulated || b.simulated;
        runs.push_back(run_json(b));
    }
    j["simulated"] = simulated;
    j["runs"] = runs;
    return j;
}

void print_json(const std::vector<Leaderboard>& boards, std::ostream& out) {
    out << report_json(boards).dump(2, ' ', false, nlohmann::json::error_handler_t::replace)
        << "\n";
}

} // namespace orch::report
