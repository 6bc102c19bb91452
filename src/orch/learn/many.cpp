#include <orch/core/error.hpp>
#include <orch/learn/evaluate.hpp>
#include <orch/learn/many.hpp>
#include <orch/learn/tune.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/stats.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <limits>
#include <map>
#include <set>

namespace orch::learn {

namespace fs = std::filesystem;

namespace {

constexpr double k_nan = std::numeric_limits<double>::quiet_NaN();

std::vector<std::size_t> all_rows(std::size_t n) {
    std::vector<std::size_t> rows(n);
    for (std::size_t i = 0; i < n; ++i) {
        rows[i] = i;
    }
    return rows;
}

// Per task type (and overall) sums of each model's score and cost over `rows`.
struct TypeSums {
    struct Sum {
        std::vector<double> score, cost;
        double n = 0;
    };
    std::map<std::string, Sum> by_type;
    Sum overall;
};

TypeSums type_sums(const ManySet& set, const std::vector<std::size_t>& rows) {
    std::size_t m = set.models.size();
    TypeSums t;
    t.overall = {std::vector<double>(m, 0.0), std::vector<double>(m, 0.0), 0};
    for (std::size_t i : rows) {
        auto& s = t.by_type[set.examples[i]->task_type];
        if (s.score.empty()) {
            s = {std::vector<double>(m, 0.0), std::vector<double>(m, 0.0), 0};
        }
        for (std::size_t k = 0; k < m; ++k) {
            s.score[k] += set.score[i][k];
            s.cost[k] += set.cost[i][k];
            t.overall.score[k] += set.score[i][k];
            t.overall.cost[k] += set.cost[i][k];
        }
        s.n += 1;
        t.overall.n += 1;
    }
    return t;
}

std::vector<double> divided(const std::vector<double>& v, double n) {
    std::vector<double> out = v;
    for (double& x : out) {
        x = n > 0 ? x / n : 0;
    }
    return out;
}

// The best quality, the cheaper of equals.
bool better(const Point& a, const Point& b) {
    return a.quality > b.quality + 1e-12 || (a.quality > b.quality - 1e-12 && a.cost < b.cost);
}

std::size_t best_point(const std::vector<Point>& points) {
    std::size_t top = 0;
    for (std::size_t i = 1; i < points.size(); ++i) {
        if (better(points[i], points[top])) {
            top = i;
        }
    }
    return top;
}

Point strip(Point p) {
    p.choice.clear();
    return p;
}

std::string fmt_usd(double usd) { return fmt::format("${:.6f}", usd); }

nlohmann::json num(double v) { return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json(); }


} // namespace

ManySet make_many_set(const RunTable& table, std::vector<std::string> models,
                      const FeatureConfig& features) {
    for (const auto& m : models) {
        if (std::find(table.models.begin(), table.models.end(), m) == table.models.end()) {
            throw Error(ErrorKind::config,
                        fmt::format("--models: run {} has no scored results for \"{}\" (it has: {})",
                                    table.run_id, m, util::join(table.models, ", ")));
        }
    }
    if (models.empty()) {
        models = table.models;
    }
    std::sort(models.begin(), models.end());
    models.erase(std::unique(models.begin(), models.end()), models.end());
    if (models.size() < 2) {
        throw Error(ErrorKind::config,
                    fmt::format("run {}: learned routing needs two or more models with scored "
                                "results (it has: {})",
                                table.run_id,
                                table.models.empty() ? "none" : util::join(table.models, ", ")));
    }
    ManySet set;
    set.models = models;
    set.features = features;
    for (const auto& e : table.examples) {
        std::vector<double> score, cost;
        for (const auto& m : models) {
            auto it = e.outcomes.find(m);
            if (it == e.outcomes.end()) {
                break;
            }
            score.push_back(it->second.score);
            cost.push_back(it->second.cost_usd);
        }
        if (score.size() != models.size()) {
            continue;
        }
        set.examples.push_back(&e);
        set.x.push_back(extract_features(features, e.prompt, e.task_type));
        set.score.push_back(std::move(score));
        set.cost.push_back(std::move(cost));
    }
    return set;
}

ModelCosts cost_table(const ManySet& set, const std::vector<std::size_t>& rows,
                      std::int64_t min_samples) {
    TypeSums t = type_sums(set, rows);
    ModelCosts c;
    c.overall = divided(t.overall.cost, t.overall.n);
    for (const auto& [type, s] : t.by_type) {
        if (s.n >= static_cast<double>(min_samples)) {
            c.by_type[type] = divided(s.cost, s.n);
        }
    }
    return c;
}

QualityRouter fit_router(const ManySet& set, const std::vector<std::size_t>& rows,
                         const TrainOptions& options, std::int64_t min_samples) {
    std::vector<SparseVector> x;
    x.reserve(rows.size());
    for (std::size_t i : rows) {
        x.push_back(set.x[i]);
    }
    LogisticOptions lo;
    lo.l2 = options.l2;
    std::size_t dim = feature_dim(set.features);
    std::vector<LogisticModel> models;
    for (std::size_t m = 0; m < set.models.size(); ++m) {
        std::vector<double> y;
        y.reserve(rows.size());
        for (std::size_t i : rows) {
            y.push_back(set.score[i][m]);
        }
        LogisticModel model = fit_logistic(x, y, dim, lo);
        round_for_file(model);
        models.push_back(std::move(model));
    }
    return QualityRouter(set.features, set.models, std::move(models),
                         cost_table(set, rows, min_samples));
}

Estimates router_estimates(const QualityRouter& router, const ManySet& set,
                           const std::vector<std::size_t>& rows) {
    Estimates e;
    for (std::size_t i : rows) {
        e.quality.push_back(router.quality(set.x[i]));
        e.cost.push_back(router.costs(set.examples[i]->task_type));
    }
    return e;
}

Estimates type_estimates(const ManySet& set, const std::vector<std::size_t>& train,
                         const std::vector<std::size_t>& test, std::int64_t min_samples) {
    TypeSums t = type_sums(set, train);
    Estimates e;
    for (std::size_t i : test) {
        auto it = t.by_type.find(set.examples[i]->task_type);
        const auto& s = it != t.by_type.end() && it->second.n >= static_cast<double>(min_samples)
                            ? it->second
                            : t.overall;
        e.quality.push_back(divided(s.score, s.n));
        e.cost.push_back(divided(s.cost, s.n));
    }
    return e;
}

Estimates true_estimates(const ManySet& set, const std::vector<std::size_t>& rows) {
    Estimates e;
    for (std::size_t i : rows) {
        e.quality.push_back(set.score[i]);
        e.cost.push_back(set.cost[i]);
    }
    return e;
}

Estimates cross_validated_estimates(const ManySet& set, const std::vector<std::size_t>& rows,
                                    const TrainOptions& options, std::int64_t min_samples,
                                    bool per_type, int folds) {
    auto k = static_cast<std::uint64_t>(folds);
    std::vector<std::uint64_t> fold(rows.size());
    for (std::size_t i = 0; i < rows.size(); ++i) {
        const Example& e = *set.examples[rows[i]];
        fold[i] = util::hash64(e.suite + '/' + e.task_id, 0x5eed) % k;
    }
    Estimates out;
    out.quality.assign(rows.size(), std::vector<double>(set.models.size(), 0.0));
    out.cost = out.quality;
    for (std::uint64_t f = 0; f < k; ++f) {
        std::vector<std::size_t> train, test, at;
        for (std::size_t i = 0; i < rows.size(); ++i) {
            (fold[i] != f ? train : test).push_back(rows[i]);
            if (fold[i] == f) {
                at.push_back(i);
            }
        }
        if (train.empty() || test.empty()) {
            continue;
        }
        Estimates e = per_type ? type_estimates(set, train, test, min_samples)
                               : router_estimates(fit_router(set, train, options, min_samples),
                                                  set, test);
        for (std::size_t j = 0; j < at.size(); ++j) {
            out.quality[at[j]] = std::move(e.quality[j]);
            out.cost[at[j]] = std::move(e.cost[j]);
        }
    }
    return out;
}

std::vector<double> lambda_grid(const ManySet& set) {
    TypeSums t = type_sums(set, all_rows(set.examples.size()));
    std::vector<double> mean = divided(t.overall.cost, t.overall.n);
    double lo = *std::min_element(mean.begin(), mean.end());
    double hi = *std::max_element(mean.begin(), mean.end());
    double spread = hi - lo > 0 ? hi - lo : hi;
    std::vector<double> grid = {0.0};
    if (!(spread > 0)) {
        return grid; // nothing costs anything: quality alone decides
    }
    for (int u = -30; u <= 30; ++u) {
        grid.push_back(std::pow(10.0, u / 10.0) / spread);
    }
    grid.push_back(1e9 / spread);
    return grid;
}

Point route_at(const ManySet& set, const std::vector<std::size_t>& rows, const Estimates& est,
               double lambda) {
    Point p;
    p.lambda = lambda;
    p.choice.reserve(rows.size());
    for (std::size_t j = 0; j < rows.size(); ++j) {
        std::size_t m = best_choice(est.quality[j], est.cost[j], lambda);
        p.choice.push_back(m);
        p.quality += set.score[rows[j]][m];
        p.cost += set.cost[rows[j]][m];
    }
    if (!rows.empty()) {
        p.quality /= static_cast<double>(rows.size());
        p.cost /= static_cast<double>(rows.size());
    }
    return p;
}

std::vector<Point> sweep(const ManySet& set, const std::vector<std::size_t>& rows,
                         const Estimates& est, const std::vector<double>& grid) {
    std::vector<Point> out;
    for (double lambda : grid) {
        out.push_back(route_at(set, rows, est, lambda));
    }
    return out;
}

std::vector<Point> single_points(const ManySet& set, const std::vector<std::size_t>& rows) {
    std::vector<Point> out;
    for (std::size_t m = 0; m < set.models.size(); ++m) {
        Point p;
        p.lambda = k_nan;
        p.label = set.models[m];
        p.choice.assign(rows.size(), m);
        for (std::size_t i : rows) {
            p.quality += set.score[i][m];
            p.cost += set.cost[i][m];
        }
        if (!rows.empty()) {
            p.quality /= static_cast<double>(rows.size());
            p.cost /= static_cast<double>(rows.size());
        }
        out.push_back(std::move(p));
    }
    return out;
}

std::vector<std::size_t> hull(const std::vector<Point>& points) {
    std::vector<std::size_t> order = all_rows(points.size());
    std::sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
        if (points[a].cost != points[b].cost) {
            return points[a].cost < points[b].cost;
        }
        return points[a].quality > points[b].quality;
    });
    // Non-decreasing: a dearer point only counts when it is better than every cheaper one.
    std::vector<std::size_t> rising;
    for (std::size_t i : order) {
        if (rising.empty() ||
            (points[i].quality > points[rising.back()].quality + 1e-12 &&
             points[i].cost > points[rising.back()].cost)) {
            rising.push_back(i);
        }
    }
    // Upper convex hull (Andrew's monotone chain over the rising points).
    std::vector<std::size_t> h;
    for (std::size_t i : rising) {
        while (h.size() >= 2) {
            const Point& a = points[h[h.size() - 2]];
            const Point& b = points[h.back()];
            const Point& c = points[i];
            double cross = (b.cost - a.cost) * (c.quality - a.quality) -
                           (b.quality - a.quality) * (c.cost - a.cost);
            if (cross >= 0) {
                h.pop_back(); // b is on or below the segment a–c
            } else {
                break;
            }
        }
        h.push_back(i);
    }
    return h;
}

