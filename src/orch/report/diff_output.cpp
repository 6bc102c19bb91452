#include <orch/report/diff_output.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <ostream>

namespace orch::report {

namespace {

using ojson = nlohmann::ordered_json;

std::string direction_name(Direction d) {
    switch (d) {
    case Direction::up:
        return "up";
    case Direction::down:
        return "down";
    case Direction::none:
        break;
    }
    return "none";
}

std::string score_of(const DiffResult& r) {
    if (r.status != "scored") {
        return r.status;
    }
    return fmt::format("{:.3f}", r.score.value_or(0));
}

std::string pass_of(const DiffResult& r) {
    if (r.status != "scored") {
        return "fail";
    }
    return r.passed.value_or(false) ? "pass" : "fail";
}

std::string model_of(const DiffResult& r) {
    std::string m = r.model.empty() ? r.target : r.model;
    return r.rule.empty() ? m : fmt::format("{} ({})", m, r.rule);
}

// No trailing blanks: padding after the last column only makes lines differ invisibly.
std::string trim_right(std::string s) {
    while (!s.empty() && s.back() == ' ') {
        s.pop_back();
    }
    return s;
}

// Our own sentences in Markdown: only '$' needs escaping (GitHub renders $…$ as math).
std::string md_sentence(const std::string& s) {
    std::string out;
    for (char c : s) {
        if (c == '$') {
            out += '\\';
        }
        out += c;
    }
    return out;
}

std::string task_of(const TaskChange& c) {
    return fmt::format("{}/{}#{}", c.a.suite, c.a.task_id, c.a.repeat);
}

std::string pair_title(const RunDiff& diff, const TargetDiff& t) {
    return fmt::format("A = {} · {}  →  B = {} · {}", diff.a_label, t.a_target, diff.b_label,
                       t.b_target);
}

std::string changes_summary(const TargetDiff& t) {
    std::string s = fmt::format(
        "{} per-task change{} ({} improved, {} regressed; {} fail → pass, {} pass → fail",
        t.changes.size(), t.changes.size() == 1 ? "" : "s", t.improved, t.regressed, t.fail_to_pass,
        t.pass_to_fail);
    if (t.routed) {
        s += fmt::format("; {} route change{}", t.route_changes, t.route_changes == 1 ? "" : "s");
    }
    return s + ")";
}

// "classify: 36 paired, 30 routed differently (sim-mid → sim-small 30); pass 94.4% → 91.7%"
std::string step_line(const StepDiff& s) {
    std::string moves;
    for (const auto& [move, n] : s.moves) {
        moves += fmt::format("{}{} {}", moves.empty() ? "" : ", ", move, n);
    }
    std::string line = fmt::format("{}/{}: {} paired, {} routed differently{}", s.suite, s.step, s.paired,
                                   s.route_changes, moves.empty() ? "" : " (" + moves + ")");
    if (s.checked && s.paired > 0) {
        auto n = static_cast<double>(s.paired);
        line += fmt::format("; pass {} → {}", percent(static_cast<double>(s.a_passed) / n),
                            percent(static_cast<double>(s.b_passed) / n));
    }
    return line;
}

struct Row {
    std::string metric, a, b, delta, ci;
};

std::vector<Row> metric_rows(const TargetDiff& t) {
    std::vector<Row> rows;
    const auto& q = t.quality;
    if (q.delta.n > 0) {
        rows.push_back(
            {"quality", fmt::format("{:.3f}", q.a), fmt::format("{:.3f}", q.b),
             signed_fixed(q.delta.mean, 3),
             fmt::format("[{:.3f}, {:.3f}]", round_to(q.delta.lo, 3), round_to(q.delta.hi, 3))});
    } else {
        rows.push_back({"quality", "-", "-", "-", ""});
    }
    rows.push_back({"pass rate", percent(t.a_pass_rate), percent(t.b_pass_rate),
                    fmt::format("{} pts", signed_fixed((t.b_pass_rate - t.a_pass_rate) * 100, 1)),
                    ""});
    const auto& c = t.cost;
    rows.push_back({"cost/task", money(c.a), money(c.b), signed_money(c.delta.mean),
                    fmt::format("[{}, {}]", money(c.delta.lo), money(c.delta.hi))});
    const auto& l = t.latency;
    if (l.delta.n > 0) {
        rows.push_back({"latency (mean)", ms(l.a), ms(l.b),
                        (l.delta.mean >= 0.5 ? "+" : "") + ms(l.delta.mean),
                        fmt::format("[{}, {}]", ms(l.delta.lo), ms(l.delta.hi))});
    }
    rows.push_back({"errors + unscored", std::to_string(t.a_errors), std::to_string(t.b_errors),
                    fmt::format("{:+d}", t.b_errors - t.a_errors), ""});
    return rows;
}

ojson metric_json(const MetricDelta& m, int decimals) {
    return ojson{{"a", round_to(m.a, decimals)},
                 {"b", round_to(m.b, decimals)},
                 {"delta", round_to(m.delta.mean, decimals)},
                 {"ci95", {round_to(m.delta.lo, decimals), round_to(m.delta.hi, decimals)}},
                 {"n", m.delta.n},
                 {"direction", direction_name(m.direction)}};
}

ojson side_json(const DiffResult& r) {
    return ojson{{"status", r.status},
                 {"score", r.score ? ojson(round_to(*r.score, 4)) : ojson(nullptr)},
                 {"passed", r.passed ? ojson(*r.passed) : ojson(nullptr)},
                 {"cost_usd", round_to(r.cost_usd, 8)},
                 {"latency_ms", round_to(r.latency_ms, 1)},
                 {"model", r.model},
                 {"rule", r.rule}};
}

} // namespace

void print_diff_table(const RunDiff& diff, std::ostream& out, const DiffStyle& style) {
    auto bold = [&](const std::string& s) { return style.color ? "\x1b[1m" + s + "\x1b[0m" : s; };
    out << bold(fmt::format("orch diff: A = {}  →  B = {}", diff.a_label, diff.b_label))
        << (diff.simulated ? "  [SIMULATED fleet]" : "") << "\n";
    if (diff.simulated) {
        out << k_simulated_note << "\n";
    }
    for (const auto& t : diff.targets) {
        out << "\n" << bold(pair_title(diff, t)) << "\n";
        out << fmt::format(
            "{} results paired by suite, task and repeat ({} only in A, {} only in B)\n", t.paired,
            t.only_a, t.only_b);
        out << bold(fmt::format(
                   "{:<18} {:>11} {:>11} {:>12}  {}", "", "A", "B", "Δ (B − A)",
                   fmt::format("95% CI (paired bootstrap, {} resamples)", diff.resamples)))
            << "\n";
        for (const auto& r : metric_rows(t)) {
            std::string line =
                fmt::format("{:<18} {:>11} {:>11} {:>12}  {}", r.metric, r.a, r.b, r.delta, r.ci);
            out << trim_right(line) << "\n";
        }
        out << "\n" << changes_summary(t) << (t.changes.empty() ? "\n" : ", worst first:\n");
        std::size_t shown = std::min(t.changes.size(), style.max_changes);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& c = t.changes[i];
            std::string line =
                fmt::format("  {:>8} → {:<8}  {} → {}  {:>10} → {:<10}  {:<40}", score_of(c.a),
                            score_of(c.b), pass_of(c.a), pass_of(c.b), money(c.a.cost_usd),
                            money(c.b.cost_usd), one_line(task_of(c), 60));
            if (t.routed) {
                line += fmt::format("  {} → {}", one_line(model_of(c.a), 40),
                                    one_line(model_of(c.b), 40));
            }
            out << trim_right(line) << "\n";
        }
        if (t.changes.size() > shown) {
            out << fmt::format(
                "  … and {} more (--changes N shows more; --format json lists every one)\n",
                t.changes.size() - shown);
        }
        if (!t.steps.empty()) {
            out << "\n" << bold("Workflow steps") << "\n";
            for (const auto& st : t.steps) {
                out << "  " << step_line(st) << "\n";
            }
        }
        out << "\n" << bold(quality_verdict(t, diff.tolerance)) << "\n";
        out << cost_statement(t) << "\n";
        out << latency_statement(t) << "\n";
    }
}

