#pragma once
// A learned router over any number of models: per model, a logistic model over the request's
// features (features.hpp) estimating the chance that the model answers well, and the model's
// recorded cost per call by task type. A request goes to the model that maximises
//     estimated quality − λ · estimated cost (USD),
// so λ is the quality a user would give up to save a dollar a call: λ = 0 buys the best
// estimate whatever it costs, a large λ buys the cheapest. Prices come from what the calls
// cost when recorded, never from a rank: a model that is both better and cheaper on a task
// type wins there at every λ.
//
// The file is JSON (format "orch-router/1"), written by `orch tune` beside its policy.
#include <orch/learn/features.hpp>
#include <orch/learn/logistic.hpp>

#include <map>
#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orch::learn {

struct ModelCosts {
    std::map<std::string, std::vector<double>> by_type; // task type → mean cost per model
    std::vector<double> overall;                        // per model, for types not seen
    const std::vector<double>& of(std::string_view task_type) const;
};

// Index of the model maximising q − λ·c; ties go to the cheaper, then the earlier model.
std::size_t best_choice(const std::vector<double>& quality, const std::vector<double>& cost,
                        double lambda);
// Every index, best first by the same rule (the rule's chain: its choice, then its fallbacks).
std::vector<std::size_t> rank_choices(const std::vector<double>& quality,
                                      const std::vector<double>& cost, double lambda);

class QualityRouter {
  public:
    QualityRouter(FeatureConfig features, std::vector<std::string> models,
                  std::vector<LogisticModel> quality, ModelCosts costs);

    // Throws orch::Error(config) with a located message ("PATH: models: expected …").
    static QualityRouter load(const std::string& path);
    static QualityRouter from_json(const nlohmann::json& j, const std::string& where);
    void save(const std::string& path) const;
    nlohmann::json to_json() const;

    const std::vector<std::string>& models() const { return m_models; }
    const FeatureConfig& features() const { return m_features; }
    // Estimated P(answers well) per model, in models() order.
    std::vector<double> quality(std::string_view prompt, std::string_view task_type) const;
    std::vector<double> quality(const SparseVector& x) const;
    const std::vector<double>& costs(std::string_view task_type) const {
        return m_costs.of(task_type);
    }
    const ModelCosts& cost_table() const { return m_costs; }

  private:
    FeatureConfig m_features;
    std::vector<std::string> m_models;
    std::vector<LogisticModel> m_quality;
    ModelCosts m_costs;
};

} // namespace orch::learn
