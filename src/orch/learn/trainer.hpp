#pragma once
// Trains a Scorer from recorded outcomes: two logistic models over the same features, one
// predicting each model's score (the weak model's and the strong model's). Their difference
// estimates the quality gained by sending a prompt to the strong model, which ranks prompts
// better than "will the weak model fail" alone: where both models fail, the strong call buys
// nothing. Training sees only the rows it is given (evaluate.hpp relies on it).
#include <orch/learn/features.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/learn/scorer.hpp>

#include <string>
#include <vector>

namespace orch::learn {

struct TrainOptions {
    FeatureConfig features;
    double l2 = 1.0; // L2 penalty of both logistic models
};

// Features and both models' scores for the examples that have both.
struct TrainingSet {
    std::string weak;
    std::string strong;
    FeatureConfig features;
    std::vector<const Example*> examples;
    std::vector<SparseVector> x;
    std::vector<double> weak_score;
    std::vector<double> strong_score;
};

// answer_checks features read the weak model's recorded output.
TrainingSet make_training_set(const RunTable& table, const std::string& weak,
                              const std::string& strong, const FeatureConfig& features);

// Fits on the given rows of the set (indices into it), deterministic; weights are rounded
// for the file (scorer.hpp), so the returned scorer is exactly what a saved one loads as.
Scorer fit_scorer(const TrainingSet& set, const std::vector<std::size_t>& rows,
                  const TrainOptions& options);

// Out-of-fold scores for `rows`: each fold scored by a scorer trained on the others; folds
// are assigned by a hash of the task id, so the same rows give the same folds.
std::vector<double> cross_validated_scores(const TrainingSet& set,
                                           const std::vector<std::size_t>& rows,
                                           const TrainOptions& options, int folds = 5);

} // namespace orch::learn