double quality_at(const std::vector<Point>& points, const std::vector<std::size_t>& h,
                  double cost) {
    if (h.empty()) {
        return k_nan;
    }
    if (cost <= points[h.front()].cost) {
        return points[h.front()].quality;
    }
    for (std::size_t k = 1; k < h.size(); ++k) {
        const Point& a = points[h[k - 1]];
        const Point& b = points[h[k]];
        if (cost <= b.cost) {
            double w = (cost - a.cost) / (b.cost - a.cost);
            return a.quality + w * (b.quality - a.quality);
        }
    }
    return points[h.back()].quality;
}

double aiq(const std::vector<Point>& points, double lo, double hi) {
    std::vector<std::size_t> h = hull(points);
    if (h.empty()) {
        return k_nan;
    }
    if (!(hi > lo)) {
        return quality_at(points, h, lo);
    }
    // Piecewise linear: integrate exactly between the breakpoints inside [lo, hi].
    std::vector<double> xs = {lo, hi};
    for (std::size_t i : h) {
        if (points[i].cost > lo && points[i].cost < hi) {
            xs.push_back(points[i].cost);
        }
    }
    std::sort(xs.begin(), xs.end());
    double area = 0;
    for (std::size_t k = 1; k < xs.size(); ++k) {
        area += (xs[k] - xs[k - 1]) *
                (quality_at(points, h, xs[k - 1]) + quality_at(points, h, xs[k])) / 2;
    }
    return area / (hi - lo);
}