void print_diff_markdown(const RunDiff& diff, std::ostream& out, const DiffStyle& style) {
    out << fmt::format("### orch diff: {} → {}\n\n", md_cell(diff.a_label), md_cell(diff.b_label));
    if (diff.simulated) {
        out << "> **" << k_simulated_note << "**\n\n";
    }
    for (const auto& t : diff.targets) {
        if (diff.targets.size() > 1) {
            out << fmt::format("#### {} → {}\n\n", md_cell(t.a_target), md_cell(t.b_target));
        }
        out << fmt::format("A = {} · {}, B = {} · {}; {} results paired by suite, task and repeat "
                           "({} only in A, {} only in B).\n\n",
                           md_cell(diff.a_label), md_cell(t.a_target), md_cell(diff.b_label),
                           md_cell(t.b_target), t.paired, t.only_a, t.only_b);
        out << "**" << md_sentence(quality_verdict(t, diff.tolerance)) << "**  \n";
        out << md_sentence(cost_statement(t)) << "  \n";
        out << md_sentence(latency_statement(t)) << "\n\n";
        out << fmt::format(
            "| metric | A | B | Δ (B − A) | 95% CI (paired bootstrap, {} resamples) |\n",
            diff.resamples);
        out << "|:--|--:|--:|--:|:--|\n";
        for (const auto& r : metric_rows(t)) {
            out << fmt::format("| {} | {} | {} | {} | {} |\n", r.metric, md_sentence(r.a),
                               md_sentence(r.b), md_sentence(r.delta), md_sentence(r.ci));
        }
        out << "\n";
        if (!t.steps.empty()) {
            out << "Workflow steps:\n\n";
            for (const auto& st : t.steps) {
                out << "- " << md_sentence(step_line(st)) << "\n";
            }
            out << "\n";
        }
        if (t.changes.empty()) {
            out << "No per-task changes.\n\n";
            continue;
        }
        out << "<details><summary>" << changes_summary(t) << "</summary>\n\n";
        out << (t.routed ? "| task | score A → B | pass A → B | cost A → B | model A → B "
                           "|\n|:--|:--|:--|:--|:--|\n"
                         : "| task | score A → B | pass A → B | cost A → B |\n|:--|:--|:--|:--|\n");
        std::size_t shown = std::min(t.changes.size(), style.max_changes);
        for (std::size_t i = 0; i < shown; ++i) {
            const auto& c = t.changes[i];
            out << fmt::format("| {} | {} → {} | {} → {} | {} → {} |", md_cell(task_of(c)),
                               score_of(c.a), score_of(c.b), pass_of(c.a), pass_of(c.b),
                               md_sentence(money(c.a.cost_usd)), md_sentence(money(c.b.cost_usd)));
            if (t.routed) {
                out << fmt::format(" {} → {} |", md_cell(model_of(c.a), 50),
                                   md_cell(model_of(c.b), 50));
            }
            out << "\n";
        }
        if (t.changes.size() > shown) {
            out << fmt::format("\n… and {} more.\n", t.changes.size() - shown);
        }
        out << "\n</details>\n\n";
    }
}

