#include <orch/learn/logistic.hpp>
#include <orch/learn/trainer.hpp>
#include <orch/util/hash.hpp>

namespace orch::learn {

TrainingSet make_training_set(const RunTable& table, const std::string& weak,
                              const std::string& strong, const FeatureConfig& features) {
    TrainingSet set;
    set.weak = weak;
    set.strong = strong;
    set.features = features;
    for (const auto& e : table.examples) {
        auto w = e.outcomes.find(weak);
        auto s = e.outcomes.find(strong);
        if (w == e.outcomes.end() || s == e.outcomes.end()) {
            continue;
        }
        set.examples.push_back(&e);
        std::optional<std::string_view> response;
        if (features.answer_checks) {
            response = w->second.output;
        }
        set.x.push_back(extract_features(features, e.prompt, e.task_type, response));
        set.weak_score.push_back(w->second.score);
        set.strong_score.push_back(s->second.score);
    }
    return set;
}

Scorer fit_scorer(const TrainingSet& set, const std::vector<std::size_t>& rows,
                  const TrainOptions& options) {
    std::vector<SparseVector> x;
    std::vector<double> weak_y, strong_y;
    x.reserve(rows.size());
    for (std::size_t i : rows) {
        x.push_back(set.x[i]);
        weak_y.push_back(set.weak_score[i]);
        strong_y.push_back(set.strong_score[i]);
    }
    LogisticOptions lo;
    lo.l2 = options.l2;
    std::size_t dim = feature_dim(options.features);
    LogisticModel weak_model = fit_logistic(x, weak_y, dim, lo);
    LogisticModel strong_model = fit_logistic(x, strong_y, dim, lo);
    round_for_file(weak_model);
    round_for_file(strong_model);
    return Scorer(options.features, set.weak, set.strong, std::move(weak_model),
                  std::move(strong_model));
}

std::vector<double> cross_validated_scores(const TrainingSet& set,
                                           const std::vector<std::size_t>& rows,
                                           const TrainOptions& options, int folds) {
    auto k = static_cast<std::uint64_t>(folds);
    std::vector<std::uint64_t> fold(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Example& e = *set.examples[rows[i]];
        fold[i] = util::hash64(e.suite + '/' + e.task_id, 0x5eed) % k;
    }
    std::vector<double> scores(rows.size(), 0.0);
    for (std::uint64_t f = 0; f < k; ++f) {
        std::vector<std::size_t> train;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (fold[i] != f) {
                train.push_back(rows[i]);
            }
        }
        if (train.empty()) {
            continue;
        }
        Scorer scorer = fit_scorer(set, train, options);
        for (std::size_t i = 0; i < rows.size(); ++i) {
            if (fold[i] == f) {
                scores[i] = scorer.score(set.x[rows[i]]);
            }
        }
    }
    return scores;
}

} // namespace orch::learn
