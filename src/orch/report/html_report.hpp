#pragma once
// `orch report --format html`: one self-contained file. No script, no external stylesheet,
// font or image (a Content-Security-Policy in the file forbids them): inline CSS and inline
// SVG charts (charts.hpp). Per run: the leaderboard, quality against cost with the Pareto
// frontier, latency boxes, a task type × target heat map of mean quality, and the worst
// results with their outputs and evaluator reasons. Optionally a PGR curve (`orch tune`).
// Everything from the database, model output above all, is HTML-escaped.
#include <orch/report/charts.hpp>
#include <orch/report/leaderboard.hpp>

#include <iosfwd>
#include <optional>
#include <string>
#include <vector>

namespace orch::report {

struct HtmlOptions {
    std::optional<Curve> curve;      // drawn once, after the runs
    std::string curve_source;        // where it came from, shown under the chart
    std::size_t output_chars = 1500; // outputs in the results table are cut to this
};

// Reads a curve file written by `orch tune`: {"share": [...], "learned": [...], "random":
// [...], "oracle": [...]} (every other array of numbers as long as "share" is a series too;
// learned, random, oracle first; other keys are ignored). Throws orch::Error(config) naming
// the file and the problem.
Curve load_curve_file(const std::string& path);

void print_html(const std::vector<Leaderboard>& boards, const HtmlOptions& options,
                std::ostream& out);

} // namespace orch::report