nlohmann::ordered_json diff_json(const RunDiff& diff) {
    ojson j;
    j["schema"] = "orch.diff/1";
    j["a"] = valid_utf8(diff.a_label);
    j["b"] = valid_utf8(diff.b_label);
    j["simulated"] = diff.simulated;
    j["tolerance"] = diff.tolerance;
    j["resamples"] = diff.resamples;
    j["seed"] = diff.seed;
    j["regression"] = diff.regression();
    ojson comparisons = ojson::array();
    for (const auto& t : diff.targets) {
        ojson c;
        c["a_target"] = t.a_target;
        c["b_target"] = t.b_target;
        c["paired"] = t.paired;
        c["only_a"] = t.only_a;
        c["only_b"] = t.only_b;
        c["quality"] = metric_json(t.quality, 4);
        c["cost_usd"] = metric_json(t.cost, 8);
        c["cost_usd"]["relative"] =
            t.cost.a > 0 ? ojson(round_to(t.cost.b / t.cost.a - 1, 4)) : ojson(nullptr);
        c["latency_ms"] = metric_json(t.latency, 1);
        c["pass_rate"] =
            ojson{{"a", round_to(t.a_pass_rate, 4)}, {"b", round_to(t.b_pass_rate, 4)}};
        c["errors"] = ojson{{"a", t.a_errors}, {"b", t.b_errors}};
        c["improved"] = t.improved;
        c["regressed"] = t.regressed;
        c["fail_to_pass"] = t.fail_to_pass;
        c["pass_to_fail"] = t.pass_to_fail;
        c["route_changes"] = t.route_changes;
        c["regression"] = t.regression;
        c["verdict"] = quality_verdict(t, diff.tolerance);
        c["statements"] = ojson::array({cost_statement(t), latency_statement(t)});
        ojson changes = ojson::array();
        for (const auto& ch : t.changes) {
            changes.push_back(ojson{{"suite", ch.a.suite},
                                    {"task_id", ch.a.task_id},
                                    {"repeat", ch.a.repeat},
                                    {"task_type", ch.a.task_type},
                                    {"score_delta", round_to(ch.score_delta, 4)},
                                    {"a", side_json(ch.a)},
                                    {"b", side_json(ch.b)}});
        }
        c["changes"] = changes;
        ojson steps = ojson::array();
        for (const auto& st : t.steps) {
            ojson moves = ojson::object();
            for (const auto& [move, n] : st.moves) {
                moves[move] = n;
            }
            steps.push_back(ojson{{"suite", st.suite},
                                  {"step", st.step},
                                  {"paired", st.paired},
                                  {"route_changes", st.route_changes},
                                  {"moves", moves},
                                  {"passed", st.checked ? ojson{{"a", st.a_passed}, {"b", st.b_passed}} : ojson(nullptr)}});
        }
        c["steps"] = steps;
        comparisons.push_back(c);
    }
    j["comparisons"] = comparisons;
    return j;
}

void print_diff_json(const RunDiff& diff, std::ostream& out) {
    out << diff_json(diff).dump(2, ' ', false, nlohmann::json::error_handler_t::replace) << "\n";
}

} // namespace orch::report
