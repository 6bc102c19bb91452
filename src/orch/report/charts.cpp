#include <orch/report/charts.hpp>
#include <orch/report/pareto.hpp>
#include <orch/report/text.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>

namespace orch::report {

namespace {

constexpr double k_char_width = 7.0; // average width of a 12px sans-serif character

double text_width(const std::string& s, double char_width = k_char_width) {
    std::size_t chars = 0;
    for (char c : s) {
        chars += (static_cast<unsigned char>(c) & 0xC0) != 0x80 ? 1 : 0;
    }
    return static_cast<double>(chars) * char_width;
}

std::string num(double v) {
    return fmt::format("{:.1f}", v);
}

std::string svg_open(double width, double height, const std::string& title) {
    return fmt::format(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {} {}\" width=\"{}\" "
        "height=\"{}\" role=\"img\" aria-label=\"{}\">\n<title>{}</title>\n",
        num(width), num(height), num(width), num(height), html_escape(title), html_escape(title));
}

std::string text(double x, double y, const std::string& s, const std::string& extra = "") {
    return fmt::format("<text x=\"{}\" y=\"{}\"{}>{}</text>\n", num(x), num(y),
                       extra.empty() ? "" : " " + extra, html_escape(s));
}

std::string line(double x1, double y1, double x2, double y2, const std::string& style) {
    return fmt::format("<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" {}/>\n", num(x1), num(y1),
                       num(x2), num(y2), style);
}

// "Nice" tick step for a linear axis covering span with about n ticks.
double nice_step(double span, int n) {
    double raw = span / n;
    double mag = std::pow(10.0, std::floor(std::log10(raw)));
    double f = raw / mag;
    double nice = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nice * mag;
}

std::string tick_money(double usd) {
    if (usd >= 1) {
        return fmt::format("${:g}", usd);
    }
    int decimals = -static_cast<int>(std::floor(std::log10(usd) + 1e-9));
    return fmt::format("${:.{}f}", usd, std::max(decimals, 1));
}

// The two axes of a plot and their labels (y rotated, at the left edge).
std::string axes(double left, double top, double plot_w, double plot_h, double height,
                 const std::string& x_label, const std::string& y_label) {
    std::string s = line(left, top + plot_h, left + plot_w, top + plot_h, "class=\"axis\"");
    s += line(left, top, left, top + plot_h, "class=\"axis\"");
    s += text(left + plot_w / 2, height - 12, x_label, "text-anchor=\"middle\" class=\"axis-label\"");
    s += text(16, top + plot_h / 2, y_label,
              fmt::format("text-anchor=\"middle\" class=\"axis-label\" transform=\"rotate(-90 16 {})\"",
                          num(top + plot_h / 2)));
    return s;
}

// A series drawn as a path, and its row in the legend at (lx, ly).
std::string series_with_legend(const std::string& path, const std::string& color,
                               const std::string& dash, double lx, double ly,
                               const std::string& label) {
    std::string d = dash.empty() ? "" : fmt::format(" stroke-dasharray=\"{}\"", dash);
    std::string s =
        fmt::format("<path d=\"{}\" stroke=\"{}\" class=\"curve\"{}/>\n", path, color, d);
    s += fmt::format(
        "<line x1=\"{}\" y1=\"{}\" x2=\"{}\" y2=\"{}\" stroke=\"{}\" class=\"curve\"{}/>\n",
        num(lx), num(ly - 4), num(lx + 26), num(ly - 4), color, d);
    s += text(lx + 32, ly, label, "class=\"legend\"");
    return s;
}

constexpr const char* k_dashes[] = {"", "6 4", "2 3", "10 3 2 3"};

struct Box {
    double x0, y0, x1, y1;
    bool overlaps(const Box& o) const { return x0 < o.x1 && o.x0 < x1 && y0 < o.y1 && o.y0 < y1; }
};

} // namespace

std::string series_color(std::size_t index) {
    static const char* palette[] = {"#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f",
                                    "#edc948", "#b07aa1", "#ff9da7", "#9c755f", "#bab0ac"};
    return palette[index % (sizeof palette / sizeof palette[0])];
}

std::string quality_cost_scatter(const std::vector<ScatterPoint>& points) {
    const double width = 600;
    const double height = 420;
    const double left = 64;
    const double right = 24;
    const double top = 24;
    const double bottom = 58;
    const double plot_w = width - left - right;
    const double plot_h = height - top - bottom;

    bool has_free = false;
    double min_cost = 0;
    double max_cost = 0;
    double min_q = 1;
    for (const auto& p : points) {
        if (p.cost <= 0) {
            has_free = true;
        } else {
            min_cost = min_cost == 0 ? p.cost : std::min(min_cost, p.cost);
            max_cost = std::max(max_cost, p.cost);
        }
        min_q = std::min(min_q, std::max(0.0, p.lo));
    }
    // The log axis spans whole decades around the priced points; a free ($0) target sits in
    // its own band on the left, since log(0) has no place on the axis.
    double free_band = has_free ? 84 : 0;
    double dec_lo = min_cost > 0 ? std::floor(std::log10(min_cost)) : -4;
    double dec_hi = max_cost > 0 ? std::ceil(std::log10(max_cost)) : -2;
    if (dec_hi <= dec_lo) {
        dec_hi = dec_lo + 1;
    }
    double y_lo = std::max(0.0, std::floor((min_q - 0.02) * 10) / 10);
    double y_hi = 1.0;
    if (y_hi - y_lo < 0.2) {
        y_lo = std::max(0.0, y_hi - 0.2);
    }
    auto x_of = [&](double cost) {
        if (cost <= 0) {
            return left + free_band / 2;
        }
        double t = (std::log10(cost) - dec_lo) / (dec_hi - dec_lo);
        return left + free_band + t * (plot_w - free_band);
    };
    auto y_of = [&](double q) {
        return top + (y_hi - std::clamp(q, y_lo, y_hi)) / (y_hi - y_lo) * plot_h;
    };

    std::string s =
        svg_open(width, height, "Quality against cost per task, with the Pareto frontier");
    s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" class=\"plot-bg\"/>\n",
                     num(left), num(top), num(plot_w), num(plot_h));
    // Grid and ticks.
    double ystep = nice_step(y_hi - y_lo, 5);
    for (double q = y_lo; q <= y_hi + 1e-9; q += ystep) {
        double y = y_of(q);
        s += line(left, y, left + plot_w, y, "class=\"grid\"");
        s += text(left - 8, y + 4, fmt::format("{:.2f}", q), "text-anchor=\"end\" class=\"tick\"");
    }
    for (double d = dec_lo; d <= dec_hi + 1e-9; d += 1) {
        double x = x_of(std::pow(10.0, d));
        s += line(x, top, x, top + plot_h, "class=\"grid\"");
        s += text(x, top + plot_h + 18, tick_money(std::pow(10.0, d)),
                  "text-anchor=\"middle\" class=\"tick\"");
        for (int k = 2; k <= 9 && d < dec_hi; ++k) { // minor ticks inside the decade
            double xm = x_of(k * std::pow(10.0, d));
            s += line(xm, top + plot_h, xm, top + plot_h + 4, "class=\"axis\"");
        }
    }
    if (has_free) {
        double x = left + free_band / 2;
        s += text(x, top + plot_h + 18, "$0", "text-anchor=\"middle\" class=\"tick\"");
        double xb = left + free_band;
        s += line(xb, top, xb, top + plot_h, "class=\"axis-break\"");
    }
    s += line(left, top + plot_h, left + plot_w, top + plot_h, "class=\"axis\"");
    s += line(left, top, left, top + plot_h, "class=\"axis\"");
    s += text(left + plot_w / 2, height - 12, "cost per task (USD, log scale)",
              "text-anchor=\"middle\" class=\"axis-label\"");
    s += text(
        16, top + plot_h / 2, "mean quality (95% CI)",
        fmt::format("text-anchor=\"middle\" class=\"axis-label\" transform=\"rotate(-90 16 {})\"",
                    num(top + plot_h / 2)));

