#include <orch/core/error.hpp>
#include <orch/learn/evaluate.hpp>
#include <orch/util/rng.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <numeric>

namespace orch::learn {

namespace {

std::vector<PairOutcome> outcomes_of(const TrainingSet& set, const std::vector<std::size_t>& rows) {
    std::vector<PairOutcome> out;
    out.reserve(rows.size());
    for (std::size_t i : rows) {
        const Example& e = *set.examples[i];
        out.push_back({set.weak_score[i], set.strong_score[i], e.outcomes.at(set.weak).cost_usd,
                       e.outcomes.at(set.strong).cost_usd});
    }
    return out;
}

// Each task type's mean gain (strong - weak) on the training rows; unseen types get the
// overall mean.
std::vector<double> task_type_scores(const TrainingSet& set, const std::vector<std::size_t>& train,
                                     const std::vector<std::size_t>& test) {
    std::map<std::string, std::pair<double, double>> sums; // type -> (gain, n)
    double all = 0;
    for (std::size_t i : train) {
        auto& s = sums[set.examples[i]->task_type];
        double gain = set.strong_score[i] - set.weak_score[i];
        s.first += gain;
        s.second += 1;
        all += gain;
    }
    double overall = train.empty() ? 0 : all / static_cast<double>(train.size());
    std::vector<double> scores;
    for (std::size_t i : test) {
        auto it = sums.find(set.examples[i]->task_type);
        scores.push_back(it == sums.end() ? overall : it->second.first / it->second.second);
    }
    return scores;
}


nlohmann::json number_or_null(double v) {
    return std::isfinite(v) ? nlohmann::json(v) : nlohmann::json();
}

template <class Get> nlohmann::json figure(const Evaluation& e, Get get) {
    nlohmann::json per_seed = nlohmann::json::array();
    double sum = 0;
    bool all_finite = true;
    for (const auto& s : e.seeds) {
        double v = get(s);
        per_seed.push_back(number_or_null(v));
        all_finite = all_finite && std::isfinite(v);
        sum += v;
    }
    double mean =
        e.seeds.empty() || !all_finite ? std::nan("") : sum / static_cast<double>(e.seeds.size());
    return {{"mean", number_or_null(mean)}, {"per_seed", per_seed}};
}

template <class Get> double mean_of(const Evaluation& e, Get get) {
    double sum = 0;
    for (const auto& s : e.seeds) {
        sum += get(s);
    }
    return e.seeds.empty() ? std::nan("") : sum / static_cast<double>(e.seeds.size());
}

} // namespace

std::vector<std::size_t> complement(std::size_t n, const std::vector<std::size_t>& rows) {
    std::vector<bool> in(n, false);
    for (std::size_t i : rows) {
        in[i] = true;
    }
    std::vector<std::size_t> out;
    for (std::size_t i = 0; i < n; ++i) {
        if (!in[i]) {
            out.push_back(i);
        }
    }
    return out;
}

std::vector<std::size_t> holdout_rows(std::size_t n, double holdout, std::uint64_t seed) {
    std::vector<std::size_t> order(n);
    std::iota(order.begin(), order.end(), std::size_t{0});
    util::Rng rng(util::mix64(seed ^ 0x686f6c646f7574ULL));
    for (std::size_t i = n; i > 1; --i) { // Fisher-Yates
        std::swap(order[i - 1], order[rng.below(i)]);
    }
    auto k = static_cast<std::size_t>(std::llround(holdout * static_cast<double>(n)));
    std::vector<std::size_t> rows(order.begin(),
                                  order.begin() + static_cast<std::ptrdiff_t>(std::min(k, n)));
    std::sort(rows.begin(), rows.end());
    return rows;
}

Evaluation evaluate_routers(const RunTable& table, const EvaluateOptions& options) {
    Evaluation ev;
    ev.run_id = table.run_id;
    ev.weak = options.weak;
    ev.strong = options.strong;
    ev.holdout = options.holdout;

    TrainOptions plain = options.train;
    plain.features.answer_checks = false;
    TrainingSet set = make_training_set(table, options.weak, options.strong, plain.features);
    ev.prompts = set.examples.size();
    std::map<std::string, int> types;
    for (const auto* e : set.examples) {
        types[e->task_type] += 1;
        ev.has_responses = ev.has_responses || !e->outcomes.at(options.weak).output.empty();
    }
    ev.task_types = types.size();
    if (set.examples.size() < 4) {
        throw Error(
            ErrorKind::config,
            fmt::format(
                "run {}: only {} prompts have results for both {} and {}; too few to evaluate",
                table.run_id, set.examples.size(), options.weak, options.strong));
    }
    std::optional<TrainingSet> cascade_set;
    TrainOptions with_answers = options.train;
    with_answers.features.answer_checks = true;
    if (options.cascade && ev.has_responses) {
        cascade_set = make_training_set(table, options.weak, options.strong, with_answers.features);
    }

    for (int s = 0; s < options.seeds; ++s) {
        SeedFigures f;
        f.seed = static_cast<std::uint64_t>(s);
        auto test = holdout_rows(set.examples.size(), options.holdout, f.seed);
        auto train = complement(set.examples.size(), test);
        f.train = train.size();
        f.test = test.size();
        auto items = outcomes_of(set, test);
        f.weak_quality = mean_score(items, false);
        f.strong_quality = mean_score(items, true);

        // The learned router: trained on `train` only.
        Scorer scorer = fit_scorer(set, train, plain);
        std::vector<double> scores;
        for (std::size_t i : test) {
            scores.push_back(scorer.score(set.x[i]));
        }
        f.learned = evaluate_scores(items, scores);

        util::Rng rng(util::mix64(f.seed ^ 0x72616e646f6dULL));
        std::vector<double> random(items.size());
        for (double& r : random) {
            r = rng.uniform();
        }
        f.random = evaluate_scores(items, random);
        f.oracle = evaluate_oracle(items);
        f.task_type = evaluate_scores(items, task_type_scores(set, train, test));

        if (cascade_set) {
            Scorer c = fit_scorer(*cascade_set, train, with_answers);
            std::vector<double> cs;
            for (std::size_t i : test) {
                cs.push_back(c.score(cascade_set->x[i]));
            }
            f.cascade = evaluate_scores(items, cs, Routing::cascade);
        }
        ev.seeds.push_back(std::move(f));
    }
    return ev;
}

nlohmann::json evaluation_json(const Evaluation& e) {
    nlohmann::json j;
    j["run"] = e.run_id;
    j["weak"] = e.weak;
    j["strong"] = e.strong;
    j["prompts"] = e.prompts;
    j["task_types"] = e.task_types;
    j["holdout"] = e.holdout;
    j["seeds"] = e.seeds.size();
    j["test_prompts"] = e.seeds.empty() ? 0 : e.seeds.front().test;
    j["weak_quality"] = figure(e, [](const SeedFigures& s) { return s.weak_quality; });
    j["strong_quality"] = figure(e, [](const SeedFigures& s) { return s.strong_quality; });
    j["weak_usd_per_1k"] =
        figure(e, [](const SeedFigures& s) { return s.learned.cost_usd_per_1k.front(); });
    j["strong_usd_per_1k"] =
        figure(e, [](const SeedFigures& s) { return s.learned.cost_usd_per_1k.back(); });
    auto router = [&](const std::string& prefix, auto pick) {
        auto key = [&](const char* name) {
            return prefix.empty() ? std::string(name) : prefix + "_" + name;
        };
        j[key("apgr")] = figure(e, [&](const SeedFigures& s) { return pick(s).apgr; });
        j[key("cpt50")] = figure(e, [&](const SeedFigures& s) { return pick(s).cpt50; });
        j[key("cpt80")] = figure(e, [&](const SeedFigures& s) { return pick(s).cpt80; });
        j[key("apgr_usd")] = figure(e, [&](const SeedFigures& s) { return pick(s).apgr_usd; });
        j[key("cpt50_usd_per_1k")] =
            figure(e, [&](const SeedFigures& s) { return pick(s).cpt50_usd_per_1k; });
        j[key("cpt80_usd_per_1k")] =
            figure(e, [&](const SeedFigures& s) { return pick(s).cpt80_usd_per_1k; });
    };
    router("", [](const SeedFigures& s) -> const RouterMetrics& { return s.learned; });
    router("random", [](const SeedFigures& s) -> const RouterMetrics& { return s.random; });
    router("oracle", [](const SeedFigures& s) -> const RouterMetrics& { return s.oracle; });
    router("task_type", [](const SeedFigures& s) -> const RouterMetrics& { return s.task_type; });
    bool cascade = !e.seeds.empty() && e.seeds.front().cascade.has_value();
    if (cascade) {
        router("cascade", [](const SeedFigures& s) -> const RouterMetrics& { return *s.cascade; });
    }
    return j;
}

nlohmann::json curves_json(const Evaluation& e) {
    auto mean_curve = [&](auto pick) {
        std::vector<double> out(k_curve_points, 0.0);
        for (const auto& s : e.seeds) {
            const auto& pgr = pick(s).pgr;
            for (std::size_t k = 0; k < k_curve_points; ++k) {
                out[k] += pgr[k] / static_cast<double>(e.seeds.size());
            }
        }
        nlohmann::json arr = nlohmann::json::array();
        for (double v : out) {
            arr.push_back(number_or_null(std::round(v * 1e6) / 1e6));
        }
        return arr;
    };
    nlohmann::json share = nlohmann::json::array();
    for (std::size_t k = 0; k < k_curve_points; ++k) {
        share.push_back(static_cast<double>(k) / static_cast<double>(k_curve_points - 1));
    }
    nlohmann::json j = {{"share", share}};
    j["learned"] =
        mean_curve([](const SeedFigures& s) -> const RouterMetrics& { return s.learned; });
    j["random"] = mean_curve([](const SeedFigures& s) -> const RouterMetrics& { return s.random; });
    j["oracle"] = mean_curve([](const SeedFigures& s) -> const RouterMetrics& { return s.oracle; });
    j["task_type"] =
        mean_curve([](const SeedFigures& s) -> const RouterMetrics& { return s.task_type; });
    if (!e.seeds.empty() && e.seeds.front().cascade) {
        j["cascade"] =
            mean_curve([](const SeedFigures& s) -> const RouterMetrics& { return *s.cascade; });
    }
    j["weak"] = e.weak;
    j["strong"] = e.strong;
    j["prompts"] = e.prompts;
    return j;
}

void print_evaluation(const Evaluation& e, std::ostream& out) {
    out << fmt::format("run {}: {} prompts ({} task types), weak {}, strong {}\n", e.run_id,
                       e.prompts, e.task_types, e.weak, e.strong);
    out << fmt::format(
        "held out {:.0f}% per seed, {} seeds; weak quality {:.3f}, strong {:.3f}; "
        "${:.4f} vs ${:.4f} per 1k prompts\n\n",
        e.holdout * 100, e.seeds.size(),
        mean_of(e, [](const SeedFigures& s) { return s.weak_quality; }),
        mean_of(e, [](const SeedFigures& s) { return s.strong_quality; }),
        mean_of(e, [](const SeedFigures& s) { return s.learned.cost_usd_per_1k.front(); }),
        mean_of(e, [](const SeedFigures& s) { return s.learned.cost_usd_per_1k.back(); }));
    out << fmt::format("{:<12} {:>7} {:>8} {:>8} {:>10} {:>14} {:>14}\n", "router", "APGR",
                       "CPT(50%)", "CPT(80%)", "APGR($)", "$/1k @CPT50", "$/1k @CPT80");
    auto row = [&](const char* name, auto pick) {
        auto m = [&](auto field) {
            return mean_of(e, [&](const SeedFigures& s) { return field(pick(s)); });
        };
        out << fmt::format("{:<12} {:>7.3f} {:>7.1f}% {:>7.1f}% {:>10.3f} {:>14.4f} {:>14.4f}\n",
                           name, m([](const RouterMetrics& r) { return r.apgr; }),
                           m([](const RouterMetrics& r) { return r.cpt50; }) * 100,
                           m([](const RouterMetrics& r) { return r.cpt80; }) * 100,
                           m([](const RouterMetrics& r) { return r.apgr_usd; }),
                           m([](const RouterMetrics& r) { return r.cpt50_usd_per_1k; }),
                           m([](const RouterMetrics& r) { return r.cpt80_usd_per_1k; }));
    };
    row("learned", [](const SeedFigures& s) -> const RouterMetrics& { return s.learned; });
    if (!e.seeds.empty() && e.seeds.front().cascade) {
        row("cascade", [](const SeedFigures& s) -> const RouterMetrics& { return *s.cascade; });
    }
    row("task type", [](const SeedFigures& s) -> const RouterMetrics& { return s.task_type; });
    row("random", [](const SeedFigures& s) -> const RouterMetrics& { return s.random; });
    row("oracle", [](const SeedFigures& s) -> const RouterMetrics& { return s.oracle; });
    out << "\nAPGR: area under the performance-gap-recovered curve over the strong-call share "
           "(random 0.5); "
           "CPT(p): strong-call share reaching PGR p. Mean over seeds.\n";
}

} // namespace orch::learn
