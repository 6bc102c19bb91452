#include <orch/core/error.hpp>
#include <orch/report/leaderboard.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <ostream>

namespace orch::report {

namespace {

struct Accumulator {
    TargetStats stats;
    std::vector<double> scores;
    std::vector<double> latencies;
    std::vector<double> ttfts;

    void add(const store::ResultRow& r) {
        stats.attempted++;
        stats.simulated = stats.simulated || r.simulated;
        stats.cost_usd += r.cost_usd;
        stats.input_tokens += r.input_tokens;
        stats.output_tokens += r.output_tokens;
        stats.retries += r.retries;
        if (r.status == "error") {
            stats.errors++;
            return;
        }
        latencies.push_back(r.latency_ms);
        if (r.ttft_ms) {
            ttfts.push_back(*r.ttft_ms);
        }
        if (r.status == "unscored") {
            stats.unscored++;
            return;
        }
        stats.scored++;
        scores.push_back(r.score.value_or(0));
        stats.passed += r.passed.value_or(false) ? 1 : 0;
    }

    TargetStats finish() {
        stats.quality = util::mean_ci95(scores);
        auto n = static_cast<double>(stats.attempted);
        stats.pass_rate = n > 0 ? static_cast<double>(stats.passed) / n : 0;
        stats.cost_per_task = n > 0 ? stats.cost_usd / n : 0;
        stats.latency_p50 = util::percentile(latencies, 50);
        stats.latency_p95 = util::percentile(latencies, 95);
        stats.ttft_p50 = util::percentile(ttfts, 50);
        return stats;
    }
};

void sort_by_quality(std::vector<TargetStats>& v) {
    std::stable_sort(v.begin(), v.end(), [](const TargetStats& a, const TargetStats& b) {
        if (a.quality.mean != b.quality.mean) {
            return a.quality.mean > b.quality.mean;
        }
        return a.cost_per_task < b.cost_per_task;
    });
}

std::string money(double usd) {
    if (usd == 0) {
        return "$0";
    }
    if (usd < 0.01) {
        return fmt::format("${:.5f}", usd);
    }
    return fmt::format("${:.4f}", usd);
}

std::string ms(double v) {
    if (v >= 10000) {
        return fmt::format("{:.1f}s", v / 1000);
    }
    return fmt::format("{:.0f}ms", v);
}

} // namespace

Leaderboard build_leaderboard(store::Store& store, std::int64_t run_id) {
    Leaderboard board;
    auto run = store.run(run_id);
    if (!run) {
        throw Error(ErrorKind::config, fmt::format("no run {} in the database", run_id));
    }
    board.run = *run;
    std::map<std::string, Accumulator> per_target;
    std::map<std::string, std::map<std::string, Accumulator>> per_type;
    store.for_each_result(run_id, [&](const store::ResultRow& r) {
        auto& acc = per_target[r.target];
        acc.stats.target = r.target;
        acc.add(r);
        auto& tacc = per_type[r.task_type][r.target];
        tacc.stats.target = r.target;
        tacc.add(r);
    });
    for (auto& [name, acc] : per_target) {
        board.targets.push_back(acc.finish());
    }
    sort_by_quality(board.targets);
    for (auto& [type, targets] : per_type) {
        auto& v = board.by_type[type];
        for (auto& [name, acc] : targets) {
            v.push_back(acc.finish());
        }
        sort_by_quality(v);
    }
    return board;
}

void print_table(const Leaderboard& board, std::ostream& out, const TableStyle& style) {
    const auto& run = board.run;
    auto bold = [&](const std::string& s) { return style.color ? "\x1b[1m" + s + "\x1b[0m" : s; };
    out << bold(fmt::format("Run {}", run.id)) << fmt::format("  {}  status {}  seed {}  repeats {}{}\n",
                                                              run.started_at, run.status, run.seed, run.repeats,
                                                              run.simulated ? "  [SIMULATED fleet]" : "");
    out << fmt::format("suites: {}\n\n", [&] {
        std::string s;
        for (auto it = run.suites.begin(); it != run.suites.end(); ++it) {
            s += (s.empty() ? "" : ", ") + it.key();
        }
        return s;
    }());
    out << bold(fmt::format("{:<18} {:>6} {:>17} {:>6} {:>5} {:>5} {:>11} {:>13} {:>10} {:>8} {:>8}",
                            "target", "tasks", "quality (95% CI)", "pass", "unsc", "err",
                            "cost/task", "cost/1k tasks", "total", "p50", "p95"))
        << "\n";
    for (const auto& t : board.targets) {
        out << fmt::format("{:<18} {:>6} {:>5.3f} [{:.3f},{:.3f}] {:>5.1f}% {:>5} {:>5} {:>11} {:>13} {:>10} {:>8} {:>8}{}\n",
                           t.target, t.attempted, t.quality.mean, std::max(0.0, t.quality.lo),
                           std::min(1.0, t.quality.hi), t.pass_rate * 100, t.unscored, t.errors,
                           money(t.cost_per_task), money(t.cost_per_task * 1000), money(t.cost_usd),
                           ms(t.latency_p50), ms(t.latency_p95), t.simulated ? "  (sim)" : "");
    }
    out << "\n" << bold("Quality by task type (mean score; cost per task)") << "\n";
    std::vector<std::string> targets;
    for (const auto& t : board.targets) {
        targets.push_back(t.target);
    }
    std::string header = fmt::format("{:<12}", "type");
    for (const auto& name : targets) {
        header += fmt::format(" {:>22}", name);
    }
    out << bold(header) << "  best quality / cheapest ≥ 0.9\n";
    for (const auto& [type, stats] : board.by_type) {
        std::string line = fmt::format("{:<12}", type);
        std::string best = stats.empty() ? "" : stats.front().target;
        std::string cheapest = "-";
        double cheapest_cost = 1e300;
        for (const auto& name : targets) {
            auto it = std::find_if(stats.begin(), stats.end(),
                                   [&](const TargetStats& s) { return s.target == name; });
            if (it == stats.end()) {
                line += fmt::format(" {:>22}", "-");
                continue;
            }
            line += fmt::format(" {:>22}", fmt::format("{:.3f}; {}", it->quality.mean, money(it->cost_per_task)));
            if (it->quality.mean >= 0.9 && it->cost_per_task < cheapest_cost) {
                cheapest_cost = it->cost_per_task;
                cheapest = name;
            }
        }
        out << line << "  " << best << " / " << cheapest << "\n";
    }
}

} // namespace orch::report