    // Pareto frontier: a line through its points, cheapest first.
    std::vector<CostQuality> cq;
    for (const auto& p : points) {
        cq.push_back({p.cost, p.quality});
    }
    auto frontier = pareto_frontier(cq);
    std::vector<Box> placed;
    if (!frontier.empty()) {
        std::string path;
        for (std::size_t k = 0; k < frontier.size(); ++k) {
            const auto& p = points[frontier[k]];
            path += fmt::format("{}{},{}", k == 0 ? "M" : " L", num(x_of(p.cost)),
                                num(y_of(p.quality)));
        }
        s += fmt::format("<path d=\"{}\" class=\"frontier\"/>\n", path);
        const auto& last = points[frontier.back()];
        double lx = x_of(last.cost);
        double ly = y_of(last.quality) - 14;
        std::string label = "Pareto frontier";
        double w = text_width(label, 6.6);
        double x0 = std::min(lx - w / 2, left + plot_w - w - 4);
        x0 = std::max(x0, left + 4);
        if (ly < top + 12) {
            ly = y_of(last.quality) + 34;
        }
        s += text(x0, ly, label, "class=\"frontier-label\"");
        placed.push_back({x0, ly - 12, x0 + w, ly + 3});
    }

    // Points, intervals, then labels placed where they collide with nothing already drawn.
    for (const auto& p : points) {
        double x = x_of(p.cost);
        s += line(x, y_of(p.lo), x, y_of(p.hi),
                  fmt::format("stroke=\"{}\" class=\"ci\"", series_color(p.color)));
        s += line(x - 4, y_of(p.lo), x + 4, y_of(p.lo),
                  fmt::format("stroke=\"{}\" class=\"ci\"", series_color(p.color)));
        s += line(x - 4, y_of(p.hi), x + 4, y_of(p.hi),
                  fmt::format("stroke=\"{}\" class=\"ci\"", series_color(p.color)));
    }
    for (std::size_t i = 0; i < points.size(); ++i) {
        const auto& p = points[i];
        bool on_frontier = std::find(frontier.begin(), frontier.end(), i) != frontier.end();
        double x = x_of(p.cost);
        double y = y_of(p.quality);
        s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"6\" fill=\"{}\" class=\"{}\"><title>{}: "
                         "quality {:.3f} "
                         "[{:.3f}, {:.3f}], {} per task{}</title></circle>\n",
                         num(x), num(y), series_color(p.color),
                         on_frontier ? "point frontier-point" : "point", html_escape(p.label),
                         p.quality, p.lo, p.hi, html_escape(money(p.cost)),
                         on_frontier ? " (on the Pareto frontier)" : "");
        placed.push_back({x - 7, y - 7, x + 7, y + 7});
    }
    for (const auto& p : points) {
        double x = x_of(p.cost);
        double y = y_of(p.quality);
        double w = text_width(p.label);
        const std::pair<double, double> offsets[] = {{10, 4},        {-10 - w, 4}, {10, -10},
                                                     {-10 - w, -10}, {10, 18},     {-10 - w, 18},
                                                     {-w / 2, -14},  {-w / 2, 24}};
        Box chosen{x + 10, y - 8, x + 10 + w, y + 6};
        for (const auto& [dx, dy] : offsets) {
            Box b{x + dx, y + dy - 12, x + dx + w, y + dy + 3};
            bool inside =
                b.x0 >= left && b.x1 <= left + plot_w && b.y0 >= top && b.y1 <= top + plot_h;
            bool clear = std::none_of(placed.begin(), placed.end(),
                                      [&](const Box& o) { return o.overlaps(b); });
            if (inside && clear) {
                chosen = b;
                break;
            }
        }
        placed.push_back(chosen);
        s += text(chosen.x0, chosen.y1 - 3, p.label, "class=\"point-label\"");
    }
    s += "</svg>\n";
    return s;
}

