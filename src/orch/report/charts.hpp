#pragma once
// Inline SVG charts for the HTML report, drawn here so that the report needs no script, no
// font and no network. Each function returns one <svg> element; every label is escaped.
#include <optional>
#include <string>
#include <vector>

namespace orch::report {

// A categorical colour per index (Tableau 10), so a target keeps its colour in every chart.
std::string series_color(std::size_t index);

struct ScatterPoint {
    std::string label;
    double cost = 0;    // USD per task; 0 is drawn on a separate "$0" position left of the axis
    double quality = 0; // mean
    double lo = 0;      // 95% interval
    double hi = 0;
    std::size_t color = 0;
};
// Quality against cost per task on a log cost axis, each point with its interval, the Pareto
// frontier drawn as a line through its points and labelled.
std::string quality_cost_scatter(const std::vector<ScatterPoint>& points);

struct LatencyBox {
    std::string label;
    double min = 0;
    double p25 = 0;
    double p50 = 0;
    double p75 = 0;
    double p95 = 0;
    double max = 0;
    std::size_t color = 0;
};
// One horizontal box per target: box p25–p75, a bar at p50, whiskers min–p95, a dot at max.
std::string latency_boxes(const std::vector<LatencyBox>& boxes);

struct HeatMap {
    std::vector<std::string> rows;                         // task types
    std::vector<std::string> columns;                      // targets
    std::vector<std::vector<std::optional<double>>> cells; // [row][column] mean quality
};
// Task type × target, each cell coloured by mean quality (red 0.4 or below → green 1.0).
std::string quality_heatmap(const HeatMap& map);

struct TimelineBar {
    std::string label;  // the step id
    std::string detail; // "sim-small · scored 1.000" (shown with the bar)
    double start_ms = 0;
    double end_ms = 0;
    std::string status; // scored | unscored | answered | error | skipped
    bool passed = true; // false draws the bar as failed
};
// One workflow task's steps as bars on a shared time axis, a row per step in start order, so
// parallel branches show as bars that overlap in time.
std::string workflow_timeline(const std::string& title, const std::vector<TimelineBar>& bars);

// Routers across many models on the quality-cost plane (`orch tune --evaluate --curve`).
struct CostQualityCurve {
    struct Model {
        std::string name;
        double cost = 0; // mean USD per task
        double quality = 0;
    };
    std::vector<Model> models; // drawn as points
    // Named series of (cost, quality) points, one per λ: "learned", "per_type", "oracle".
    std::vector<std::pair<std::string, std::vector<std::pair<double, double>>>> series;
};

struct Curve {
    std::vector<double> share; // share of calls to the strong model, 0..1 (two models)
    // Named series of PGR values, one per share: "learned", "random", "oracle", … in order.
    std::vector<std::pair<std::string, std::vector<double>>> series;
    std::optional<CostQualityCurve> cost_quality;
};
// Performance gap recovered against the strong-call share, one line per series with its
// area under the curve (APGR) in the legend.
std::string pgr_curve_chart(const Curve& curve);
// Mean quality against mean cost per task: each router's curve over λ, each model a point.
std::string cost_quality_chart(const CostQualityCurve& curve);

} // namespace orch::report