std::optional<double> cost_to_reach(const std::vector<Point>& points, double quality) {
    std::vector<std::size_t> h = hull(points);
    for (std::size_t k = 0; k < h.size(); ++k) {
        const Point& b = points[h[k]];
        if (b.quality + 1e-12 >= quality) {
            if (k == 0) {
                return b.cost;
            }
            const Point& a = points[h[k - 1]];
            double w = (quality - a.quality) / (b.quality - a.quality);
            return a.cost + w * (b.cost - a.cost);
        }
    }
    return std::nullopt;
}

std::size_t select_point(const std::vector<Point>& points, const Criterion& c, double match,
                         bool& met) {
    met = true;
    if (c.max_cost) {
        std::optional<std::size_t> best;
        for (std::size_t i = 0; i < points.size(); ++i) {
            if (points[i].cost <= *c.max_cost + 1e-15 && (!best || better(points[i], points[*best]))) {
                best = i;
            }
        }
        if (best) {
            return *best;
        }
        met = false; // nothing is that cheap: the cheapest point
        std::size_t cheapest = 0;
        for (std::size_t i = 1; i < points.size(); ++i) {
            if (points[i].cost < points[cheapest].cost) {
                cheapest = i;
            }
        }
        return cheapest;
    }
    double target = c.target_quality ? *c.target_quality : match;
    std::optional<std::size_t> best;
    for (std::size_t i = 0; i < points.size(); ++i) {
        if (points[i].quality + 1e-12 >= target &&
            (!best || points[i].cost < points[*best].cost)) {
            best = i;
        }
    }
    if (best) {
        return *best;
    }
    met = !c.target_quality.has_value(); // the best single model's level is only a default
    return best_point(points);
}

