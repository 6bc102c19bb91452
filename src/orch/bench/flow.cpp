#include <orch/bench/flow.hpp>

#include <algorithm>

namespace orch::bench {

void record_call(store::StepRow& row, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                 const std::string& policy) {
    if (route) {
        row.model = route->model_used;
        row.route = {{"policy", policy}, {"rule", route->rule}, {"chain", route->chain}};
        row.cost_usd = route->total_cost_usd;
        row.latency_ms = route->total_latency_ms;
        row.input_tokens = route->usage.input_tokens;
        row.output_tokens = route->usage.output_tokens;
    }
    if (!outcome) {
        const ProviderError& e = outcome.error();
        row.status = "error";
        row.error_kind = to_string(e.kind);
        row.error = e.message;
        row.retries = e.retries;
        if (!route) {
            row.latency_ms = e.latency_ms;
        }
    } else {
        const Completion& c = outcome.value();
        if (!route) {
            row.model = c.model;
            row.cost_usd = c.cost_usd;
            row.latency_ms = c.latency_ms;
            row.input_tokens = c.usage.input_tokens;
            row.output_tokens = c.usage.output_tokens;
        }
        row.retries = c.retries;
        row.cached = c.cached;
    }
    row.end_ms = row.start_ms + row.latency_ms;
}

store::ResultRow sum_call_rows(const config::Task& task, const store::StepRow& id,
                               const std::vector<const store::StepRow*>& rows, const std::string& suite_hash,
                               double judge_cost_usd, const std::string& policy) {
    store::ResultRow row;
    row.run_id = id.run_id;
    row.suite = id.suite;
    row.suite_hash = suite_hash;
    row.task_id = id.task_id;
    row.task_type = task.type;
    row.target = id.target;
    row.repeat = id.repeat;
    row.threshold = task.threshold;
    row.judge_cost_usd = judge_cost_usd;
    row.cached = true;
    bool ran = false;
    std::vector<std::string> models;
    nlohmann::json steps = nlohmann::json::object();
    for (const store::StepRow* r : rows) {
        row.input_tokens += r->input_tokens;
        row.output_tokens += r->output_tokens;
        row.cost_usd += r->cost_usd;
        row.judge_cost_usd += r->judge_cost_usd;
        row.retries += r->retries;
        if (r->status != "skipped") {
            row.cached = row.cached && r->cached;
            ran = true;
        }
        if (!r->model.empty() && std::find(models.begin(), models.end(), r->model) == models.end()) {
            models.push_back(r->model);
        }
        nlohmann::json& step = steps[r->step_id];
        step = {{"model", r->model}, {"status", r->status}};
        if (r->route.is_object()) {
            step["rule"] = r->route.value("rule", "");
        }
        if (r->passed) {
            step["passed"] = *r->passed;
        }
    }
    row.cached = row.cached && ran;
    row.model = models.size() == 1 ? models.front() : "";
    row.route = {{"steps", steps}};
    if (!policy.empty()) {
        row.route["policy"] = policy;
    }
    row.evaluations = nlohmann::json::array();
    return row;
}

void record_score(store::ResultRow& row, const TaskScore* score) {
    if (score != nullptr && score->scored) {
        row.status = "scored";
        row.score = score->score;
        row.passed = score->passed;
        row.evaluations = score->evaluations;
        return;
    }
    row.status = "unscored";
    row.error_kind = "evaluator";
    row.error = score != nullptr ? score->reason : "not scored";
    if (score != nullptr) {
        row.evaluations = score->evaluations;
    }
}

void record_failure(store::ResultRow& row, const store::StepRow& failed) {
    row.status = "error";
    row.error_kind = failed.error_kind;
    row.error = failed.step_id + ": " + failed.error;
    row.failed_step = failed.step_id;
}

void record_step_score(store::StepRow& row, const TaskScore& score, double judge_cost_usd, bool has_evaluators) {
    row.judge_cost_usd = judge_cost_usd;
    row.evaluations = score.evaluations;
    if (!has_evaluators) {
        row.status = "answered";
    } else if (score.scored) {
        row.status = "scored";
        row.score = score.score;
        row.passed = score.passed;
    } else {
        row.status = "unscored";
        row.error_kind = "evaluator";
        row.error = score.reason;
    }
}

} // namespace orch::bench