// A horizontal axis in milliseconds over [0, hi]: hi (already padded) rounded up to whole tick
// steps, with the grid lines, tick labels, axis line and label drawn over rows top..bottom.
struct MsAxis {
    double left = 0;
    double width = 0;
    double hi = 1000;
    double step = 200;

    MsAxis(double max_ms, double left_x, double plot_width, int ticks) : left(left_x), width(plot_width) {
        hi = max_ms <= 0 ? 1000 : max_ms;
        step = nice_step(hi, ticks);
        hi = std::ceil(hi / step) * step;
    }
    double x(double v) const { return left + std::clamp(v, 0.0, hi) / hi * width; }
    std::string draw(double top, double bottom, double label_y, const std::string& label) const {
        std::string s;
        for (double v = 0; v <= hi + 1e-9; v += step) {
            s += line(x(v), top, x(v), bottom, "class=\"grid\"");
            s += text(x(v), bottom + 18, ms(v), "text-anchor=\"middle\" class=\"tick\"");
        }
        s += line(left, bottom, left + width, bottom, "class=\"axis\"");
        s += text(left + width / 2, label_y, label, "text-anchor=\"middle\" class=\"axis-label\"");
        return s;
    }
};

std::string workflow_timeline(const std::string& title, const std::vector<TimelineBar>& bars) {
    double label_w = 0;
    double detail_w = 0;
    double hi = 0;
    for (const auto& b : bars) {
        label_w = std::max(label_w, text_width(b.label));
        detail_w = std::max(detail_w, text_width(b.detail, 6.2));
        hi = std::max(hi, b.end_ms);
    }
    const double left = std::max(90.0, label_w + 20);
    const double right = std::max(60.0, detail_w + 16);
    const double top = 16;
    const double row = 28;
    const double bottom = 48;
    const double plot_w = 460;
    const double width = left + plot_w + right;
    const double height = top + row * static_cast<double>(std::max<std::size_t>(bars.size(), 1)) + bottom;
    MsAxis axis(hi * 1.05, left, plot_w, 6);

    std::string s = svg_open(width, height, title);
    double plot_bottom = top + row * static_cast<double>(bars.size());
    s += axis.draw(top, plot_bottom, height - 10, "time since the task started");
    for (std::size_t i = 0; i < bars.size(); ++i) {
        const auto& b = bars[i];
        double cy = top + row * (static_cast<double>(i) + 0.5);
        s += text(left - 10, cy + 4, b.label, "text-anchor=\"end\" class=\"row-label\"");
        bool bad = b.status == "error" || b.status == "unscored" || !b.passed;
        std::string color = b.status == "skipped" ? "#d1d9e0" : bad ? "#cf222e" : series_color(0);
        double x0 = axis.x(b.start_ms);
        double w = std::max(2.0, axis.x(b.end_ms) - x0);
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" rx=\"3\" "
                         "class=\"step-bar\"><title>{}: {} to {}</title></rect>\n",
                         num(x0), num(cy - 9), num(w), num(18.0), color, html_escape(b.label), ms(b.start_ms),
                         ms(b.end_ms));
        s += text(left + plot_w + 8, cy + 4, b.detail, "class=\"tick\"");
    }
    s += "</svg>\n";
    return s;
}

