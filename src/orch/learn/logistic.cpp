#include <orch/learn/logistic.hpp>

#include <algorithm>
#include <cmath>
#include <deque>

namespace orch::learn {

namespace {

double sigmoid(double z) {
    if (z >= 0) {
        return 1.0 / (1.0 + std::exp(-z));
    }
    double e = std::exp(z);
    return e / (1.0 + e);
}

// log(1 + exp(z)) without overflow.
double softplus(double z) {
    return z > 0 ? z + std::log1p(std::exp(-z)) : std::log1p(std::exp(z));
}

double dot(const std::vector<double>& a, const std::vector<double>& b) {
    double s = 0;
    for (size_t i = 0; i < a.size(); ++i) {
        s += a[i] * b[i];
    }
    return s;
}

// The parameters as one vector: weights[0..dim), then the bias.
struct Problem {
    const std::vector<SparseVector>& x;
    const std::vector<double>& y;
    std::size_t dim;
    double l2;

    double value_and_gradient(const std::vector<double>& theta, std::vector<double>& grad) const {
        std::fill(grad.begin(), grad.end(), 0.0);
        double bias = theta[dim];
        double loss = 0;
        for (size_t i = 0; i < x.size(); ++i) {
            const auto& xi = x[i];
            double z = bias;
            for (size_t k = 0; k < xi.index.size(); ++k) {
                z += theta[xi.index[k]] * xi.value[k];
            }
            // logloss = softplus(z) - y z
            loss += softplus(z) - y[i] * z;
            double g = sigmoid(z) - y[i];
            for (size_t k = 0; k < xi.index.size(); ++k) {
                grad[xi.index[k]] += g * xi.value[k];
            }
            grad[dim] += g;
        }
        for (size_t j = 0; j < dim; ++j) {
            loss += 0.5 * l2 * theta[j] * theta[j];
            grad[j] += l2 * theta[j];
        }
        return loss;
    }
};

} // namespace

double LogisticModel::logit(const SparseVector& x) const {
    double z = bias;
    for (size_t k = 0; k < x.index.size(); ++k) {
        if (x.index[k] < weights.size()) {
            z += weights[x.index[k]] * x.value[k];
        }
    }
    return z;
}

double LogisticModel::probability(const SparseVector& x) const {
    return sigmoid(logit(x));
}

LogisticModel fit_logistic(const std::vector<SparseVector>& x_in, const std::vector<double>& y,
                           std::size_t dim_in, const LogisticOptions& options) {
    // Only features some example has can move from 0 (the penalty keeps the others there), so
    // optimise over those alone, renumbered densely: the same optimum, much less work.
    std::vector<std::uint32_t> active;
    for (const auto& xi : x_in) {
        active.insert(active.end(), xi.index.begin(), xi.index.end());
    }
    std::sort(active.begin(), active.end());
    active.erase(std::unique(active.begin(), active.end()), active.end());
    std::vector<SparseVector> x(x_in.size());
    for (std::size_t i = 0; i < x_in.size(); ++i) {
        x[i].value = x_in[i].value;
        x[i].index.reserve(x_in[i].index.size());
        for (std::uint32_t f : x_in[i].index) {
            auto at = std::lower_bound(active.begin(), active.end(), f) - active.begin();
            x[i].index.push_back(static_cast<std::uint32_t>(at));
        }
    }
    const std::size_t dim = active.size();

    Problem problem{x, y, dim, options.l2};
    const size_t n = dim + 1;
    std::vector<double> theta(n, 0.0), grad(n), next(n), next_grad(n), direction(n);
    // Start the bias at the log-odds of the mean target: the optimum when no feature helps.
    if (!y.empty()) {
        double m = 0;
        for (double v : y) {
            m += v;
        }
        m = std::clamp(m / static_cast<double>(y.size()), 1e-6, 1 - 1e-6);
        theta[dim] = std::log(m / (1 - m));
    }
    double f = problem.value_and_gradient(theta, grad);

    // L-BFGS with the last m curvature pairs and a backtracking (Armijo) line search.
    const size_t m = 10;
    std::deque<std::vector<double>> s_hist, y_hist;
    std::deque<double> rho_hist;
    for (int iter = 0; iter < options.max_iterations; ++iter) {
        // Two-loop recursion: direction = -H grad.
        direction = grad;
        std::vector<double> alpha(s_hist.size());
        for (size_t i = s_hist.size(); i-- > 0;) {
            alpha[i] = rho_hist[i] * dot(s_hist[i], direction);
            for (size_t j = 0; j < n; ++j) {
                direction[j] -= alpha[i] * y_hist[i][j];
            }
        }
        double gamma = s_hist.empty()
                           ? 1.0 / std::max(1.0, std::sqrt(dot(grad, grad)))
                           : dot(s_hist.back(), y_hist.back()) / dot(y_hist.back(), y_hist.back());
        for (double& d : direction) {
            d *= gamma;
        }
        for (size_t i = 0; i < s_hist.size(); ++i) {
            double beta = rho_hist[i] * dot(y_hist[i], direction);
            for (size_t j = 0; j < n; ++j) {
                direction[j] += s_hist[i][j] * (alpha[i] - beta);
            }
        }
        for (double& d : direction) {
            d = -d;
        }
        double slope = dot(grad, direction);
        if (slope >= 0) { // not a descent direction: restart from the gradient
            s_hist.clear();
            y_hist.clear();
            rho_hist.clear();
            for (size_t j = 0; j < n; ++j) {
                direction[j] = -grad[j];
            }
            slope = dot(grad, direction);
            if (slope >= 0) {
                break;
            }
        }
        double step = 1.0;
        double f_next = 0;
        bool accepted = false;
        for (int tries = 0; tries < 40; ++tries) {
            for (size_t j = 0; j < n; ++j) {
                next[j] = theta[j] + step * direction[j];
            }
            f_next = problem.value_and_gradient(next, next_grad);
            if (f_next <= f + 1e-4 * step * slope) {
                accepted = true;
                break;
            }
            step *= 0.5;
        }
        if (!accepted) {
            break;
        }
        std::vector<double> s(n), yv(n);
        for (size_t j = 0; j < n; ++j) {
            s[j] = next[j] - theta[j];
            yv[j] = next_grad[j] - grad[j];
        }
        double sy = dot(s, yv);
        if (sy > 1e-12) {
            if (s_hist.size() == m) {
                s_hist.pop_front();
                y_hist.pop_front();
                rho_hist.pop_front();
            }
            s_hist.push_back(std::move(s));
            y_hist.push_back(std::move(yv));
            rho_hist.push_back(1.0 / sy);
        }
        double decrease = f - f_next;
        theta.swap(next);
        grad.swap(next_grad);
        f = f_next;
        if (decrease <= options.tolerance * std::max(1.0, std::abs(f))) {
            break;
        }
    }
    LogisticModel model;
    model.bias = theta[dim];
    model.weights.assign(dim_in, 0.0);
    for (std::size_t j = 0; j < dim; ++j) {
        if (active[j] < dim_in) {
            model.weights[active[j]] = theta[j];
        }
    }
    return model;
}

} // namespace orch::learn
