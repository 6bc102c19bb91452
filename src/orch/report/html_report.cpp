#include <orch/core/error.hpp>
#include <orch/report/html_report.hpp>
#include <orch/report/pareto.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <ostream>
#include <sstream>

namespace orch::report {

namespace {

constexpr const char* k_style = R"css(
:root { --ink: #1f2328; --muted: #59636e; --line: #d1d9e0; --bg: #ffffff; --soft: #f6f8fa; --warn: #9a6700; --warn-bg: #fff8c5; }
* { box-sizing: border-box; }
body { margin: 0; padding: 24px 32px 48px; font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; color: var(--ink); background: var(--bg); }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 20px; margin: 36px 0 6px; padding-top: 12px; border-top: 2px solid var(--line); }
h3 { font-size: 16px; margin: 26px 0 8px; }
p.meta { color: var(--muted); margin: 0 0 12px; }
code { font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.banner { border: 1px solid #d4a72c; background: var(--warn-bg); color: var(--warn); padding: 8px 12px; border-radius: 6px; margin: 12px 0; font-weight: 600; }
.badge { display: inline-block; font-size: 11px; font-weight: 600; padding: 1px 7px; border-radius: 10px; vertical-align: middle; margin-left: 6px; }
.badge.sim { background: var(--warn-bg); color: var(--warn); border: 1px solid #d4a72c; }
.badge.pareto { background: #dafbe1; color: #1a7f37; border: 1px solid #4ac26b; }
table { border-collapse: collapse; margin: 4px 0 8px; }
th, td { padding: 5px 7px; border-bottom: 1px solid var(--line); text-align: left; vertical-align: top; }
.table-wrap { overflow-x: auto; max-width: 100%; }
td.name { white-space: nowrap; }
nav { margin: 8px 0 0; font-size: 13px; }
nav a { color: #0969da; text-decoration: none; margin-right: 14px; }
th { background: var(--soft); font-weight: 600; white-space: nowrap; }
td.num, th.num { text-align: right; font-variant-numeric: tabular-nums; white-space: nowrap; }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 50%; margin-right: 6px; vertical-align: baseline; }
.charts { display: flex; flex-wrap: wrap; gap: 24px; align-items: flex-start; }
figure { margin: 0; border: 1px solid var(--line); border-radius: 8px; padding: 12px 12px 8px; background: var(--bg); }
figcaption { color: var(--muted); font-size: 12px; margin-top: 4px; max-width: 600px; }
svg { display: block; font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
svg .plot-bg { fill: #fbfcfd; }
svg .grid { stroke: #e6eaef; stroke-width: 1; }
svg .axis { stroke: #8c959f; stroke-width: 1; }
svg .axis-break { stroke: #8c959f; stroke-width: 1; stroke-dasharray: 3 3; }
svg .tick { font-size: 11px; fill: var(--muted); }
svg .axis-label { font-size: 12px; fill: var(--ink); }
svg .row-label, svg .col-label { font-size: 12px; fill: var(--ink); }
svg .point { stroke: #ffffff; stroke-width: 1.5; }
svg .frontier-point { stroke: #1a7f37; stroke-width: 2.5; }
svg .frontier { fill: none; stroke: #1a7f37; stroke-width: 2; stroke-dasharray: 7 4; }
svg .frontier-label { font-size: 12px; font-weight: 600; fill: #1a7f37; }
svg .point-label { font-size: 12px; fill: var(--ink); }
svg .ci { stroke-width: 1.5; opacity: 0.7; }
svg .whisker { stroke-width: 1.5; }
svg .box { opacity: 0.55; stroke: #57606a; stroke-width: 1; }
svg .median { stroke: #1f2328; stroke-width: 2.5; }
svg .cell { stroke: none; }
svg .cell-value { font-size: 12px; fill: #1f2328; font-variant-numeric: tabular-nums; }
svg .curve { fill: none; stroke-width: 2.5; }
svg .legend { font-size: 12px; fill: var(--ink); }
table.leaderboard { font-size: 13px; }
table.results td { font-size: 13px; }
table.results td.reasons ul { margin: 0; padding-left: 16px; }
table.results pre { margin: 0; max-width: 520px; min-width: 280px; max-height: 9.5em; overflow: auto; white-space: pre-wrap; word-break: break-word; font: 12px/1.4 ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; background: var(--soft); padding: 4px 6px; border-radius: 4px; }
.status-error, .status-unscored { color: #cf222e; font-weight: 600; }
.fail { color: #cf222e; }
.pass { color: #1a7f37; }
footer { margin-top: 40px; color: var(--muted); font-size: 12px; }
)css";

std::string h(std::string_view s) {
    return html_escape(s);
}

std::string suite_list(const store::RunInfo& run) {
    std::string s;
    if (run.suites.is_object()) {
        for (auto it = run.suites.begin(); it != run.suites.end(); ++it) {
            s += (s.empty() ? "" : ", ") + h(it.key());
        }
    }
    return s;
}

using ColorMap = std::map<std::string, std::size_t>;

std::string swatch(const ColorMap& colors, const std::string& target) {
    auto it = colors.find(target);
    return fmt::format("<span class=\"swatch\" style=\"background:{}\"></span>",
                       series_color(it == colors.end() ? 0 : it->second));
}

// Targets with a score on the frontier of quality against cost per task.
std::vector<std::string> frontier_targets(const Leaderboard& board) {
    std::vector<CostQuality> cq;
    std::vector<std::string> names;
    for (const auto& t : board.targets) {
        if (t.scored > 0) {
            cq.push_back({t.cost_per_task, t.quality.mean});
            names.push_back(t.target);
        }
    }
    std::vector<std::string> out;
    for (auto i : pareto_frontier(cq)) {
        out.push_back(names[i]);
    }
    return out;
}

void leaderboard_table(const Leaderboard& board, const ColorMap& colors, std::ostream& out) {
    auto frontier = frontier_targets(board);
    out << "<div class=\"table-wrap\"><table class=\"leaderboard\">\n<thead><tr><th>target</th>"
           "<th class=\"num\">tasks</th><th class=\"num\">quality (95% CI)</th><th "
           "class=\"num\">pass</th>"
           "<th class=\"num\">unscored</th><th class=\"num\">errors</th><th "
           "class=\"num\">cost/task</th>"
           "<th class=\"num\">cost/1k tasks</th><th class=\"num\">generation</th><th "
           "class=\"num\">judging</th>"
           "<th class=\"num\">total</th><th class=\"num\">p50</th><th class=\"num\">p95</th>"
           "<th class=\"num\">TTFT p50</th><th class=\"num\">cached</th></tr></thead>\n<tbody>\n";
    for (const auto& t : board.targets) {
        bool on_frontier = std::find(frontier.begin(), frontier.end(), t.target) != frontier.end();
        out << fmt::format(
            "<tr><td class=\"name\">{}{}{}{}</td><td class=\"num\">{}</td><td "
            "class=\"num\"><b>{:.3f}</b> "
            "[{:.3f}, {:.3f}]</td><td class=\"num\">{}</td><td class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
            "class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"num\">{}</td><td "
            "class=\"num\">{}</td>"
            "<td class=\"num\">{}</td><td class=\"num\">{}</td></tr>\n",
            swatch(colors, t.target), h(t.target), t.simulated ? " <small>(sim)</small>" : "",
            on_frontier ? "<span class=\"badge pareto\">Pareto</span>" : "", t.attempted,
            t.quality.mean, std::max(0.0, t.quality.lo), std::min(1.0, t.quality.hi),
            percent(t.pass_rate), t.unscored, t.errors, h(money(t.cost_per_task)),
            h(money(t.cost_per_task * 1000)), h(money(t.cost_usd)), h(money(t.judge_cost_usd)),
            h(money(t.total_cost_usd())), t.latency_n > 0 ? ms(t.latency_p50) : "–",
            t.latency_n > 0 ? ms(t.latency_p95) : "–", t.ttft_n > 0 ? ms(t.ttft_p50) : "–",
            t.cache_hits);
    }
    out << "</tbody>\n</table></div>\n";
}

void charts(const Leaderboard& board, const ColorMap& colors, std::ostream& out) {
    std::vector<ScatterPoint> points;
    std::vector<LatencyBox> boxes;
    for (const auto& t : board.targets) {
        std::size_t color = colors.at(t.target);
        if (t.scored > 0) {
            points.push_back({t.target, t.cost_per_task, t.quality.mean,
                              std::max(0.0, t.quality.lo), std::min(1.0, t.quality.hi), color});
        }
        if (t.latency_n > 0) {
            boxes.push_back({t.target, t.latency_min, t.latency_p25, t.latency_p50, t.latency_p75,
                             t.latency_p95, t.latency_max, color});
        }
    }
    out << "<div class=\"charts\">\n";
    if (!points.empty()) {
        auto frontier = frontier_targets(board);
        std::string names;
        for (const auto& f : frontier) {
            names += (names.empty() ? "" : ", ") + h(f);
        }
        out << "<figure>\n" << quality_cost_scatter(points);
        out << "<figcaption>Quality against generation cost per task (log scale). The dashed green "
               "line is the "
               "Pareto frontier: the targets no other target beats on both quality and cost ("
            << names << ").</figcaption>\n</figure>\n";
    }
    if (!boxes.empty()) {
        out << "<figure>\n" << latency_boxes(boxes);
        out << "<figcaption>Latency of every answered task: the box spans p25 to p75, the dark bar "
               "is the median, "
               "whiskers run from the fastest to p95.</figcaption>\n</figure>\n";
    }
    out << "</div>\n";

    if (!board.by_type.empty()) {
        HeatMap map;
        for (const auto& t : board.targets) {
            map.columns.push_back(t.target);
        }
        for (const auto& [type, stats] : board.by_type) {
            map.rows.push_back(type);
            std::vector<std::optional<double>> row;
            for (const auto& t : board.targets) {
                auto it = std::find_if(stats.begin(), stats.end(),
                                       [&](const TargetStats& s) { return s.target == t.target; });
                row.push_back(it != stats.end() && it->scored > 0
                                  ? std::optional<double>(it->quality.mean)
                                  : std::nullopt);
            }
            map.cells.push_back(std::move(row));
        }
        out << "<h3>Quality by task type</h3>\n<div class=\"charts\"><figure>\n"
            << quality_heatmap(map);
        out << "<figcaption>Mean score of each target on each task "
               "type.</figcaption>\n</figure></div>\n";
    }
}

void workflow_section(const Leaderboard& board, std::ostream& out) {
    for (const auto& w : board.workflows) {
        out << fmt::format("<h3>Workflow {} under {}</h3>\n<p class=\"meta\">{}</p>\n", h(w.suite), h(w.target),
                           h(workflow_summary(w)));
        out << "<div class=\"table-wrap\"><table>\n<thead><tr>";
        for (std::size_t i = 0; i < k_step_columns.size(); ++i) {
            bool text = i < 2 || i + 1 == k_step_columns.size(); // step, type, models; the rest are numbers
            out << (text ? "<th>" : "<th class=\"num\">") << k_step_columns[i] << "</th>";
        }
        out << "</tr></thead>\n<tbody>\n";
        for (const StepStats& s : w.steps) {
            auto cells = step_cells(s);
            out << "<tr>";
            for (std::size_t i = 0; i < cells.size(); ++i) {
                out << (i == 0 ? "<td class=\"name\">" : i == 1 || i + 1 == cells.size() ? "<td>" : "<td class=\"num\">")
                    << h(cells[i]) << "</td>";
            }
            out << "</tr>\n";
        }
        out << "</tbody>\n</table></div>\n";
    }
    std::string agent_suite;
    for (const auto& a : board.agents) {
        if (a.suite != agent_suite) {
            out << (agent_suite.empty() ? "" : "</tbody>\n</table></div>\n");
            agent_suite = a.suite;
            out << fmt::format("<h3>Agent {}</h3>\n<div class=\"table-wrap\"><table>\n<thead><tr>", h(a.suite));
            for (std::size_t i = 0; i < k_agent_columns.size(); ++i) {
                out << (i == 0 ? "<th>" : "<th class=\"num\">") << k_agent_columns[i] << "</th>";
            }
            out << "</tr></thead>\n<tbody>\n";
        }
        auto cells = agent_cells(a);
        out << "<tr>";
        for (std::size_t i = 0; i < cells.size(); ++i) {
            out << (i == 0 ? "<td class=\"name\">" : "<td class=\"num\">") << h(cells[i]) << "</td>";
        }
        out << "</tr>\n";
    }
    if (!agent_suite.empty()) {
        out << "</tbody>\n</table></div>\n";
    }
    for (const auto& t : board.timelines) {
        std::vector<TimelineBar> bars;
        for (const auto& st : t.steps) {
            TimelineBar b;
            b.label = st.step_id;
            b.start_ms = st.start_ms;
            b.end_ms = st.end_ms;
            b.status = st.status;
            b.passed = st.passed.value_or(true);
            b.detail = st.model.empty() ? st.status : st.model + " · " + st.status;
            if (st.score) {
                b.detail += fmt::format(" {:.3f}", *st.score);
            }
            bars.push_back(std::move(b));
        }
        std::string title = fmt::format("{}/{}#{} under {}", t.suite, t.task_id, t.repeat, t.target);
        out << "<div class=\"charts\"><figure>\n" << workflow_timeline("Timeline of " + title, bars);
        out << "<figcaption>Timeline of " << h(title)
            << ": each step from when it started to when its answer came back; bars that overlap ran "
               "in parallel. Red: the step failed its checks or errored; grey: skipped.</figcaption>\n"
               "</figure></div>\n";
    }
}

void results_table(const Leaderboard& board, const HtmlOptions& options, std::ostream& out) {
    if (board.worst.empty()) {
        return;
    }
    out << fmt::format(
        "<section class=\"results\" id=\"results-{}\">\n<h2>Run {}: worst results ({} shown, "
        "lowest score first)</h2>\n",
        board.run.id, board.run.id, board.worst.size());
    out << "<div class=\"table-wrap\"><table class=\"results\">\n<thead><tr><th "
           "class=\"num\">#</th><th class=\"num\">score</th><th>target</th>"
           "<th>task</th><th>evaluator reasons</th><th>output</th></tr></thead>\n<tbody>\n";
    std::size_t n = 0;
    for (const auto& r : board.worst) {
        ++n;
        std::string score;
        if (r.status == "scored") {
            score = fmt::format("<span class=\"{}\">{:.3f}</span>",
                                r.passed.value_or(false) ? "pass" : "fail", r.score.value_or(0));
        } else {
            score = fmt::format("<span class=\"status-{}\">{}</span>", h(r.status), h(r.status));
        }
        std::string reasons = "<ul>";
        for (const auto& reason : result_reasons(r)) {
            reasons += "<li>" + h(reason) + "</li>";
        }
        for (const auto& line : transcript_lines(r, 200)) {
            reasons += "<li class=\"call\">" + h(line) + "</li>";
        }
        reasons += "</ul>";
        std::string output = r.status == "error"
                                 ? "<i>no output</i>"
                                 : "<pre>" + h(clip(r.output, options.output_chars)) + "</pre>";
        std::string model = r.model != r.target && !r.model.empty() ? " → " + h(r.model) : "";
        std::string rule =
            route_rule(r).empty() ? "" : "<br><small>rule " + h(route_rule(r)) + "</small>";
        out << fmt::format(
            "<tr><td class=\"num\">{}</td><td class=\"num\">{}</td><td class=\"name\">{}{}{}</td>"
            "<td class=\"name\">{}<br>"
            "<small>{} · threshold {:.2f}</small></td><td "
            "class=\"reasons\">{}</td><td>{}</td></tr>\n",
            n, score, h(r.target), model, rule, h(result_label(r)), h(r.task_type), r.threshold,
            reasons, output);
    }
    out << "</tbody>\n</table></div>\n</section>\n";
}

void run_section(const Leaderboard& board, const ColorMap& colors, std::ostream& out) {
    const auto& run = board.run;
    out << fmt::format("<section class=\"run\" id=\"run-{}\">\n<h2>Run {}{}</h2>\n", run.id, run.id,
                       board.simulated ? " <span class=\"badge sim\">SIMULATED</span>" : "");
    out << fmt::format(
        "<p class=\"meta\">started {} · status {} · seed {} · repeats {} · suites: {}<br>"
        "<code>{}</code></p>\n",
        h(run.started_at), h(run.status), run.seed, run.repeats, suite_list(run), h(run.command));
    if (board.simulated) {
        out << "<p class=\"banner\">" << h(k_simulated_note) << "</p>\n";
    }
    out << "<h3>Leaderboard</h3>\n";
    leaderboard_table(board, colors, out);
    out << "<p class=\"meta\">Quality is the mean score of scored tasks with a 95% interval; pass "
           "counts every "
           "task (errors fail). Cost per task is generation cost; judging is what scoring "
           "cost.</p>\n";
    charts(board, colors, out);
    workflow_section(board, out);
    out << "</section>\n";
}

} // namespace

namespace {

// "cost_quality": {"models": [{"model", "cost", "quality"}], "learned": [[cost, quality]…], …}
CostQualityCurve read_cost_quality(const nlohmann::ordered_json& j, const std::string& path) {
    auto fail = [&](const std::string& what) {
        throw Error(ErrorKind::config, fmt::format("{}: cost_quality.{}", path, what));
    };
    if (!j.is_object()) {
        fail("(itself): expected an object with models and series of [cost, quality] points");
    }
    CostQualityCurve c;
    if (auto it = j.find("models"); it != j.end()) {
        if (!it->is_array()) {
            fail("models: expected an array of {model, cost, quality}");
        }
        for (std::size_t i = 0; i < it->size(); ++i) {
            const auto& m = (*it)[i];
            if (!m.is_object() || !m.contains("model") || !m["model"].is_string() ||
                !m.contains("cost") || !m["cost"].is_number() || !m.contains("quality") ||
                !m["quality"].is_number()) {
                fail(fmt::format("models[{}]: expected {{model, cost, quality}}", i));
            }
            c.models.push_back({m["model"].get<std::string>(), m["cost"].get<double>(),
                                m["quality"].get<double>()});
        }
    }
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() == "models") {
            continue;
        }
        std::vector<std::pair<double, double>> points;
        if (!it.value().is_array()) {
            fail(it.key() + ": expected an array of [cost, quality] points");
        }
        for (const auto& p : it.value()) {
            if (!p.is_array() || p.size() != 2 || !p[0].is_number() || !p[1].is_number()) {
                fail(it.key() + ": expected an array of [cost, quality] points");
            }
            points.emplace_back(p[0].get<double>(), p[1].get<double>());
        }
        c.series.emplace_back(it.key(), std::move(points));
    }
    return c;
}

} // namespace

Curve load_curve_file(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    if (!in) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot open the curve file", path));
    }
    std::stringstream buf;
    buf << in.rdbuf();
    auto j = nlohmann::ordered_json::parse(buf.str(), nullptr, false);
    auto numbers = [](const nlohmann::ordered_json& v) {
        return v.is_array() &&
               std::all_of(v.begin(), v.end(), [](const auto& x) { return x.is_number(); });
    };
    bool has_cq = !j.is_discarded() && j.is_object() && j.contains("cost_quality");
    if (j.is_discarded() || !j.is_object() ||
        (!has_cq && (!j.contains("share") || !numbers(j["share"])))) {
        throw Error(
            ErrorKind::config,
            fmt::format("{}: expected a JSON object with \"share\": [numbers] and series such as "
                        "\"learned\", \"random\", \"oracle\", or \"cost_quality\" (as written "
                        "by orch tune)",
                        path));
    }
    Curve curve;
    if (has_cq) {
        curve.cost_quality = read_cost_quality(j["cost_quality"], path);
    }
    if (!j.contains("share")) {
        return curve;
    }
    if (!numbers(j["share"])) {
        throw Error(ErrorKind::config, fmt::format("{}: share: expected an array of numbers", path));
    }
    curve.share = j["share"].get<std::vector<double>>();
    std::vector<std::string> order = {"learned", "random", "oracle"};
    // Other arrays of numbers as long as "share" are series too; anything else is metadata.
    for (auto it = j.begin(); it != j.end(); ++it) {
        if (it.key() != "share" && std::find(order.begin(), order.end(), it.key()) == order.end() &&
            numbers(it.value()) && it.value().size() == curve.share.size()) {
            order.push_back(it.key());
        }
    }
    for (const auto& name : order) {
        if (!j.contains(name)) {
            continue;
        }
        if (!numbers(j[name]) || j[name].size() != curve.share.size()) {
            throw Error(ErrorKind::config, fmt::format("{}: {}: expected {} numbers, one per share",
                                                       path, name, curve.share.size()));
        }
        curve.series.emplace_back(name, j[name].get<std::vector<double>>());
    }
    if (curve.series.empty() && !curve.cost_quality) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no series besides \"share\" to draw", path));
    }
    return curve;
}

void print_html(const std::vector<Leaderboard>& boards, const HtmlOptions& options,
                std::ostream& out) {
    bool simulated = false;
    ColorMap colors; // a target keeps one colour across runs
    std::string title;
    for (const auto& b : boards) {
        simulated = simulated || b.simulated;
        for (const auto& t : b.targets) {
            colors.emplace(t.target, colors.size());
        }
        title += (title.empty() ? "" : ", ") + std::to_string(b.run.id);
    }
    out << "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
           "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src "
           "'unsafe-inline'; "
           "img-src data:\">\n"
           "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n";
    out << fmt::format("<title>orch report — run{} {}{}</title>\n", boards.size() > 1 ? "s" : "",
                       title, simulated ? " (SIMULATED)" : "");
    out << "<style>" << k_style << "</style>\n</head>\n<body>\n";
    out << fmt::format("<header>\n<h1>orch report{}</h1>\n",
                       simulated ? " <span class=\"badge sim\">SIMULATED</span>" : "");
    out << fmt::format("<p class=\"meta\">run{} {}</p>\n", boards.size() > 1 ? "s" : "", title);
    if (simulated) {
        out << "<p class=\"banner\">" << h(k_simulated_note) << "</p>\n";
    }
    out << "<nav>";
    for (const auto& b : boards) {
        out << fmt::format("<a href=\"#run-{}\">Run {}</a>", b.run.id, b.run.id);
    }
    if (options.curve) {
        out << "<a href=\"#curve\">Routing curve</a>";
    }
    for (const auto& b : boards) {
        if (!b.worst.empty()) {
            out << fmt::format("<a href=\"#results-{}\">Worst results{}</a>", b.run.id,
                               boards.size() > 1 ? fmt::format(" (run {})", b.run.id) : "");
        }
    }
    out << "</nav>\n</header>\n";
    // Overviews first, then the long tables of outputs.
    for (const auto& b : boards) {
        run_section(b, colors, out);
    }
    if (options.curve) {
        std::string from = options.curve_source.empty()
                               ? ""
                               : " From <code>" + h(options.curve_source) + "</code>.";
        out << "<section class=\"curve\" id=\"curve\">\n<h2>Routing curve</h2>\n<div "
               "class=\"charts\">";
        if (!options.curve->series.empty()) {
            out << "<figure>\n" << pgr_curve_chart(*options.curve);
            out << "<figcaption>Performance gap recovered (PGR: 0 = the weak model's quality, 1 = "
                   "the strong model's) against the share of calls sent to the strong model. "
                   "APGR is the area under each curve."
                << from << "</figcaption>\n</figure>";
        }
        if (options.curve->cost_quality) {
            out << "<figure>\n" << cost_quality_chart(*options.curve->cost_quality);
            out << "<figcaption>Held-out mean quality against mean cost per task as lambda moves "
                   "from quality first to cost first, for the learned router, the best fixed "
                   "model per task type and the oracle; each single model is a point. Random "
                   "mixes of two models reach the segment between their points."
                << from << "</figcaption>\n</figure>";
        }
        out << "</div>\n</section>\n";
    }
    for (const auto& b : boards) {
        results_table(b, options, out);
    }
    out << "<footer>Generated by orch. This file is self-contained: no scripts, no "
           "network.</footer>\n"
           "</body>\n</html>\n";
}

} // namespace orch::report