std::string latency_boxes(const std::vector<LatencyBox>& boxes) {
    double label_w = 0;
    for (const auto& b : boxes) {
        label_w = std::max(label_w, text_width(b.label));
    }
    const double left = std::max(90.0, label_w + 20);
    const double right = 172;
    const double top = 16;
    const double row = 34;
    const double bottom = 48;
    const double width = 600;
    const double plot_w = width - left - right;
    const double height =
        top + row * static_cast<double>(std::max<std::size_t>(boxes.size(), 1)) + bottom;
    double hi = 0;
    for (const auto& b : boxes) {
        hi = std::max(hi, b.p95);
    }
    MsAxis axis(hi * 1.08, left, plot_w, 5);
    hi = axis.hi;

    std::string s =
        svg_open(width, height, "Latency per target: box p25 to p75, bar at p50, whiskers to p95");
    double plot_bottom = top + row * static_cast<double>(boxes.size());
    s += axis.draw(top, plot_bottom, height - 10, "latency per task (whiskers: min to p95; dot or arrow: max)");
    for (std::size_t i = 0; i < boxes.size(); ++i) {
        const auto& b = boxes[i];
        double cy = top + row * (static_cast<double>(i) + 0.5);
        std::string color = series_color(b.color);
        s += text(left - 10, cy + 4, b.label, "text-anchor=\"end\" class=\"row-label\"");
        s += line(axis.x(b.min), cy, axis.x(b.p95), cy,
                  fmt::format("stroke=\"{}\" class=\"whisker\"", color));
        s += line(axis.x(b.min), cy - 6, axis.x(b.min), cy + 6,
                  fmt::format("stroke=\"{}\" class=\"whisker\"", color));
        s += line(axis.x(b.p95), cy - 6, axis.x(b.p95), cy + 6,
                  fmt::format("stroke=\"{}\" class=\"whisker\"", color));
        s += fmt::format(
            "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" class=\"box\"/>\n",
            num(axis.x(b.p25)), num(cy - 10), num(std::max(1.0, axis.x(b.p75) - axis.x(b.p25))),
            num(20.0), color);
        s += line(axis.x(b.p50), cy - 10, axis.x(b.p50), cy + 10, "class=\"median\"");
        if (b.max > b.p95 && b.max <= hi) {
            s +=
                fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"3\" fill=\"{}\" class=\"outlier\"/>\n",
                            num(axis.x(b.max)), num(cy), color);
        } else if (b.max > hi) { // off the axis: an arrowhead at its edge
            double x = axis.x(hi);
            s += fmt::format("<path d=\"M{},{} L{},{} L{},{} Z\" fill=\"{}\" "
                             "class=\"outlier\"><title>max {}</title>"
                             "</path>\n",
                             num(x - 6), num(cy - 4), num(x), num(cy), num(x - 6), num(cy + 4),
                             color, html_escape(ms(b.max)));
        }
        s += text(left + plot_w + 10, cy + 4, fmt::format("p50 {} · p95 {}", ms(b.p50), ms(b.p95)),
                  "class=\"tick\"");
    }
    s += "</svg>\n";
    return s;
}

