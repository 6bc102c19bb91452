#pragma once
// A learned routing scorer: how much a request needs the strong model rather than the weak
// one. It holds two logistic models over the same features (features.hpp), one per model,
// each estimating the chance that the model answers well; the score is their difference,
// the expected quality gained by sending this request to the strong model.
//
// The file is JSON (format "orch-scorer/1"), written by `orch tune` next to its policy.
// The routing engine loads it once and calls score() per request.
#include <orch/learn/features.hpp>
#include <orch/learn/logistic.hpp>

#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <string_view>

namespace orch::learn {

class Scorer {
  public:
    Scorer(FeatureConfig features, std::string weak, std::string strong, LogisticModel weak_model,
           LogisticModel strong_model);

    // Reads a scorer file; throws orch::Error(config) with a located message
    // ("PATH: weak_model.index: expected an array of integers") when it is not one.
    static Scorer load(const std::string& path);
    static Scorer from_json(const nlohmann::json& j, const std::string& where);
    // Throws orch::Error(config) when the file cannot be written.
    void save(const std::string& path) const;
    nlohmann::json to_json() const;

    // Higher = more need for the strong model: P(strong good) - P(weak good), in [-1, 1].
    // weak_response is the weak model's answer, for cascade scorers (uses_response());
    // other scorers ignore it, and a cascade scorer without it scores from the prompt alone.
    double score(std::string_view prompt, std::string_view task_type,
                 std::optional<std::string_view> weak_response = {}) const;
    double score(const SparseVector& features) const;

    const FeatureConfig& features() const { return m_features; }
    bool uses_response() const { return m_features.answer_checks; }
    const std::string& weak() const { return m_weak; }
    const std::string& strong() const { return m_strong; }
    const LogisticModel& weak_model() const { return m_weak_model; }
    const LogisticModel& strong_model() const { return m_strong_model; }

  private:
    FeatureConfig m_features;
    std::string m_weak;
    std::string m_strong;
    LogisticModel m_weak_model;
    LogisticModel m_strong_model;
};

// Rounds weights to 6 significant digits, the precision a scorer file keeps, so that a model
// scores the same before it is saved and after it is loaded.
void round_for_file(LogisticModel& model);

} // namespace orch::learn
