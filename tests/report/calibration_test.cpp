#include <doctest/doctest.h>
#include <orch/report/calibration.hpp>

TEST_CASE("report::cohens_kappa") {
    SUBCASE("perfect agreement is 1") {
        CHECK(orch::report::cohens_kappa(40, 0, 0, 60) == doctest::Approx(1.0));
    }
    SUBCASE("agreement no better than chance is 0") {
        // Judge passes half at random, heuristics pass half: expected agreement 50%.
        CHECK(orch::report::cohens_kappa(25, 25, 25, 25) == doctest::Approx(0.0));
    }
    SUBCASE("a textbook example") {
        // 20 both yes, 5 judge only, 10 heuristic only, 15 both no: po = 0.7, pe = 0.5 → 0.4.
        CHECK(orch::report::cohens_kappa(20, 5, 10, 15) == doctest::Approx(0.4));
    }
}
