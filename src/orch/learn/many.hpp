#pragma once
// Learned routing across any number of models, measured on the whole quality-cost curve.
//
// A rule routes each prompt by estimates: per model, the quality it will reach and what the
// call will cost. Three rules share that shape, so one sweep measures them all:
//   - learned: a QualityRouter (router.hpp), a logistic model per model over the prompt's
//     features, with the model's mean recorded cost per task type;
//   - per type: each model's mean score and cost on the task type (the best fixed model per
//     task type, at each λ);
//   - oracle: the recorded scores and costs themselves.
// Sweeping λ in quality − λ · cost gives each rule's curve of (mean cost, mean quality). The
// single models are points; mixing two of them at random reaches every point on the segment
// between them, so the upper convex hull of the single models is what routing at random
// achieves (RouterBench's "zero router"). AIQ is the area under a rule's non-decreasing convex
// hull over the single models' cost range, divided by that range (RouterBench, arXiv
// 2403.12031); the hull is extended flat beyond the rule's own cheapest and dearest points.
#include <orch/learn/router.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/learn/trainer.hpp>

#include <cstdint>
#include <nlohmann/json.hpp>
#include <optional>
#include <ostream>
#include <string>
#include <vector>

namespace orch::learn {

// The prompts that every one of `models` answered, with their scores and costs.
struct ManySet {
    std::vector<std::string> models;
    FeatureConfig features;
    std::vector<const Example*> examples;
    std::vector<SparseVector> x;
    std::vector<std::vector<double>> score; // [prompt][model]
    std::vector<std::vector<double>> cost;  // [prompt][model], USD per call as recorded
};

// `models` empty → every model of the run. Throws orch::Error(config) naming the run's models
// when one is unknown, or when fewer than two models remain.
ManySet make_many_set(const RunTable& table, std::vector<std::string> models,
                      const FeatureConfig& features);

// What a rule believes of each prompt of `rows` (aligned with them): quality and cost per model.
struct Estimates {
    std::vector<std::vector<double>> quality;
    std::vector<std::vector<double>> cost;
};

// Mean cost per call of each model by task type over `rows` (types with fewer than
// min_samples rows use the overall mean).
ModelCosts cost_table(const ManySet& set, const std::vector<std::size_t>& rows,
                      std::int64_t min_samples);
QualityRouter fit_router(const ManySet& set, const std::vector<std::size_t>& rows,
                         const TrainOptions& options, std::int64_t min_samples);
Estimates router_estimates(const QualityRouter& router, const ManySet& set,
                           const std::vector<std::size_t>& rows);
// Each model's mean score and cost by task type over `train`, for the prompts of `test`.
Estimates type_estimates(const ManySet& set, const std::vector<std::size_t>& train,
                         const std::vector<std::size_t>& test, std::int64_t min_samples);
Estimates true_estimates(const ManySet& set, const std::vector<std::size_t>& rows);
// Out-of-fold estimates for `rows` (folds by a hash of the task id): learned or per type.
Estimates cross_validated_estimates(const ManySet& set, const std::vector<std::size_t>& rows,
                                    const TrainOptions& options, std::int64_t min_samples,
                                    bool per_type, int folds = 5);

// One operating point, measured on recorded outcomes.
struct Point {
    double lambda = 0;                // NaN for a single model
    double cost = 0;                  // mean USD per prompt
    double quality = 0;               // mean score
    std::vector<std::size_t> choice;  // the model index chosen for each row
    std::string label;                // the model's name for single models
};

// λ = 0, then 10^-3 … 10^3 over the spread of the models' mean costs, then one that buys the
// cheapest; the same grid for every split of the same set.
std::vector<double> lambda_grid(const ManySet& set);
Point route_at(const ManySet& set, const std::vector<std::size_t>& rows, const Estimates& est,
               double lambda);
std::vector<Point> sweep(const ManySet& set, const std::vector<std::size_t>& rows,
                         const Estimates& est, const std::vector<double>& grid);
std::vector<Point> single_points(const ManySet& set, const std::vector<std::size_t>& rows);

// Indices into `points` of their non-decreasing upper convex hull, by cost.
std::vector<std::size_t> hull(const std::vector<Point>& points);
// The hull's quality at `cost` (linear between hull points, flat beyond its ends).
double quality_at(const std::vector<Point>& points, const std::vector<std::size_t>& hull,
                  double cost);
double aiq(const std::vector<Point>& points, double lo, double hi);
// The least cost at which the hull reaches `quality`; nullopt when it never does.
std::optional<double> cost_to_reach(const std::vector<Point>& points, double quality);

// How the operating point is chosen on a curve: λ itself, the best quality within a cost per
// task, the cheapest point reaching a quality, or (none set) the cheapest point that matches
// the best single model.
struct Criterion {
    std::optional<double> lambda;
    std::optional<double> max_cost;
    std::optional<double> target_quality;
};
// Index into points; `met` is false when no point satisfies the criterion (then: the closest).
std::size_t select_point(const std::vector<Point>& points, const Criterion& c, double match,
                         bool& met);

// The paired, per-prompt comparison of a point against the baseline hull at the same cost.
struct Comparison {
    double gain = 0; // mean quality over the baseline at equal cost
    double se = 0;   // its standard error
    double baseline_quality = 0;
    bool wins = false; // gain above zero by more than 1.645 standard errors
};
Comparison compare_at_cost(const ManySet& set, const std::vector<std::size_t>& rows,
                           const Point& router, const std::vector<Point>& baseline);

// `orch tune` over N models.
struct ManyTuneOptions {
    std::vector<std::string> models; // empty → all of the run's
    Criterion criterion;
    TrainOptions train;
    std::int64_t min_samples = 10;
    std::string name = "learned";
};

struct ManyTuned {
    enum class Kind { learned, per_type, single };
    Kind kind = Kind::learned;
    std::string name;
    std::string description;
    std::int64_t run_id = 0;
    std::vector<std::string> models;
    std::size_t prompts = 0;
    double lambda = 0;
    std::optional<QualityRouter> router;         // learned
    std::map<std::string, std::string> per_type; // per_type: task type → model
    std::string default_model;                   // per_type (unseen types) and single
    // Out of fold, over every prompt:
    Point chosen;        // the written policy's point
    Point learned_point; // the learned router's point, written or not
    Comparison against_baseline;
    bool criterion_met = true;
    std::string best_single;
    double best_single_quality = 0;
    double best_single_cost = 0;
    std::string verdict; // said plainly, one line
};

ManyTuned tune_many(const RunTable& table, const ManyTuneOptions& options);
std::string many_policy_toml(const ManyTuned& tuned, const std::string& router_ref);
// Writes the policy and, for a learned one, <stem>.router.json beside it (returned; else "").
std::string write_many_policy(const ManyTuned& tuned, const std::string& policy_path);
nlohmann::json many_tuned_json(const ManyTuned& tuned);
void print_many_tuned(const ManyTuned& tuned, std::ostream& out);

// `orch tune --evaluate` over N models: held-out halves, several seeds.
struct ManyEvaluateOptions {
    std::vector<std::string> models;
    double holdout = 0.5;
    int seeds = 5;
    TrainOptions train;
    std::int64_t min_samples = 10;
};

struct RouterFigures {
    double aiq = 0;
    double max_quality = 0;
    double quality_at_best_cost = 0;   // the hull at the best single model's cost
    double cost_to_match_best = 0;     // share of the best single model's cost; NaN if never
    std::vector<Point> curve;          // by λ (choices dropped)
};

struct ManySeed {
    std::uint64_t seed = 0;
    std::size_t train = 0;
    std::size_t test = 0;
    std::vector<Point> singles;
    std::string best_single;
    RouterFigures learned, per_type, oracle, zero;
};

struct ManyEvaluation {
    std::int64_t run_id = 0;
    std::vector<std::string> models;
    std::size_t prompts = 0;
    std::size_t task_types = 0;
    double holdout = 0.5;
    std::vector<double> grid;
    std::vector<ManySeed> seeds;
};

ManyEvaluation evaluate_many(const RunTable& table, const ManyEvaluateOptions& options);
nlohmann::json many_evaluation_json(const ManyEvaluation& e);
// {"models": [{"model", "cost", "quality"}], "learned": [[cost, quality]…], "per_type", "oracle"}:
// means over seeds at each λ, for the HTML report's quality-cost plot.
nlohmann::json many_curves_json(const ManyEvaluation& e);
void print_many_evaluation(const ManyEvaluation& e, std::ostream& out);

} // namespace orch::learn
