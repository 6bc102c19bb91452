#pragma once
// L2-regularised logistic regression over sparse features, fitted by L-BFGS. The objective
// is convex and the fit uses every example in a fixed order, so the same data gives the same
// weights bit for bit, whatever order the examples were shuffled into.
#include <orch/learn/features.hpp>

#include <cstddef>
#include <vector>

namespace orch::learn {

struct LogisticOptions {
    double l2 = 1.0; // penalty on the squared weights (not on the bias)
    int max_iterations = 500;
    double tolerance = 1e-7; // stop when the relative decrease of the objective is below this
};

struct LogisticModel {
    double bias = 0;
    std::vector<double> weights; // one per feature index

    double logit(const SparseVector& x) const;
    double probability(const SparseVector& x) const;
};

// Minimises sum_i logloss(y_i, p_i) + l2/2 * |weights|^2.
// Targets are in [0, 1] (a score may be a soft label). `dim` bounds every feature index.
LogisticModel fit_logistic(const std::vector<SparseVector>& x, const std::vector<double>& y,
                           std::size_t dim, const LogisticOptions& options);

} // namespace orch::learn