Comparison compare_at_cost(const ManySet& set, const std::vector<std::size_t>& rows,
                           const Point& router, const std::vector<Point>& baseline) {
    Comparison c;
    std::vector<std::size_t> h = hull(baseline);
    if (h.empty() || rows.empty()) {
        return c;
    }
    // The baseline at the router's cost: a mix of the two hull points around it.
    const Point* a = &baseline[h.front()];
    const Point* b = a;
    double w = 0; // share of b
    if (router.cost > baseline[h.back()].cost) {
        a = b = &baseline[h.back()];
    } else {
        for (std::size_t k = 1; k < h.size(); ++k) {
            if (router.cost <= baseline[h[k]].cost) {
                a = &baseline[h[k - 1]];
                b = &baseline[h[k]];
                w = router.cost <= a->cost ? 0 : (router.cost - a->cost) / (b->cost - a->cost);
                break;
            }
        }
    }
    std::vector<double> gains;
    gains.reserve(rows.size());
    double base_sum = 0;
    for (std::size_t j = 0; j < rows.size(); ++j) {
        const auto& s = set.score[rows[j]];
        double base = (1 - w) * s[a->choice[j]] + w * s[b->choice[j]];
        base_sum += base;
        gains.push_back(s[router.choice[j]] - base);
    }
    c.gain = util::mean(gains);
    c.se = gains.size() > 1 ? util::stddev(gains) / std::sqrt(static_cast<double>(gains.size()))
                            : 0;
    c.baseline_quality = base_sum / static_cast<double>(rows.size());
    c.wins = c.gain > 1e-9 && c.gain > 1.645 * c.se;
    return c;
}

