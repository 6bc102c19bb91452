#pragma once
// How far to trust a judge: its agreement with the heuristic checks on results that have
// both (a judge pass is a normalised score >= 0.5; a heuristic pass is every heuristic
// evaluator fully satisfied).
#include <orch/store/store.hpp>

#include <iosfwd>
#include <string>
#include <vector>

namespace orch::report {

struct JudgeCalibration {
    std::string judge; // model name
    std::int64_t n = 0;
    double accuracy = 0;
    double kappa = 0; // Cohen's kappa: agreement beyond chance
    std::int64_t judge_pass = 0;
    std::int64_t heuristic_pass = 0;
};

std::vector<JudgeCalibration> judge_calibration(store::Store& store, std::int64_t run_id);
double cohens_kappa(std::int64_t both_pass, std::int64_t judge_only, std::int64_t heuristic_only,
                    std::int64_t both_fail);
void print_calibration(const std::vector<JudgeCalibration>& rows, std::ostream& out);

} // namespace orch::report
