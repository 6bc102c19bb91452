#pragma once
// Held-out evaluation of learned routing, as the RouteLLM paper reports it: for each seed the
// prompts are split at random, a scorer is trained on one part and measured on the other
// (metrics.hpp), beside a random router, the oracle, and a per-task-type router (each type's
// mean gain on the training part). With the weak model's responses recorded, a cascade
// scorer (which also reads the weak answer) is measured too. The held-out labels are used
// for measuring only.
#include <orch/learn/metrics.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/learn/trainer.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace orch::learn {

struct EvaluateOptions {
    std::string weak;
    std::string strong;
    double holdout = 0.5; // share of prompts held out for measuring
    int seeds = 5;
    TrainOptions train;  // features.answer_checks is set for the cascade variant only
    bool cascade = true; // also measure a cascade scorer when weak responses are recorded
};

struct SeedFigures {
    std::uint64_t seed = 0;
    std::size_t train = 0;
    std::size_t test = 0;
    double weak_quality = 0; // on the held-out part
    double strong_quality = 0;
    RouterMetrics learned;
    RouterMetrics random;
    RouterMetrics oracle;
    RouterMetrics task_type;
    std::optional<RouterMetrics> cascade;
};

struct Evaluation {
    std::int64_t run_id = 0;
    std::string weak;
    std::string strong;
    std::size_t prompts = 0; // with both models scored
    std::size_t task_types = 0;
    double holdout = 0.5;
    bool has_responses = false;
    std::vector<SeedFigures> seeds;
};

// The held-out rows for one seed: a shuffled pick of round(holdout * n) of 0..n-1 (sorted);
// the rest is for training.
std::vector<std::size_t> holdout_rows(std::size_t n, double holdout, std::uint64_t seed);
// 0..n-1 without `rows` (sorted).
std::vector<std::size_t> complement(std::size_t n, const std::vector<std::size_t>& rows);

// Throws orch::Error(config) when there are too few prompts to split.
Evaluation evaluate_routers(const RunTable& table, const EvaluateOptions& options);

// Every figure is {"mean": x, "per_seed": [...]} (null where undefined). For each router —
// the learned one (no prefix), "random_", "oracle_", "task_type_", and "cascade_" when weak
// responses are recorded — apgr, cpt50, cpt80 (shares), apgr_usd (APGR over the spend),
// cpt50_usd_per_1k and cpt80_usd_per_1k (cost per 1000 prompts at that point). Also run, weak,
// strong, prompts, task_types, holdout, seeds, test_prompts, weak_quality, strong_quality,
// weak_usd_per_1k, strong_usd_per_1k.
nlohmann::json evaluation_json(const Evaluation& e);
// {"share": [...], "learned": [...], "random": [...], "oracle": [...], "task_type": [...],
//  "cascade": [...] when measured}: mean PGR over seeds at each share.
nlohmann::json curves_json(const Evaluation& e);
void print_evaluation(const Evaluation& e, std::ostream& out);

} // namespace orch::learn