ManyTuned tune_many(const RunTable& table, const ManyTuneOptions& options) {
    ManySet set = make_many_set(table, options.models, options.train.features);
    ManyTuned t;
    t.name = options.name;
    t.run_id = table.run_id;
    t.models = set.models;
    t.prompts = set.examples.size();
    if (set.examples.size() < 10) {
        throw Error(ErrorKind::config,
                    fmt::format("run {}: only {} prompts have results for all of {}; too few to "
                                "learn from",
                                table.run_id, set.examples.size(), util::join(set.models, ", ")));
    }
    std::vector<std::size_t> rows = all_rows(set.examples.size());
    std::vector<double> grid = lambda_grid(set);
    std::vector<Point> singles = single_points(set, rows);
    std::size_t best = best_point(singles);
    t.best_single = singles[best].label;
    t.best_single_quality = singles[best].quality;
    t.best_single_cost = singles[best].cost;

    // Every figure below is out of fold: each prompt estimated by a rule fitted without it.
    Estimates learned = cross_validated_estimates(set, rows, options.train, options.min_samples,
                                                  false);
    Estimates typed =
        cross_validated_estimates(set, rows, options.train, options.min_samples, true);
    std::vector<Point> curve = sweep(set, rows, learned, grid);
    std::vector<Point> baseline = sweep(set, rows, typed, grid);
    baseline.insert(baseline.end(), singles.begin(), singles.end());

    bool met = true;
    if (options.criterion.lambda) {
        t.learned_point = route_at(set, rows, learned, *options.criterion.lambda);
    } else {
        t.learned_point = curve[select_point(curve, options.criterion, t.best_single_quality, met)];
    }
    t.lambda = t.learned_point.lambda;
    t.against_baseline = compare_at_cost(set, rows, t.learned_point, baseline);

    std::string criterion =
        options.criterion.lambda     ? fmt::format("lambda {}", *options.criterion.lambda)
        : options.criterion.max_cost ? fmt::format("at most {} per task", fmt_usd(*options.criterion.max_cost))
        : options.criterion.target_quality
            ? fmt::format("quality {} or more", *options.criterion.target_quality)
            : fmt::format("the quality of {} ({:.3f})", t.best_single, t.best_single_quality);

    if (t.against_baseline.wins) {
        t.kind = ManyTuned::Kind::learned;
        t.chosen = t.learned_point;
        t.criterion_met = met;
        t.router = fit_router(set, rows, options.train, options.min_samples);
        t.verdict = fmt::format(
            "the learned router beats the best of the single models and the best fixed model "
            "per task type at equal cost by {:+.3f} quality (standard error {:.3f}, out of fold)",
            t.against_baseline.gain, t.against_baseline.se);
    } else {
        // No harm: the simpler rule that meets the same criterion.
        bool base_met = true;
        std::size_t k = 0;
        if (options.criterion.lambda) {
            baseline.resize(grid.size()); // the per-type point at that λ
            baseline.push_back(route_at(set, rows, typed, *options.criterion.lambda));
            k = baseline.size() - 1;
        } else {
            k = select_point(baseline, options.criterion, t.best_single_quality, base_met);
        }
        t.chosen = baseline[k];
        t.criterion_met = base_met;
        TypeSums sums = type_sums(set, rows);
        if (!t.chosen.label.empty()) {
            t.kind = ManyTuned::Kind::single;
            t.default_model = t.chosen.label;
        } else {
            t.kind = ManyTuned::Kind::per_type;
            t.lambda = t.chosen.lambda;
            std::set<std::string> picked;
            for (const auto& [type, s] : sums.by_type) {
                if (s.n < static_cast<double>(options.min_samples)) {
                    continue;
                }
                std::size_t m = best_choice(divided(s.score, s.n), divided(s.cost, s.n), t.lambda);
                t.per_type[type] = set.models[m];
                picked.insert(set.models[m]);
            }
            t.default_model = set.models[best_choice(divided(sums.overall.score, sums.overall.n),
                                                     divided(sums.overall.cost, sums.overall.n),
                                                     t.lambda)];
            picked.insert(t.default_model);
            if (picked.size() == 1) {
                t.kind = ManyTuned::Kind::single;
                t.per_type.clear();
            }
        }
        t.verdict = fmt::format(
            "the learned router does not beat the single models and the best fixed model per "
            "task type at equal cost (gain {:+.3f}, standard error {:.3f}, out of fold), so this "
            "policy is the simpler rule: {}",
            t.against_baseline.gain, t.against_baseline.se,
            t.kind == ManyTuned::Kind::single ? "always " + t.default_model
                                              : "the best fixed model per task type");
    }
    t.description = fmt::format(
        "Learned by orch tune from run {} ({} prompts, models {}), chosen for {}. Out of fold: "
        "quality {:.3f} at {} per task (best single model {}: {:.3f} at {}). {}.",
        t.run_id, t.prompts, util::join(t.models, ", "), criterion, t.chosen.quality,
        fmt_usd(t.chosen.cost), t.best_single, t.best_single_quality, fmt_usd(t.best_single_cost),
        t.verdict);
    return t;
}

