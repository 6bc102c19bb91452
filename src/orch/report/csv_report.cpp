#include <orch/core/error.hpp>
#include <orch/report/csv_report.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <ostream>

namespace orch::report {

namespace {

std::string fixed(double v, int decimals) {
    return fmt::format("{:.{}f}", round_to(v, decimals), decimals);
}

} // namespace

void print_csv(const std::vector<Leaderboard>& boards, std::ostream& out) {
    out << "run_id,run_started_at,simulated,target,tasks,scored,unscored,errors,passed,pass_rate,"
           "quality_mean,quality_ci95_lo,quality_ci95_hi,cost_per_task_usd,cost_per_1k_tasks_usd,"
           "generation_cost_usd,judge_cost_usd,total_cost_usd,latency_p50_ms,latency_p95_ms,"
           "ttft_p50_ms,cache_hits,input_tokens,output_tokens,retries\n";
    for (const auto& board : boards) {
        for (const auto& t : board.targets) {
            out << fmt::format(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n",
                board.run.id, csv_field(board.run.started_at), t.simulated ? "true" : "false",
                csv_field(t.target), t.attempted, t.scored, t.unscored, t.errors, t.passed,
                fixed(t.pass_rate, 4), fixed(t.quality.mean, 4),
                fixed(std::max(0.0, t.quality.lo), 4), fixed(std::min(1.0, t.quality.hi), 4),
                fixed(t.cost_per_task, 8), fixed(t.cost_per_task * 1000, 8), fixed(t.cost_usd, 8),
                fixed(t.judge_cost_usd, 8), fixed(t.total_cost_usd(), 8),
                t.latency_n > 0 ? fixed(t.latency_p50, 1) : "",
                t.latency_n > 0 ? fixed(t.latency_p95, 1) : "",
                t.ttft_n > 0 ? fixed(t.ttft_p50, 1) : "", t.cache_hits, t.input_tokens,
                t.output_tokens, t.retries);
        }
    }
}

void print_csv_per_task(store::Store& store, const std::vector<std::int64_t>& run_ids,
                        std::ostream& out) {
    for (auto id : run_ids) {
        if (!store.run(id)) {
            throw Error(ErrorKind::config,
                        fmt::format("no run {} in the database (see 'orch runs list')", id));
        }
    }
    out << "run_id,simulated,target,model,suite,task_id,task_type,repeat,status,score,passed,"
           "threshold,"
           "cost_usd,judge_cost_usd,latency_ms,ttft_ms,input_tokens,output_tokens,cached,route_"
           "rule,"
           "error_kind,reasons\n";
    for (auto id : run_ids) {
        store.for_each_result(id, [&](const store::ResultRow& r) {
            std::string reasons;
            for (const auto& reason : result_reasons(r)) {
                reasons += (reasons.empty() ? "" : "; ") + reason;
            }
            out << fmt::format(
                "{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{},{}\n", r.run_id,
                r.simulated ? "true" : "false", csv_field(r.target), csv_field(r.model),
                csv_field(r.suite), csv_field(r.task_id), csv_field(r.task_type), r.repeat,
                r.status, r.score ? fixed(*r.score, 4) : "",
                r.passed ? (*r.passed ? "true" : "false") : "", fixed(r.threshold, 4),
                fixed(r.cost_usd, 8), fixed(r.judge_cost_usd, 8), fixed(r.latency_ms, 1),
                r.ttft_ms ? fixed(*r.ttft_ms, 1) : "", r.input_tokens, r.output_tokens,
                r.cached ? "true" : "false", csv_field(route_rule(r)), csv_field(r.error_kind),
                csv_field(reasons));
        });
    }
}

} // namespace orch::report
