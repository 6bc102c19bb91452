#pragma once
// CI gates over a run's leaderboard: minimum quality / pass rate, and regression against a
// baseline (a recorded run or a committed baseline file).
#include <orch/report/leaderboard.hpp>

#include <map>

#include <optional>
#include <string>
#include <vector>

namespace orch::report {

struct GateOptions {
    std::optional<double> fail_under;      // minimum mean quality per target
    std::optional<double> fail_under_pass; // minimum pass rate per target
    double tolerance = 0.02;               // allowed quality drop against the baseline
};

struct Baseline {
    struct Target {
        double quality = 0;
        double pass_rate = 0;
        std::int64_t n = 0;
    };
    std::map<std::string, Target> targets;
};

Baseline baseline_from(const Leaderboard& board);
// Reads a baseline file; throws orch::Error(config) naming the file and what is wrong.
Baseline load_baseline_file(const std::string& path);
void write_baseline_file(const Baseline& baseline, const std::string& path);

// Every failed gate as a sentence ("sim-small: quality 0.812 is below --fail-under 0.9").
std::vector<std::string> check_gates(const Leaderboard& board, const GateOptions& options,
                                     const std::optional<Baseline>& baseline);

} // namespace orch::report
