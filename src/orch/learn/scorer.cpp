#include <orch/core/error.hpp>
#include <orch/learn/model_file.hpp>
#include <orch/learn/scorer.hpp>

#include <cmath>
#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace orch::learn {

namespace {

constexpr const char* k_format = "orch-scorer/1";

} // namespace

void round_for_file(LogisticModel& model) {
    auto round6 = [](double v) {
        if (v == 0 || !std::isfinite(v)) {
            return 0.0;
        }
        return std::stod(fmt::format("{:.6g}", v));
    };
    model.bias = round6(model.bias);
    for (double& w : model.weights) {
        w = std::abs(w) < 1e-9 ? 0.0 : round6(w);
    }
}

Scorer::Scorer(FeatureConfig features, std::string weak, std::string strong,
               LogisticModel weak_model, LogisticModel strong_model)
    : m_features(features), m_weak(std::move(weak)), m_strong(std::move(strong)),
      m_weak_model(std::move(weak_model)), m_strong_model(std::move(strong_model)) {}

double Scorer::score(const SparseVector& x) const {
    return m_strong_model.probability(x) - m_weak_model.probability(x);
}

double Scorer::score(std::string_view prompt, std::string_view task_type,
                     std::optional<std::string_view> weak_response) const {
    return score(extract_features(m_features, prompt, task_type, weak_response));
}

nlohmann::json Scorer::to_json() const {
    return {{"format", k_format},
            {"kind", "logistic-gain"},
            {"description",
             "score = P(strong answers well) - P(weak answers well), two L2 logistic "
             "regressions over hashed word unigrams/bigrams, task type and prompt shape"},
            {"weak", m_weak},
            {"strong", m_strong},
            {"features", features_to_json(m_features)},
            {"weak_model", logistic_to_json(m_weak_model)},
            {"strong_model", logistic_to_json(m_strong_model)}};
}

Scorer Scorer::from_json(const nlohmann::json& j, const std::string& where) {
    check_format(j, where, k_format);
    const auto& weak = model_member(j, where, "", "weak");
    const auto& strong = model_member(j, where, "", "strong");
    if (!weak.is_string() || !strong.is_string()) {
        bad_model_file(where, weak.is_string() ? "strong" : "weak",
                       "expected a model name (a string)");
    }
    FeatureConfig config = features_from_json(model_member(j, where, "", "features"), where);
    std::size_t dim = feature_dim(config);
    auto weak_model =
        logistic_from_json(model_member(j, where, "", "weak_model"), where, "weak_model", dim);
    auto strong_model =
        logistic_from_json(model_member(j, where, "", "strong_model"), where, "strong_model", dim);
    return Scorer(config, weak.get<std::string>(), strong.get<std::string>(), std::move(weak_model),
                  std::move(strong_model));
}

Scorer Scorer::load(const std::string& path) {
    return from_json(read_model_file(path, "scorer file"), path);
}

void Scorer::save(const std::string& path) const {
    write_model_file(path, to_json(), "scorer file");
}

} // namespace orch::learn
