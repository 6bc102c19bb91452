#include <orch/report/calibration.hpp>

#include <fmt/format.h>
#include <map>
#include <ostream>

namespace orch::report {

double cohens_kappa(std::int64_t both_pass, std::int64_t judge_only, std::int64_t heuristic_only,
                    std::int64_t both_fail) {
    double n = static_cast<double>(both_pass + judge_only + heuristic_only + both_fail);
    if (n == 0) {
        return 0;
    }
    double po = static_cast<double>(both_pass + both_fail) / n;
    double pj = static_cast<double>(both_pass + judge_only) / n;
    double ph = static_cast<double>(both_pass + heuristic_only) / n;
    double pe = pj * ph + (1 - pj) * (1 - ph);
    return pe >= 1 ? 1.0 : (po - pe) / (1 - pe);
}

std::vector<JudgeCalibration> judge_calibration(store::Store& store, std::int64_t run_id) {
    struct Counts {
        std::int64_t tt = 0, tf = 0, ft = 0, ff = 0; // judge pass × heuristic pass
    };
    std::map<std::string, Counts> by_judge;
    store.for_each_result(run_id, [&](const store::ResultRow& r) {
        double weighted = 0, weights = 0;
        std::vector<std::pair<std::string, double>> judged;
        for (const auto& e : r.evaluations) {
            if (!e.value("ok", false) || !e.contains("score")) {
                continue;
            }
            double score = e["score"].get<double>();
            if (e.value("judge", false)) {
                for (const auto& j : e.value("judges", nlohmann::json::array())) {
                    judged.emplace_back(j.get<std::string>(), score);
                }
            } else {
                double w = e.value("weight", 1.0);
                weighted += w * score;
                weights += w;
            }
        }
        if (weights == 0 || judged.empty()) {
            return; // calibration needs both kinds on the same result
        }
        bool heuristic_pass = weighted / weights >= 0.999;
        for (const auto& [judge, score] : judged) {
            Counts& c = by_judge[judge];
            bool judge_pass = score >= 0.5;
            (judge_pass ? (heuristic_pass ? c.tt : c.tf) : (heuristic_pass ? c.ft : c.ff))++;
        }
    });
    std::vector<JudgeCalibration> out;
    for (const auto& [judge, c] : by_judge) {
        JudgeCalibration k;
        k.judge = judge;
        k.n = c.tt + c.tf + c.ft + c.ff;
        k.accuracy = k.n > 0 ? static_cast<double>(c.tt + c.ff) / static_cast<double>(k.n) : 0;
        k.kappa = cohens_kappa(c.tt, c.tf, c.ft, c.ff);
        k.judge_pass = c.tt + c.tf;
        k.heuristic_pass = c.tt + c.ft;
        out.push_back(k);
    }
    return out;
}

void print_calibration(const std::vector<JudgeCalibration>& rows, std::ostream& out) {
    if (rows.empty()) {
        return;
    }
    out << "\nJudge calibration against heuristic checks (results scored by both)\n";
    out << fmt::format("{:<18} {:>6} {:>9} {:>8} {:>11} {:>15}\n", "judge", "n", "accuracy", "kappa", "judge pass",
                       "heuristic pass");
    for (const auto& k : rows) {
        out << fmt::format("{:<18} {:>6} {:>8.1f}% {:>8.2f} {:>11} {:>15}\n", k.judge, k.n, k.accuracy * 100, k.kappa,
                           k.judge_pass, k.heuristic_pass);
    }
    for (const auto& k : rows) {
        if (k.n == 0 || k.kappa >= 0.4) {
            continue;
        }
        // Agreement by chance alone, from how often each side passes: what kappa discounts.
        double pj = static_cast<double>(k.judge_pass) / static_cast<double>(k.n);
        double ph = static_cast<double>(k.heuristic_pass) / static_cast<double>(k.n);
        double chance = pj * ph + (1 - pj) * (1 - ph);
        out << fmt::format(
            "{}: kappa is agreement beyond chance (0 chance, 1 perfect, under 0.4 weak); with {:.0f}% of results "
            "passing the checks, chance alone agrees {:.0f}% of the time, so {:.1f}% accuracy says little. Do not "
            "trust this judge alone: give judge-only suites a check or a reference (judge_reference), or a panel "
            "(judges = [...]).\n",
            k.judge, 100 * ph, 100 * chance, 100 * k.accuracy);
    }
}

} // namespace orch::report
