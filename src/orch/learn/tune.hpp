#pragma once
// `orch tune`: a routing policy learned from a recorded run, written as a policy file.
//   (a) with a quality target, per task type: the cheapest model whose lower confidence bound
//       (Wilson for pass/fail scores, Student t otherwise) of its mean score meets the target
//       becomes a `fixed` rule for that type;
//   (b) then one `learned` rule for everything else: a Scorer (scorer.hpp) decides between a
//       weak and a strong model, sending a request to the strong one when its score exceeds
//       the threshold. The threshold is set on cross-validated scores (never on the scores of
//       the data the scorer was fitted to) from a strong-call share, a PGR, or the target.
#include <orch/learn/run_table.hpp>
#include <orch/learn/scorer.hpp>
#include <orch/learn/trainer.hpp>

#include <map>
#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

namespace orch::learn {

struct TuneOptions {
    std::string weak;              // "" → the model with the lowest mean cost
    std::string strong;            // "" → the model with the highest mean score
    std::optional<double> target;  // quality target: fixed rules per task type, and the threshold
    std::optional<double> share;   // strong-call share for the threshold (before target and pgr)
    double pgr = 0.8;              // else the smallest share recovering this much of the gap
    std::int64_t min_samples = 10; // results a model needs on a task type for a fixed rule
    TrainOptions train;
    std::string name = "learned";
};

struct FixedRule {
    std::string task_type;
    std::string model;
    std::int64_t n = 0;
    double mean = 0;
    double lower_bound = 0;
    double cost_per_task_usd = 0;
};

struct TunedPolicy {
    std::string name;
    std::string description;
    std::int64_t run_id = 0;
    std::string weak;
    std::string strong;
    std::vector<FixedRule> fixed;
    std::optional<Scorer> scorer;
    double threshold = 0;
    std::size_t trained_on = 0; // prompts the scorer learned from
    std::size_t routed = 0;     // of which the learned rule decides (not caught by fixed rules)
    // Expected from cross-validation, over the prompts the learned rule decides:
    double strong_share = 0;
    double pgr = 0;
    double quality = 0;
    double weak_quality = 0;
    double strong_quality = 0;
};

// How the learned rule's threshold is chosen: a strong-call share, else a quality target,
// else a PGR (the smallest share recovering that much of the quality gap).
struct ThresholdCriterion {
    std::optional<double> share;
    std::optional<double> target;
    double pgr = 0.8;
};

struct ThresholdChoice {
    double threshold = 0;    // scores above it go to the strong model
    std::size_t prompts = 0; // the prompts it was chosen on
    // Expected, from the out-of-fold scores of those prompts:
    double strong_share = 0;
    double pgr = 0;
    double quality = 0;
    double weak_quality = 0;
    double strong_quality = 0;
};

// Chooses the threshold on out-of-fold scores (cross_validated_scores over `rows`), so that the
// share it gives on new prompts is the share it was chosen for; prompts of `skip_types` (decided
// by fixed rules) train the folds but are not counted. Reads the labels of `rows` only.
ThresholdChoice choose_threshold(const TrainingSet& set, const std::vector<std::size_t>& rows,
                                 const TrainOptions& options, const ThresholdCriterion& criterion,
                                 const std::set<std::string>& skip_types = {});

// Each model's mean score and mean cost per call over every prompt it answered in the run.
struct ModelMean {
    double score = 0;
    double cost_usd = 0;
};
std::map<std::string, ModelMean> model_means(const RunTable& table);

// The weak and strong models: as given (checked against the run), else chosen from it.
// Throws orch::Error(config) naming the run's models when one is unknown.
std::pair<std::string, std::string> choose_models(const RunTable& table, const std::string& weak,
                                                  const std::string& strong);

TunedPolicy tune_policy(const RunTable& table, const TuneOptions& options);

// Writes the policy (TOML) and its scorer beside it (<policy stem>.scorer.json, referred to by
// a path relative to the policy's folder); returns the scorer's path. Throws orch::Error(config)
// when a file cannot be written.
std::string write_policy(const TunedPolicy& policy, const std::string& policy_path);

// The policy file's text, given the scorer path to write into it.
std::string policy_toml(const TunedPolicy& policy, const std::string& scorer_ref);
// The lines every policy file orch tune writes begins with: a comment, name and description.
std::string policy_header(const std::string& name, const std::string& description);
// Writes a policy file; throws orch::Error(config) when it cannot.
void write_policy_text(const std::string& policy_path, const std::string& text);
// TOML values for the policy files orch tune writes: a quoted string, and a float that never
// reads back as an integer.
std::string toml_string(std::string_view s);
std::string toml_float(double v);

} // namespace orch::learn