std::string many_policy_toml(const ManyTuned& t, const std::string& router_ref) {
    std::string out = policy_header(t.name, t.description);
    switch (t.kind) {
    case ManyTuned::Kind::learned:
        out += "\n[[rules]]\n";
        out += "# per model: estimated P(answers well) - lambda * its mean cost per call for the "
               "task type (USD); the highest wins, the others follow as fallbacks\n";
        out += "name = \"learned\"\n";
        out += "action = \"learned\"\n";
        out += "models = [";
        for (std::size_t i = 0; i < t.models.size(); ++i) {
            out += (i ? ", " : "") + toml_string(t.models[i]);
        }
        out += "]\n";
        out += fmt::format("lambda = {}\n", toml_float(t.lambda));
        out += fmt::format("scorer = {}\n", toml_string(router_ref));
        break;
    case ManyTuned::Kind::per_type:
        for (const auto& [type, model] : t.per_type) {
            out += "\n[[rules]]\n";
            out += fmt::format("name = {}\n", toml_string("type-" + type));
            out += fmt::format("when = {{ type = {} }}\n", toml_string(type));
            out += "action = \"fixed\"\n";
            out += fmt::format("model = {}\n", toml_string(model));
        }
        [[fallthrough]];
    case ManyTuned::Kind::single:
        out += "\n[[rules]]\n";
        out += "name = \"default\"\n";
        out += "action = \"fixed\"\n";
        out += fmt::format("model = {}\n", toml_string(t.default_model));
        break;
    }
    return out;
}

std::string write_many_policy(const ManyTuned& t, const std::string& policy_path) {
    fs::path policy(policy_path);
    std::error_code ec;
    if (!policy.parent_path().empty()) {
        fs::create_directories(policy.parent_path(), ec);
    }
    std::string router_path;
    std::string ref;
    if (t.kind == ManyTuned::Kind::learned) {
        fs::path r = policy.parent_path() / (policy.stem().string() + ".router.json");
        t.router->save(r.string());
        router_path = r.string();
        ref = r.filename().string();
    }
    write_policy_text(policy_path, many_policy_toml(t, ref));
    return router_path;
}

nlohmann::json many_tuned_json(const ManyTuned& t) {
    const char* kind = t.kind == ManyTuned::Kind::learned    ? "learned"
                       : t.kind == ManyTuned::Kind::per_type ? "per_type"
                                                             : "single";
    nlohmann::json per_type = nlohmann::json::object();
    for (const auto& [type, model] : t.per_type) {
        per_type[type] = model;
    }
    return {{"run", t.run_id},
            {"models", t.models},
            {"prompts", t.prompts},
            {"kind", kind},
            {"lambda", num(t.lambda)},
            {"per_type", per_type},
            {"default_model", t.default_model},
            {"expected_quality", t.chosen.quality},
            {"expected_cost_per_task_usd", t.chosen.cost},
            {"criterion_met", t.criterion_met},
            {"learned_quality", t.learned_point.quality},
            {"learned_cost_per_task_usd", t.learned_point.cost},
            {"gain_over_baseline", t.against_baseline.gain},
            {"gain_se", t.against_baseline.se},
            {"baseline_quality", t.against_baseline.baseline_quality},
            {"best_single", t.best_single},
            {"best_single_quality", t.best_single_quality},
            {"best_single_cost_per_task_usd", t.best_single_cost},
            {"verdict", t.verdict}};
}

void print_many_tuned(const ManyTuned& t, std::ostream& out) {
    out << fmt::format("  models: {} ({} prompts)\n", util::join(t.models, ", "), t.prompts);
    out << fmt::format("  learned router, out of fold: quality {:.3f} at {} per task (lambda {:.4g})\n",
                       t.learned_point.quality, fmt_usd(t.learned_point.cost),
                       t.learned_point.lambda);
    out << fmt::format("  best single model: {} {:.3f} at {} per task\n", t.best_single,
                       t.best_single_quality, fmt_usd(t.best_single_cost));
    out << fmt::format("  written: quality {:.3f} at {} per task\n", t.chosen.quality,
                       fmt_usd(t.chosen.cost));
    out << "  " << t.verdict << "\n";
}

