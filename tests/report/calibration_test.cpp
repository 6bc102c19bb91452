#include <doctest/doctest.h>
#include <sstream>
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

TEST_CASE("report::a weak kappa comes with one line saying what it means and what to do") {
    orch::report::JudgeCalibration weak;
    weak.judge = "sim-frontier";
    weak.n = 250;
    weak.accuracy = 0.876;
    weak.kappa = 0.18;
    weak.judge_pass = 225;
    weak.heuristic_pass = 234;
    orch::report::JudgeCalibration strong = weak;
    strong.judge = "big-judge";
    strong.kappa = 0.8;
    std::ostringstream out;
    orch::report::print_calibration({weak, strong}, out);
    std::string text = out.str();
    // 0.9 × 0.936 + 0.1 × 0.064 = 0.849: chance alone agrees 85% of the time.
    CHECK(text.find("sim-frontier: kappa is agreement beyond chance") != std::string::npos);
    CHECK(text.find("with 94% of results passing the checks, chance alone agrees 85% of the time, so 87.6% accuracy") !=
          std::string::npos);
    CHECK(text.find("Do not trust this judge alone") != std::string::npos);
    CHECK(text.find("big-judge: kappa") == std::string::npos); // a strong judge needs no warning
}