std::string quality_heatmap(const HeatMap& map) {
    double row_label_w = 60;
    for (const auto& r : map.rows) {
        row_label_w = std::max(row_label_w, text_width(r));
    }
    double cell_w = 84;
    for (const auto& c : map.columns) {
        cell_w = std::max(cell_w, text_width(c) + 16);
    }
    const double cell_h = 32;
    const double left = row_label_w + 20;
    const double top = 30;
    const double legend_h = 44;
    const double width = left + cell_w * static_cast<double>(map.columns.size()) + 16;
    const double height = top + cell_h * static_cast<double>(map.rows.size()) + legend_h;
    auto fill_of = [](double q) {
        // 0.4 or below is red (hue 0), 1.0 is green (hue 130).
        double t = std::clamp((q - 0.4) / 0.6, 0.0, 1.0);
        return fmt::format("hsl({:.0f}, 65%, {:.0f}%)", t * 130,
                           62 + 14 * (1 - std::abs(t - 0.5) * 2) * 0.5);
    };
    std::string s = svg_open(width, height, "Mean quality by task type and target");
    for (std::size_t c = 0; c < map.columns.size(); ++c) {
        double x = left + cell_w * (static_cast<double>(c) + 0.5);
        s += text(x, top - 10, map.columns[c], "text-anchor=\"middle\" class=\"col-label\"");
    }
    for (std::size_t r = 0; r < map.rows.size(); ++r) {
        double y = top + cell_h * static_cast<double>(r);
        s += text(left - 10, y + cell_h / 2 + 4, map.rows[r],
                  "text-anchor=\"end\" class=\"row-label\"");
        for (std::size_t c = 0; c < map.columns.size(); ++c) {
            double x = left + cell_w * static_cast<double>(c);
            std::optional<double> v;
            if (r < map.cells.size() && c < map.cells[r].size()) {
                v = map.cells[r][c];
            }
            s += fmt::format(
                "<rect x=\"{}\" y=\"{}\" width=\"{}\" height=\"{}\" fill=\"{}\" class=\"cell\">"
                "<title>{} on {}: {}</title></rect>\n",
                num(x + 1), num(y + 1), num(cell_w - 2), num(cell_h - 2),
                v ? fill_of(*v) : "#eeeeee", html_escape(map.columns[c]), html_escape(map.rows[r]),
                v ? fmt::format("{:.3f}", *v) : "no results");
            s += text(x + cell_w / 2, y + cell_h / 2 + 4, v ? fmt::format("{:.3f}", *v) : "–",
                      "text-anchor=\"middle\" class=\"cell-value\"");
        }
    }
    // Legend: the colour scale.
    double ly = top + cell_h * static_cast<double>(map.rows.size()) + 16;
    double lx = left;
    for (int k = 0; k <= 6; ++k) {
        double q = 0.4 + 0.1 * k;
        s += fmt::format("<rect x=\"{}\" y=\"{}\" width=\"28\" height=\"12\" fill=\"{}\"/>\n",
                         num(lx + 30 * k), num(ly), fill_of(q));
        s += text(lx + 30 * k + 14, ly + 26, k == 0 ? "≤0.4" : fmt::format("{:.1f}", q),
                  "text-anchor=\"middle\" class=\"tick\"");
    }
    s += "</svg>\n";
    return s;
}

