#pragma once
// How `orch diff` prints a RunDiff: a table for people, Markdown for pull-request comments,
// JSON for machines.
//
// JSON shape, schema "orch.diff/1" (stable; fields are only ever added):
// {
//   "schema": "orch.diff/1",
//   "a": "run 1", "b": "run 2",          // the operands' labels
//   "simulated": true, "tolerance": 0.0, "resamples": 2000, "seed": 8030590384644319590,
//   "regression": true,                  // some comparison is worse beyond the tolerance
//   "comparisons": [{
//     "a_target": "sim-frontier", "b_target": "sim-small",
//     "paired": 208, "only_a": 0, "only_b": 0,
//     "quality":    {"a": 0.92, "b": 0.81, "delta": -0.11, "ci95": [-0.15, -0.07], "n": 208,
//                    "direction": "down"},      // up | down | none: the interval's side of 0
//     "cost_usd":   {… per task, generation cost, every pair …, "relative": -0.97 | null},
//     "latency_ms": {… per task, pairs answered on both sides …},
//     "pass_rate": {"a": 0.947, "b": 0.793}, "errors": {"a": 0, "b": 0},
//     "improved": 8, "regressed": 37, "fail_to_pass": 2, "pass_to_fail": 33, "route_changes": 0,
//     "regression": true,
//     "verdict": "verdict: B is worse than A on quality (Δ -0.109 [-0.150, -0.068])",
//     "statements": ["cost: …", "latency: …"],
//     "changes": [{"suite", "task_id", "repeat", "task_type", "score_delta",
//                  "a": {"status", "score", "passed", "cost_usd", "latency_ms", "model", "rule"},
//                  "b": {…}}]              // every change, worst first
//   }]
// }
#include <orch/report/diff.hpp>

#include <iosfwd>
#include <nlohmann/json.hpp>

namespace orch::report {

struct DiffStyle {
    bool color = false;
    std::size_t max_changes = 20; // per-task changes listed by table and md (json lists all)
};

void print_diff_table(const RunDiff& diff, std::ostream& out, const DiffStyle& style = {});
void print_diff_markdown(const RunDiff& diff, std::ostream& out, const DiffStyle& style = {});
nlohmann::ordered_json diff_json(const RunDiff& diff);
void print_diff_json(const RunDiff& diff, std::ostream& out);

} // namespace orch::report
