#pragma once
// `orch report --format json`: the leaderboards of one or more runs as one JSON document.
//
// The shape, schema "orch.report/1". It is stable: fields may be added, none is renamed or
// changes meaning without a new schema name. Keys appear in this order; numbers are rounded
// (scores and rates to 4 decimals, USD to 8, milliseconds to 1).
//
// {
//   "schema": "orch.report/1",
//   "simulated": true,                  // true when any run below is simulated
//   "runs": [{
//     "id": 1,
//     "started_at": "2026-11-23T17:42:49Z", "finished_at": "…" | null, "status": "completed",
//     "command": "orch bench …", "orch_version": "0.1.0", "git_rev": "159ff28",
//     "providers_hash": "…", "seed": 42, "repeats": 1,
//     "suites": {"support-triage": "<content hash>", …},
//     "simulated": true,                // results from the built-in simulated fleet
//     "targets": [Target, …],           // best quality first
//     "by_type": {"classify": [Target, …], …},   // task type -> targets, best first
//     "worst": [Result, …]              // worst first (see Leaderboard::worst)
//   }, …]
// }
//
// Target = {
//   "target": "sim-frontier", "simulated": true,
//   "tasks": 184, "scored": 184, "unscored": 0, "errors": 0, "passed": 176,
//   "pass_rate": 0.9565,                // passed / tasks
//   "quality": {"mean": 0.961, "ci95": [0.933, 0.989], "n": 184},   // scored results only
//   "cost_usd": {"per_task": 0.0013, "per_1k_tasks": 1.3024,        // generation cost
//                "generation": 0.2396, "judging": 0.0, "total": 0.2396},
//   "latency_ms": {"p50": 1728.0, "p95": 3389.0, "min": …, "p25": …, "p75": …, "max": …} | null,
//   "ttft_ms": {"p50": 650.0} | null,   // null: no result reported a first-token time
//   "cache_hits": 0, "tokens": {"input": 51234, "output": 20480}, "retries": 0
// }
//
// Result = {
//   "target", "model", "suite", "task_id", "task_type", "repeat",
//   "status": "scored" | "unscored" | "error",
//   "score": 0.5 | null, "passed": false | null, "threshold": 1.0,
//   "reasons": ["numeric: expected 49.57, got 54.53"],   // see result_reasons()
//   "evaluations": [{"kind", "score", "weight", "ok", "reason"}, …],  // as recorded
//   "output": "…", "output_clipped": false,             // outputs are clipped to 4000 bytes
//   "error_kind": "" , "error": "",
//   "route": {"policy", "rule", "chain"} | null,
//   "cost_usd", "judge_cost_usd", "latency_ms", "cached", "simulated"
// }
#include <orch/report/leaderboard.hpp>

#include <iosfwd>
#include <nlohmann/json.hpp>
#include <vector>

namespace orch::report {

nlohmann::ordered_json report_json(const std::vector<Leaderboard>& boards);
// Writes report_json(boards), indented by 2, and a final newline.
void print_json(const std::vector<Leaderboard>& boards, std::ostream& out);

} // namespace orch::report
