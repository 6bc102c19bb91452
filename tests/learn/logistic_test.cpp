#include <orch/learn/logistic.hpp>
#include <orch/util/rng.hpp>

#include <algorithm>
#include <doctest/doctest.h>

using namespace orch::learn;

namespace {

// Feature 0 raises the chance of a positive label, feature 1 lowers it, feature 2 is noise.
void make_data(std::vector<SparseVector>& x, std::vector<double>& y, std::size_t n,
               std::uint64_t seed) {
    orch::util::Rng rng(seed);
    for (std::size_t i = 0; i < n; ++i) {
        SparseVector v;
        double z = -0.2;
        for (std::uint32_t f = 0; f < 3; ++f) {
            if (rng.uniform() < 0.5) {
                v.index.push_back(f);
                v.value.push_back(1.0);
                z += f == 0 ? 2.0 : f == 1 ? -2.0 : 0.0;
            }
        }
        x.push_back(v);
        y.push_back(rng.uniform() < 1 / (1 + std::exp(-z)) ? 1.0 : 0.0);
    }
}

} // namespace

TEST_CASE("learn::logistic") {
    std::vector<SparseVector> x;
    std::vector<double> y;
    make_data(x, y, 4000, 7);
    LogisticOptions options;
    options.l2 = 0.1;
    LogisticModel m = fit_logistic(x, y, 3, options);

    SUBCASE("recovers the direction and size of each feature's effect") {
        CHECK(m.weights[0] == doctest::Approx(2.0).epsilon(0.15));
        CHECK(m.weights[1] == doctest::Approx(-2.0).epsilon(0.15));
        CHECK(std::abs(m.weights[2]) < 0.2);
        CHECK(m.probability(SparseVector{{0}, {1.0}}) > 0.8);
    }
    SUBCASE("the same examples in another order give the same weights") {
        std::vector<std::size_t> order(x.size());
        for (std::size_t i = 0; i < order.size(); ++i) {
            order[i] = order.size() - 1 - i;
        }
        std::vector<SparseVector> xr;
        std::vector<double> yr;
        for (auto i : order) {
            xr.push_back(x[i]);
            yr.push_back(y[i]);
        }
        LogisticModel r = fit_logistic(xr, yr, 3, options);
        for (std::size_t j = 0; j < 3; ++j) {
            CHECK(r.weights[j] == doctest::Approx(m.weights[j]).epsilon(1e-4));
        }
        LogisticModel again = fit_logistic(x, y, 3, options);
        CHECK(again.weights == m.weights); // bit for bit
        CHECK(again.bias == m.bias);
    }
    SUBCASE("a stronger penalty shrinks the weights; soft labels are accepted") {
        LogisticOptions strong = options;
        strong.l2 = 500;
        LogisticModel s = fit_logistic(x, y, 3, strong);
        CHECK(std::abs(s.weights[0]) < std::abs(m.weights[0]));
        std::vector<double> soft(y.size(), 0.25);
        LogisticModel c = fit_logistic(x, soft, 3, options);
        CHECK(c.probability(SparseVector{}) == doctest::Approx(0.25).epsilon(0.02));
    }
}
