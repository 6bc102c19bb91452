#pragma once
// The leaderboard of a run: per target, and per task type × target.
#include <orch/store/store.hpp>
#include <orch/util/stats.hpp>

#include <iosfwd>
#include <map>
#include <string>
#include <vector>

namespace orch::report {

struct TargetStats {
    std::string target;
    std::int64_t attempted = 0; // every result: scored, unscored and errors
    std::int64_t scored = 0;
    std::int64_t unscored = 0;
    std::int64_t errors = 0;
    std::int64_t passed = 0;
    util::MeanCi quality; // over scored results only
    double pass_rate = 0; // passed / attempted (errors count as not passed)
    double cost_usd = 0;
    double cost_per_task = 0;
    double latency_p50 = 0;
    double latency_p95 = 0;
    double ttft_p50 = 0;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    std::int64_t retries = 0;
    bool simulated = false;
};

struct Leaderboard {
    store::RunInfo run;
    std::vector<TargetStats> targets;                          // best quality first
    std::map<std::string, std::vector<TargetStats>> by_type;   // task type -> per target
};

// Reads a run's results (streamed) into a leaderboard; throws orch::Error(config) for an
// unknown run.
Leaderboard build_leaderboard(store::Store& store, std::int64_t run_id);

struct TableStyle {
    bool color = false;
};

// The human table: run header, leaderboard, then per task type quality and cost.
void print_table(const Leaderboard& board, std::ostream& out, const TableStyle& style = {});

} // namespace orch::report