ManyEvaluation evaluate_many(const RunTable& table, const ManyEvaluateOptions& options) {
    ManySet set = make_many_set(table, options.models, options.train.features);
    ManyEvaluation ev;
    ev.run_id = table.run_id;
    ev.models = set.models;
    ev.prompts = set.examples.size();
    ev.holdout = options.holdout;
    std::set<std::string> types;
    for (const auto* e : set.examples) {
        types.insert(e->task_type);
    }
    ev.task_types = types.size();
    if (set.examples.size() < 20) {
        throw Error(ErrorKind::config,
                    fmt::format("run {}: only {} prompts have results for all of {}; too few to "
                                "split for evaluation",
                                table.run_id, set.examples.size(), util::join(set.models, ", ")));
    }
    ev.grid = lambda_grid(set);
    for (int s = 0; s < options.seeds; ++s) {
        ManySeed seed;
        seed.seed = static_cast<std::uint64_t>(s + 1);
        std::vector<std::size_t> test = holdout_rows(set.examples.size(), options.holdout, seed.seed);
        std::vector<std::size_t> train = complement(set.examples.size(), test);
        seed.train = train.size();
        seed.test = test.size();
        seed.singles = single_points(set, test);
        std::size_t best = 0;
        double lo = seed.singles[0].cost, hi = lo;
        for (std::size_t m = 0; m < seed.singles.size(); ++m) {
            lo = std::min(lo, seed.singles[m].cost);
            hi = std::max(hi, seed.singles[m].cost);
            if (seed.singles[m].quality > seed.singles[best].quality + 1e-12) {
                best = m;
            }
        }
        seed.best_single = seed.singles[best].label;
        const Point& top = seed.singles[best];
        auto figures = [&](std::vector<Point> curve) {
            RouterFigures f;
            f.aiq = aiq(curve, lo, hi);
            std::vector<std::size_t> h = hull(curve);
            f.quality_at_best_cost = quality_at(curve, h, top.cost);
            f.max_quality = 0;
            for (const auto& p : curve) {
                f.max_quality = std::max(f.max_quality, p.quality);
            }
            auto reach = cost_to_reach(curve, top.quality);
            f.cost_to_match_best = reach && top.cost > 0 ? *reach / top.cost : k_nan;
            for (auto& p : curve) {
                p = strip(std::move(p));
            }
            f.curve = std::move(curve);
            return f;
        };
        QualityRouter router = fit_router(set, train, options.train, options.min_samples);
        seed.learned = figures(sweep(set, test, router_estimates(router, set, test), ev.grid));
        seed.per_type = figures(
            sweep(set, test, type_estimates(set, train, test, options.min_samples), ev.grid));
        seed.oracle = figures(sweep(set, test, true_estimates(set, test), ev.grid));
        seed.zero = figures(seed.singles);
        for (auto& p : seed.singles) {
            p.choice.clear();
        }
        ev.seeds.push_back(std::move(seed));
    }
    return ev;
}

namespace {

// The mean over seeds; NaN when any seed's figure is undefined (NaN propagates through it).
double mean_or_nan(const std::vector<double>& xs) { return xs.empty() ? k_nan : util::mean(xs); }

nlohmann::json mean_of(const std::vector<double>& xs) {
    nlohmann::json per_seed = nlohmann::json::array();
    for (double x : xs) {
        per_seed.push_back(num(x));
    }
    return {{"mean", num(mean_or_nan(xs))}, {"per_seed", per_seed}};
}

template <class F> std::vector<double> per_seed(const ManyEvaluation& e, F f) {
    std::vector<double> out;
    for (const auto& s : e.seeds) {
        out.push_back(f(s));
    }
    return out;
}

const RouterFigures& figures_of(const ManySeed& s, int which) {
    switch (which) {
    case 0:
        return s.learned;
    case 1:
        return s.per_type;
    case 2:
        return s.oracle;
    default:
        return s.zero;
    }
}

constexpr const char* k_router_names[] = {"learned", "per_type", "oracle", "zero"};

// Mean cost and quality over seeds at each λ of one router.
nlohmann::json mean_curve(const ManyEvaluation& e, int which) {
    nlohmann::json out = nlohmann::json::array();
    for (std::size_t k = 0; k < e.grid.size(); ++k) {
        double c = 0, q = 0;
        for (const auto& s : e.seeds) {
            c += figures_of(s, which).curve[k].cost;
            q += figures_of(s, which).curve[k].quality;
        }
        auto n = static_cast<double>(e.seeds.size());
        out.push_back({c / n, q / n});
    }
    return out;
}

} // namespace

