#include <orch/report/gates.hpp>
#include <orch/core/error.hpp>

#include <fmt/format.h>
#include <fstream>
#include <sstream>

namespace orch::report {

Baseline baseline_from(const Leaderboard& board) {
    Baseline b;
    for (const auto& t : board.targets) {
        b.targets[t.target] = Baseline::Target{t.quality.mean, t.pass_rate, t.attempted};
    }
    return b;
}

Baseline load_baseline_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the baseline file", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    nlohmann::json j = nlohmann::json::parse(buf.str(), nullptr, false);
    if (j.is_discarded() || !j.is_object() || !j.contains("targets") || !j["targets"].is_object()) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: expected a JSON object {{\"schema\": \"orch.baseline/1\", \"targets\": {{…}}}} "
                                "(write one with --write-baseline)",
                                path));
    }
    Baseline b;
    for (auto it = j["targets"].begin(); it != j["targets"].end(); ++it) {
        const auto& t = it.value();
        if (!t.is_object() || !t.contains("quality") || !t["quality"].is_number()) {
            throw Error(ErrorKind::config,
                        fmt::format("{}: targets.{}.quality: expected a number", path, it.key()));
        }
        b.targets[it.key()] = Baseline::Target{t["quality"].get<double>(), t.value("pass_rate", 0.0),
                                               t.value("n", std::int64_t{0})};
    }
    return b;
}

void write_baseline_file(const Baseline& baseline, const std::string& path) {
    nlohmann::json j = {{"schema", "orch.baseline/1"}, {"targets", nlohmann::json::object()}};
    for (const auto& [name, t] : baseline.targets) {
        j["targets"][name] = {{"quality", t.quality}, {"pass_rate", t.pass_rate}, {"n", t.n}};
    }
    std::ofstream out(path, std::ios::binary);
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the baseline file", path));
    }
    out << j.dump(2) << "\n";
}

std::vector<std::string> check_gates(const Leaderboard& board, const GateOptions& options,
                                     const std::optional<Baseline>& baseline) {
    std::vector<std::string> failed;
    for (const auto& t : board.targets) {
        if (options.fail_under && t.quality.mean < *options.fail_under) {
            failed.push_back(fmt::format("{}: quality {:.3f} is below --fail-under {:.3f}", t.target,
                                         t.quality.mean, *options.fail_under));
        }
        if (options.fail_under_pass && t.pass_rate < *options.fail_under_pass) {
            failed.push_back(fmt::format("{}: pass rate {:.1f}% is below --fail-under-pass {:.1f}%", t.target,
                                         t.pass_rate * 100, *options.fail_under_pass * 100));
        }
        if (baseline) {
            auto it = baseline->targets.find(t.target);
            if (it != baseline->targets.end() && t.quality.mean < it->second.quality - options.tolerance) {
                failed.push_back(fmt::format("{}: quality {:.3f} regressed from the baseline's {:.3f} "
                                             "(more than the tolerance {:.3f})",
                                             t.target, t.quality.mean, it->second.quality, options.tolerance));
            }
        }
    }
    return failed;
}

} // namespace orch::report