std::string pgr_curve_chart(const Curve& curve) {
    const double width = 600;
    const double height = 400;
    const double left = 64;
    const double right = 190;
    const double top = 20;
    const double bottom = 56;
    const double plot_w = width - left - right;
    const double plot_h = height - top - bottom;
    double y_lo = 0;
    double y_hi = 1;
    for (const auto& [name, values] : curve.series) {
        for (double v : values) {
            if (std::isfinite(v)) {
                y_lo = std::min(y_lo, v);
                y_hi = std::max(y_hi, v);
            }
        }
    }
    double ystep = nice_step(y_hi - y_lo, 5);
    y_lo = std::floor(y_lo / ystep) * ystep;
    y_hi = std::ceil(y_hi / ystep) * ystep;
    auto x_of = [&](double share) { return left + std::clamp(share, 0.0, 1.0) * plot_w; };
    auto y_of = [&](double v) { return top + (y_hi - v) / (y_hi - y_lo) * plot_h; };

    std::string s = svg_open(width, height,
                             "Performance gap recovered against the share of strong-model calls");
    for (double v = y_lo; v <= y_hi + 1e-9; v += ystep) {
        s += line(left, y_of(v), left + plot_w, y_of(v), "class=\"grid\"");
        s += text(left - 8, y_of(v) + 4, fmt::format("{:.1f}", v),
                  "text-anchor=\"end\" class=\"tick\"");
    }
    for (int k = 0; k <= 5; ++k) {
        double share = k / 5.0;
        s += line(x_of(share), top, x_of(share), top + plot_h, "class=\"grid\"");
        s += text(x_of(share), top + plot_h + 18, fmt::format("{:.0f}%", share * 100),
                  "text-anchor=\"middle\" class=\"tick\"");
    }
    s += axes(left, top, plot_w, plot_h, height, "share of calls to the strong model",
              "performance gap recovered (PGR)");
    for (std::size_t i = 0; i < curve.series.size(); ++i) {
        const auto& [name, values] = curve.series[i];
        std::size_t n = std::min(values.size(), curve.share.size());
        std::string path;
        double area = 0;
        for (std::size_t k = 0; k < n; ++k) {
            if (!std::isfinite(values[k])) {
                continue;
            }
            path += fmt::format("{}{},{}", path.empty() ? "M" : " L", num(x_of(curve.share[k])),
                                num(y_of(values[k])));
            if (k > 0 && std::isfinite(values[k - 1])) {
                area += (curve.share[k] - curve.share[k - 1]) * (values[k] + values[k - 1]) / 2;
            }
        }
        // The usual three keep their meaning in colour: ours blue, chance grey, the ideal green.
        std::string color = name == "learned"  ? "#4e79a7"
                            : name == "random" ? "#8c959f"
                            : name == "oracle" ? "#59a14f"
                                               : series_color(i + 3);
        s += series_with_legend(path, color, k_dashes[i % 4], left + plot_w + 16,
                                top + 14 + 22 * static_cast<double>(i),
                                fmt::format("{} (APGR {:.2f})", name, area));
    }
    s += "</svg>\n";
    return s;
}

