#pragma once
// `orch report --format csv`: RFC 4180 quoting with LF line ends, a header line, numbers
// with fixed decimals, empty fields for "no value". The column lists below are the contract;
// columns are only ever added at the end.
#include <orch/report/leaderboard.hpp>

#include <iosfwd>
#include <vector>

namespace orch::report {

// One row per target per run:
// run_id,run_started_at,simulated,target,tasks,scored,unscored,errors,passed,pass_rate,
// quality_mean,quality_ci95_lo,quality_ci95_hi,cost_per_task_usd,cost_per_1k_tasks_usd,
// generation_cost_usd,judge_cost_usd,total_cost_usd,latency_p50_ms,latency_p95_ms,
// ttft_p50_ms,cache_hits,input_tokens,output_tokens,retries
void print_csv(const std::vector<Leaderboard>& boards, std::ostream& out);

// One row per result (--per-task), streamed from the database in run, target, suite, task,
// repeat order; outputs are left out, the evaluator reasons are in:
// run_id,simulated,target,model,suite,task_id,task_type,repeat,status,score,passed,threshold,
// cost_usd,judge_cost_usd,latency_ms,ttft_ms,input_tokens,output_tokens,cached,route_rule,
// error_kind,reasons
// Throws orch::Error(config) for an unknown run.
void print_csv_per_task(store::Store& store, const std::vector<std::int64_t>& run_ids,
                        std::ostream& out);

} // namespace orch::report
