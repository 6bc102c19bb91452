#include <orch/report/markdown.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <ostream>

namespace orch::report {

namespace {

// One table per suite ("### Agent support-agent"), a row per target: the first cell a name, the
// rest figures written as they are.
template <typename Row, std::size_t N, typename Cells>
void suite_tables(std::ostream& out, const char* title, const std::vector<Row>& rows,
                  const std::array<const char*, N>& columns, Cells cells) {
    std::string suite;
    for (const auto& r : rows) {
        if (r.suite != suite) {
            out << fmt::format("{}### {} {}\n\n|", suite.empty() ? "" : "\n", title, md_cell(r.suite));
            suite = r.suite;
            for (const char* column : columns) {
                out << " " << column << " |";
            }
            out << "\n|:--|";
            for (std::size_t i = 1; i < N; ++i) {
                out << "--:|";
            }
            out << "\n";
        }
        auto c = cells(r);
        out << "| " << md_cell(c[0]);
        for (std::size_t i = 1; i < c.size(); ++i) {
            out << " | " << c[i];
        }
        out << " |\n";
    }
    if (!rows.empty()) {
        out << "\n";
    }
}

std::string suite_list(const store::RunInfo& run) {
    std::string s;
    if (run.suites.is_object()) {
        for (auto it = run.suites.begin(); it != run.suites.end(); ++it) {
            s += (s.empty() ? "" : ", ") + md_cell(it.key());
        }
    }
    return s;
}

std::string target_cell(const TargetStats& t) {
    return md_cell(t.target) + (t.simulated ? " (sim)" : "");
}

void print_run(const Leaderboard& board, std::ostream& out) {
    const auto& run = board.run;
    out << fmt::format("## Run {} · {} · {}{}\n\n", run.id, md_cell(run.status),
                       md_cell(run.started_at), board.simulated ? " · SIMULATED" : "");
    out << fmt::format("seed {} · repeats {} · suites: {}\n\n", run.seed, run.repeats,
                       suite_list(run));
    if (board.simulated) {
        out << "> **" << k_simulated_note << "**\n\n";
    }

    out << "| target | tasks | quality (95% CI) | pass | unscored | errors | cost/task | cost/1k "
           "tasks | "
           "generation | judging | total | p50 | p95 | TTFT p50 | cached |\n";
    out << "|:--|--:|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|--:|\n";
    for (const auto& t : board.targets) {
        out << fmt::format(
            "| {} | {} | {:.3f} [{:.3f}, {:.3f}] | {} | {} | {} | {} | {} | {} | {} | {} | {} | "
            "{} | {} | {} |\n",
            target_cell(t), t.attempted, t.quality.mean, std::max(0.0, t.quality.lo),
            std::min(1.0, t.quality.hi), percent(t.pass_rate), t.unscored, t.errors,
            money(t.cost_per_task), money(t.cost_per_task * 1000), money(t.cost_usd),
            money(t.judge_cost_usd), money(t.total_cost_usd()),
            t.latency_n > 0 ? ms(t.latency_p50) : "-", t.latency_n > 0 ? ms(t.latency_p95) : "-",
            t.ttft_n > 0 ? ms(t.ttft_p50) : "-", t.cache_hits);
    }
    out << "\n";

    if (!board.by_type.empty()) {
        out << "### Quality by task type\n\nMean score (cost per task); best quality in bold.\n\n";
        out << "| type |";
        for (const auto& t : board.targets) {
            out << " " << md_cell(t.target) << " |";
        }
        out << "\n|:--|";
        for (std::size_t i = 0; i < board.targets.size(); ++i) {
            out << "--:|";
        }
        out << "\n";
        for (const auto& [type, stats] : board.by_type) {
            out << "| " << md_cell(type) << " |";
            for (const auto& t : board.targets) {
                auto it = std::find_if(stats.begin(), stats.end(),
                                       [&](const TargetStats& s) { return s.target == t.target; });
                if (it == stats.end()) {
                    out << " - |";
                    continue;
                }
                std::string cell =
                    fmt::format("{:.3f} ({})", it->quality.mean, money(it->cost_per_task));
                bool best = it->quality.mean == stats.front().quality.mean;
                out << " " << (best ? "**" + cell + "**" : cell) << " |";
            }
            out << "\n";
        }
        out << "\n";
    }

    for (const auto& w : board.workflows) {
        out << fmt::format("### Workflow {} under {}\n\n{}\n\n", md_cell(w.suite), md_cell(w.target),
                           md_cell(workflow_summary(w), 200));
        out << "|";
        for (const char* column : k_step_columns) {
            out << " " << column << " |";
        }
        out << "\n|:--|:--|--:|--:|--:|--:|--:|--:|--:|--:|--:|:--|\n";
        for (const StepStats& s : w.steps) {
            auto cells = step_cells(s);
            out << "|";
            for (std::size_t i = 0; i < cells.size(); ++i) {
                bool text = i < 2 || i + 1 == cells.size(); // names; the figures are written as they are
                out << " " << (text ? md_cell(cells[i]) : cells[i]) << " |";
            }
            out << "\n";
        }
        out << "\n";
    }

    suite_tables(out, "Agent", board.agents, k_agent_columns, agent_cells);
    suite_tables(out, "Context", board.contexts, k_context_columns, context_cells);

    if (!board.worst.empty()) {
        out << fmt::format("### Worst results ({}, lowest score first)\n\n", board.worst.size());
        out << "| score | target | task | reasons | output |\n|--:|:--|:--|:--|:--|\n";
        for (const auto& r : board.worst) {
            std::string score =
                r.status == "scored" ? fmt::format("{:.3f}", r.score.value_or(0)) : r.status;
            std::string reasons;
            for (const auto& reason : result_reasons(r)) {
                reasons += (reasons.empty() ? "" : "; ") + reason;
            }
            for (const auto& line : transcript_lines(r, 100)) {
                reasons += "; " + line;
            }
            out << fmt::format("| {} | {} | {} | {} | {} |\n", score, md_cell(r.target),
                               md_cell(result_label(r)), md_cell(reasons, 160),
                               md_cell(r.output, 120));
        }
        out << "\n";
    }
}

} // namespace

void print_markdown(const std::vector<Leaderboard>& boards, std::ostream& out) {
    out << "# orch report\n\n";
    bool first = true;
    for (const auto& board : boards) {
        if (!first) {
            out << "---\n\n";
        }
        first = false;
        print_run(board, out);
    }
}

} // namespace orch::report