std::string cost_quality_chart(const CostQualityCurve& curve) {
    const double width = 600;
    const double height = 400;
    const double left = 64;
    const double right = 150;
    const double top = 20;
    const double bottom = 56;
    const double plot_w = width - left - right;
    const double plot_h = height - top - bottom;
    double x_hi = 0, y_lo = 1, y_hi = 0;
    auto see = [&](double c, double q) {
        if (std::isfinite(c) && std::isfinite(q)) {
            x_hi = std::max(x_hi, c);
            y_lo = std::min(y_lo, q);
            y_hi = std::max(y_hi, q);
        }
    };
    for (const auto& m : curve.models) {
        see(m.cost, m.quality);
    }
    for (const auto& [name, points] : curve.series) {
        for (const auto& [c, q] : points) {
            see(c, q);
        }
    }
    if (!(x_hi > 0)) {
        x_hi = 1;
    }
    if (!(y_hi > y_lo)) {
        y_lo = std::max(0.0, y_hi - 0.1);
        y_hi = y_lo + 0.1;
    }
    double xstep = nice_step(x_hi, 5);
    x_hi = std::ceil(x_hi / xstep) * xstep;
    double ystep = nice_step(y_hi - y_lo, 5);
    y_lo = std::floor(y_lo / ystep) * ystep;
    y_hi = std::ceil(y_hi / ystep) * ystep;
    auto x_of = [&](double c) { return left + std::clamp(c / x_hi, 0.0, 1.0) * plot_w; };
    auto y_of = [&](double q) { return top + (y_hi - q) / (y_hi - y_lo) * plot_h; };

    std::string s = svg_open(width, height, "Quality against cost per task, routers and models");
    for (double v = y_lo; v <= y_hi + 1e-9; v += ystep) {
        s += line(left, y_of(v), left + plot_w, y_of(v), "class=\"grid\"");
        s += text(left - 8, y_of(v) + 4, fmt::format("{:.2f}", v),
                  "text-anchor=\"end\" class=\"tick\"");
    }
    for (double c = 0; c <= x_hi + 1e-12; c += xstep) {
        s += line(x_of(c), top, x_of(c), top + plot_h, "class=\"grid\"");
        s += text(x_of(c), top + plot_h + 18, c == 0 ? "$0" : tick_money(c),
                  "text-anchor=\"middle\" class=\"tick\"");
    }
    s += axes(left, top, plot_w, plot_h, height, "mean cost per task", "mean quality");
    for (std::size_t i = 0; i < curve.series.size(); ++i) {
        const auto& [name, points] = curve.series[i];
        std::vector<std::pair<double, double>> sorted = points;
        std::sort(sorted.begin(), sorted.end());
        std::string path;
        for (const auto& [c, q] : sorted) {
            if (std::isfinite(c) && std::isfinite(q)) {
                path += fmt::format("{}{},{}", path.empty() ? "M" : " L", num(x_of(c)), num(y_of(q)));
            }
        }
        std::string color = name == "learned"  ? "#4e79a7"
                            : name == "oracle" ? "#59a14f"
                                               : series_color(i + 1);
        s += series_with_legend(path, color, k_dashes[i % 4], left + plot_w + 16,
                                top + 14 + 22 * static_cast<double>(i), name);
    }
    for (const auto& m : curve.models) {
        s += fmt::format("<circle cx=\"{}\" cy=\"{}\" r=\"5\" fill=\"#333\"/>\n",
                         num(x_of(m.cost)), num(y_of(m.quality)));
        s += text(x_of(m.cost) + 7, y_of(m.quality) - 7, m.name, "class=\"tick\"");
    }
    s += "</svg>\n";
    return s;
}

} // namespace orch::report