nlohmann::json many_evaluation_json(const ManyEvaluation& e) {
    nlohmann::json j = {{"run", e.run_id},
                        {"models", e.models},
                        {"prompts", e.prompts},
                        {"task_types", e.task_types},
                        {"holdout", e.holdout},
                        {"seeds", e.seeds.size()}};
    nlohmann::json singles = nlohmann::json::object();
    for (std::size_t m = 0; m < e.models.size(); ++m) {
        singles[e.models[m]] = {
            {"quality", mean_of(per_seed(e, [&](const ManySeed& s) { return s.singles[m].quality; }))},
            {"cost_per_task_usd",
             mean_of(per_seed(e, [&](const ManySeed& s) { return s.singles[m].cost; }))}};
    }
    j["single_models"] = singles;
    nlohmann::json best = nlohmann::json::array();
    for (const auto& s : e.seeds) {
        best.push_back(s.best_single);
    }
    j["best_single"] = best;
    for (int w = 0; w < 4; ++w) {
        j[k_router_names[w]] = {
            {"aiq", mean_of(per_seed(e, [&](const ManySeed& s) { return figures_of(s, w).aiq; }))},
            {"max_quality",
             mean_of(per_seed(e, [&](const ManySeed& s) { return figures_of(s, w).max_quality; }))},
            {"quality_at_best_cost", mean_of(per_seed(e, [&](const ManySeed& s) {
                 return figures_of(s, w).quality_at_best_cost;
             }))},
            {"cost_to_match_best", mean_of(per_seed(e, [&](const ManySeed& s) {
                 return figures_of(s, w).cost_to_match_best;
             }))}};
    }
    return j;
}

nlohmann::json many_curves_json(const ManyEvaluation& e) {
    nlohmann::json models = nlohmann::json::array();
    for (std::size_t m = 0; m < e.models.size(); ++m) {
        double c = 0, q = 0;
        for (const auto& s : e.seeds) {
            c += s.singles[m].cost;
            q += s.singles[m].quality;
        }
        auto n = static_cast<double>(e.seeds.size());
        models.push_back({{"model", e.models[m]}, {"cost", c / n}, {"quality", q / n}});
    }
    return {{"models", models},
            {"learned", mean_curve(e, 0)},
            {"per_type", mean_curve(e, 1)},
            {"oracle", mean_curve(e, 2)}};
}

void print_many_evaluation(const ManyEvaluation& e, std::ostream& out) {
    out << fmt::format("run {}: {} prompts with all of {} models scored, {} task types; {} seeds, "
                       "{:.0f}% held out\n",
                       e.run_id, e.prompts, e.models.size(), e.task_types, e.seeds.size(),
                       e.holdout * 100);
    auto mean = [&](auto f) { return mean_or_nan(per_seed(e, f)); };
    out << "  single models (held out):\n";
    for (std::size_t m = 0; m < e.models.size(); ++m) {
        out << fmt::format("    {:<28} quality {:.3f}  {} per task\n", e.models[m],
                           mean([&](const ManySeed& s) { return s.singles[m].quality; }),
                           fmt_usd(mean([&](const ManySeed& s) { return s.singles[m].cost; })));
    }
    const char* labels[] = {"learned router", "best fixed model per type", "oracle",
                            "random mixes (zero router)"};
    out << fmt::format("  {:<28} {:>6} {:>12} {:>22} {:>20}\n", "router", "AIQ", "max quality",
                       "quality at best's cost", "cost to match best");
    for (int w = 0; w < 4; ++w) {
        double match = mean([&](const ManySeed& s) { return figures_of(s, w).cost_to_match_best; });
        out << fmt::format(
            "  {:<28} {:>6.3f} {:>12.3f} {:>22.3f} {:>20}\n", labels[w],
            mean([&](const ManySeed& s) { return figures_of(s, w).aiq; }),
            mean([&](const ManySeed& s) { return figures_of(s, w).max_quality; }),
            mean([&](const ManySeed& s) { return figures_of(s, w).quality_at_best_cost; }),
            std::isfinite(match) ? fmt::format("{:.0f}%", match * 100) : "not reached");
    }
}

} // namespace orch::learn
