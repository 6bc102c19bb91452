#include <orch/core/error.hpp>
#include <orch/learn/model_file.hpp>
#include <orch/learn/router.hpp>

#include <fmt/format.h>

namespace orch::learn {

namespace {

constexpr const char* k_format = "orch-router/1";

std::vector<double> cost_list(const nlohmann::json& j, const std::string& where,
                              const std::string& key, std::size_t n) {
    if (!j.is_array() || j.size() != n) {
        bad_model_file(where, key, fmt::format("expected an array of {} costs (USD)", n));
    }
    std::vector<double> out;
    for (std::size_t i = 0; i < n; ++i) {
        if (!j[i].is_number() || j[i].get<double>() < 0) {
            bad_model_file(where, fmt::format("{}[{}]", key, i),
                           "expected a cost in USD (a number, 0 or more)");
        }
        out.push_back(j[i].get<double>());
    }
    return out;
}

} // namespace

const std::vector<double>& ModelCosts::of(std::string_view task_type) const {
    auto it = by_type.find(std::string(task_type));
    return it == by_type.end() ? overall : it->second;
}

std::size_t best_choice(const std::vector<double>& quality, const std::vector<double>& cost,
                        double lambda) {
    std::size_t best = 0;
    for (std::size_t m = 1; m < quality.size(); ++m) {
        double u = quality[m] - lambda * cost[m];
        double b = quality[best] - lambda * cost[best];
        if (u > b + 1e-12 || (u > b - 1e-12 && cost[m] < cost[best])) {
            best = m;
        }
    }
    return best;
}

std::vector<std::size_t> rank_choices(const std::vector<double>& quality,
                                      const std::vector<double>& cost, double lambda) {
    std::vector<std::size_t> left(quality.size());
    for (std::size_t i = 0; i < left.size(); ++i) {
        left[i] = i;
    }
    std::vector<std::size_t> order;
    while (!left.empty()) {
        std::vector<double> q, c;
        for (std::size_t i : left) {
            q.push_back(quality[i]);
            c.push_back(cost[i]);
        }
        auto at = left.begin() + static_cast<std::ptrdiff_t>(best_choice(q, c, lambda));
        order.push_back(*at);
        left.erase(at);
    }
    return order;
}

QualityRouter::QualityRouter(FeatureConfig features, std::vector<std::string> models,
                             std::vector<LogisticModel> quality, ModelCosts costs)
    : m_features(features), m_models(std::move(models)), m_quality(std::move(quality)),
      m_costs(std::move(costs)) {}

std::vector<double> QualityRouter::quality(const SparseVector& x) const {
    std::vector<double> out;
    out.reserve(m_quality.size());
    for (const auto& m : m_quality) {
        out.push_back(m.probability(x));
    }
    return out;
}

std::vector<double> QualityRouter::quality(std::string_view prompt,
                                           std::string_view task_type) const {
    return quality(extract_features(m_features, prompt, task_type));
}

nlohmann::json QualityRouter::to_json() const {
    nlohmann::json quality = nlohmann::json::array();
    for (const auto& m : m_quality) {
        quality.push_back(logistic_to_json(m));
    }
    nlohmann::json by_type = nlohmann::json::object();
    for (const auto& [type, costs] : m_costs.by_type) {
        by_type[type] = costs;
    }
    return {{"format", k_format},
            {"kind", "quality-minus-lambda-cost"},
            {"description",
             "per model, P(answers well) from an L2 logistic regression over hashed word "
             "unigrams/bigrams, task type and prompt shape; the request goes to the model with "
             "the highest P − lambda · cost, cost being the model's recorded mean cost per call "
             "for the task type"},
            {"models", m_models},
            {"features", features_to_json(m_features)},
            {"quality", quality},
            {"cost_usd", {{"overall", m_costs.overall}, {"by_type", by_type}}}};
}

QualityRouter QualityRouter::from_json(const nlohmann::json& j, const std::string& where) {
    check_format(j, where, k_format);
    const auto& models = model_member(j, where, "", "models");
    if (!models.is_array() || models.size() < 2) {
        bad_model_file(where, "models", "expected an array of two or more model names");
    }
    std::vector<std::string> names;
    for (std::size_t i = 0; i < models.size(); ++i) {
        if (!models[i].is_string()) {
            bad_model_file(where, fmt::format("models[{}]", i), "expected a model name (a string)");
        }
        names.push_back(models[i].get<std::string>());
    }
    FeatureConfig config = features_from_json(model_member(j, where, "", "features"), where);
    std::size_t dim = feature_dim(config);
    const auto& quality = model_member(j, where, "", "quality");
    if (!quality.is_array() || quality.size() != names.size()) {
        bad_model_file(where, "quality",
                       fmt::format("expected an array of {} models, one per name in models",
                                   names.size()));
    }
    std::vector<LogisticModel> q;
    for (std::size_t i = 0; i < quality.size(); ++i) {
        q.push_back(logistic_from_json(quality[i], where, fmt::format("quality[{}]", i), dim));
    }
    const auto& cost = model_member(j, where, "", "cost_usd");
    if (!cost.is_object()) {
        bad_model_file(where, "cost_usd", "expected an object with overall and by_type");
    }
    ModelCosts costs;
    costs.overall = cost_list(model_member(cost, where, "cost_usd.", "overall"), where,
                              "cost_usd.overall", names.size());
    const auto& by_type = model_member(cost, where, "cost_usd.", "by_type");
    if (!by_type.is_object()) {
        bad_model_file(where, "cost_usd.by_type", "expected an object: task type → costs");
    }
    for (const auto& [type, list] : by_type.items()) {
        costs.by_type[type] = cost_list(list, where, "cost_usd.by_type." + type, names.size());
    }
    return QualityRouter(config, std::move(names), std::move(q), std::move(costs));
}

QualityRouter QualityRouter::load(const std::string& path) {
    return from_json(read_model_file(path, "router file"), path);
}

void QualityRouter::save(const std::string& path) const {
    write_model_file(path, to_json(), "router file");
}

} // namespace orch::learn
