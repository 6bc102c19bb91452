#include <orch/core/error.hpp>
#include <orch/learn/metrics.hpp>
#include <orch/learn/tune.hpp>
#include <orch/util/stats.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <set>

namespace orch::learn {

namespace fs = std::filesystem;

namespace {

// Lower 95% bound of a mean score: Wilson for pass/fail scores, Student t otherwise.
double lower_bound(const std::vector<double>& scores) {
    bool binary =
        std::all_of(scores.begin(), scores.end(), [](double s) { return s == 0 || s == 1; });
    if (binary) {
        double passes = 0;
        for (double s : scores) {
            passes += s;
        }
        return util::wilson_lower(passes, static_cast<double>(scores.size()));
    }
    return util::mean_ci95(scores).lo;
}

std::vector<FixedRule> fixed_rules(const RunTable& table, double target, std::int64_t min_samples) {
    // Per task type and model: the scores and costs.
    std::map<std::string, std::map<std::string, std::pair<std::vector<double>, double>>> by_type;
    for (const auto& e : table.examples) {
        for (const auto& [model, o] : e.outcomes) {
            auto& slot = by_type[e.task_type][model];
            slot.first.push_back(o.score);
            slot.second += o.cost_usd;
        }
    }
    std::vector<FixedRule> rules;
    for (const auto& [type, models] : by_type) {
        std::optional<FixedRule> best;
        for (const auto& [model, data] : models) {
            const auto& scores = data.first;
            if (static_cast<std::int64_t>(scores.size()) < min_samples) {
                continue;
            }
            FixedRule r;
            r.task_type = type;
            r.model = model;
            r.n = static_cast<std::int64_t>(scores.size());
            r.mean = util::mean(scores);
            r.lower_bound = lower_bound(scores);
            r.cost_per_task_usd = data.second / static_cast<double>(scores.size());
            if (r.lower_bound >= target &&
                (!best || r.cost_per_task_usd < best->cost_per_task_usd)) {
                best = r;
            }
        }
        if (best) {
            rules.push_back(*best);
        }
    }
    return rules;
}

} // namespace

std::string toml_string(std::string_view s) {
    std::string out = "\"";
    for (char c : s) {
        switch (c) {
        case '"':
            out += "\\\"";
            break;
        case '\\':
            out += "\\\\";
            break;
        case '\n':
            out += "\\n";
            break;
        case '\t':
            out += "\\t";
            break;
        case '\r':
            out += "\\r";
            break;
        default:
            if (static_cast<unsigned char>(c) < 0x20 || c == 0x7f) {
                out +=
                    fmt::format("\\u{:04X}", static_cast<unsigned>(static_cast<unsigned char>(c)));
            } else {
                out += c;
            }
        }
    }
    return out + "\"";
}

// A TOML float: always with a fraction or exponent, so it never reads as an integer.
std::string toml_float(double v) {
    std::string s = fmt::format("{}", v);
    if (s.find_first_of(".eEn") == std::string::npos) {
        s += ".0";
    }
    return s;
}


ThresholdChoice choose_threshold(const TrainingSet& set, const std::vector<std::size_t>& rows,
                                 const TrainOptions& options, const ThresholdCriterion& criterion,
                                 const std::set<std::string>& skip_types) {
    ThresholdChoice c;
    std::vector<double> oof_all = cross_validated_scores(set, rows, options);
    std::vector<double> oof;
    std::vector<PairOutcome> items;
    for (std::size_t k = 0; k < rows.size(); ++k) {
        std::size_t i = rows[k];
        const Example& e = *set.examples[i];
        if (skip_types.count(e.task_type) > 0) {
            continue;
        }
        oof.push_back(oof_all[k]);
        items.push_back({set.weak_score[i], set.strong_score[i], e.outcomes.at(set.weak).cost_usd,
                         e.outcomes.at(set.strong).cost_usd});
    }
    c.prompts = items.size();
    if (items.empty()) {
        c.threshold = 1; // nothing to decide: never the strong model
        return c;
    }
    RouterMetrics m = evaluate_scores(items, oof);
    c.weak_quality = mean_score(items, false);
    c.strong_quality = mean_score(items, true);
    double gap = c.strong_quality - c.weak_quality;
    std::size_t k = m.share.size() - 1; // all strong unless a smaller share does
    for (std::size_t i = 0; i < m.share.size(); ++i) {
        double pgr = std::isfinite(m.pgr[i]) ? m.pgr[i] : 1.0;
        double quality = c.weak_quality + pgr * gap;
        bool enough = criterion.share    ? m.share[i] + 1e-12 >= *criterion.share
                      : criterion.target ? quality + 1e-12 >= *criterion.target
                                         : pgr + 1e-12 >= criterion.pgr;
        if (enough) {
            k = i;
            break;
        }
    }
    c.strong_share = m.share[k];
    c.pgr = std::isfinite(m.pgr[k]) ? m.pgr[k] : 1.0;
    c.quality = c.weak_quality + c.pgr * gap;

    // Scores above the threshold go strong: put it between the last strong and first weak score.
    std::vector<double> sorted = oof;
    std::sort(sorted.begin(), sorted.end(), std::greater<>());
    auto strong_calls =
        static_cast<std::size_t>(std::llround(c.strong_share * static_cast<double>(sorted.size())));
    if (strong_calls == 0) {
        c.threshold = std::max(1.0, sorted.front());
    } else if (strong_calls >= sorted.size()) {
        c.threshold = -1.0;
    } else {
        c.threshold = (sorted[strong_calls - 1] + sorted[strong_calls]) / 2;
    }
    c.threshold = std::stod(fmt::format("{:.6g}", c.threshold));
    return c;
}

std::map<std::string, ModelMean> model_means(const RunTable& table) {
    std::map<std::string, ModelMean> means;
    std::map<std::string, double> counts;
    for (const auto& e : table.examples) {
        for (const auto& [model, o] : e.outcomes) {
            auto& m = means[model];
            double n = counts[model] += 1;
            m.score += (o.score - m.score) / n;
            m.cost_usd += (o.cost_usd - m.cost_usd) / n;
        }
    }
    return means;
}

std::pair<std::string, std::string> choose_models(const RunTable& table, const std::string& weak,
                                                  const std::string& strong) {
    auto known = [&](const std::string& m) {
        return std::find(table.models.begin(), table.models.end(), m) != table.models.end();
    };
    for (const auto& [flag, m] : {std::pair{"--weak", weak}, std::pair{"--strong", strong}}) {
        if (!m.empty() && !known(m)) {
            throw Error(ErrorKind::config,
                        fmt::format("{}: run {} has no scored results for \"{}\" (it has: {})",
                                    flag, table.run_id, m, util::join(table.models, ", ")));
        }
    }
    std::map<std::string, ModelMean> means = model_means(table);
    std::string w = weak, s = strong;
    if (s.empty()) {
        double best = -1;
        for (const auto& [model, m] : means) {
            if (model != w && m.score > best) {
                best = m.score;
                s = model;
            }
        }
    }
    if (w.empty()) {
        double cheapest = 0;
        for (const auto& [model, m] : means) {
            if (model != s && (w.empty() || m.cost_usd < cheapest)) {
                cheapest = m.cost_usd;
                w = model;
            }
        }
    }
    if (w.empty() || s.empty() || w == s) {
        throw Error(
            ErrorKind::config,
            fmt::format(
                "run {}: learned routing needs two models with scored results (it has: {}); "
                "name them with --weak and --strong",
                table.run_id, table.models.empty() ? "none" : util::join(table.models, ", ")));
    }
    return {w, s};
}

TunedPolicy tune_policy(const RunTable& table, const TuneOptions& options) {
    TunedPolicy p;
    p.name = options.name;
    p.run_id = table.run_id;
    std::tie(p.weak, p.strong) = choose_models(table, options.weak, options.strong);

    // (a) Task types a single model already serves well enough, by a lower confidence bound.
    if (options.target) {
        p.fixed = fixed_rules(table, *options.target, options.min_samples);
    }
    std::set<std::string> fixed_types;
    for (const auto& r : p.fixed) {
        fixed_types.insert(r.task_type);
    }

    // (b) The scorer learns from every prompt both models answered.
    TrainingSet set = make_training_set(table, p.weak, p.strong, options.train.features);
    if (set.examples.size() < 10) {
        throw Error(
            ErrorKind::config,
            fmt::format(
                "run {}: only {} prompts have results for both {} and {}; too few to learn from",
                table.run_id, set.examples.size(), p.weak, p.strong));
    }
    std::vector<std::size_t> all(set.examples.size());
    for (std::size_t i = 0; i < all.size(); ++i) {
        all[i] = i;
    }
    p.scorer = fit_scorer(set, all, options.train);
    p.trained_on = all.size();

    // The threshold, on out-of-fold scores of the prompts the learned rule will decide.
    ThresholdCriterion criterion{options.share, options.target, options.pgr};
    ThresholdChoice t = choose_threshold(set, all, options.train, criterion, fixed_types);
    p.threshold = t.threshold;
    p.routed = t.prompts;
    p.strong_share = t.strong_share;
    p.pgr = t.pgr;
    p.quality = t.quality;
    p.weak_quality = t.weak_quality;
    p.strong_quality = t.strong_quality;
    if (p.routed == 0) {
        p.description = fmt::format(
            "Learned by orch tune from run {}: every task type has a fixed model.", p.run_id);
        return p;
    }
    p.description = fmt::format(
        "Learned by orch tune from run {} ({} prompts): {} fixed rule(s) by task type{}; then {} "
        "or {} by a learned "
        "scorer. Cross-validated on the prompts the learned rule decides: {:.0f}% strong calls "
        "recover {:.0f}% of "
        "the quality gap (quality {:.3f}; weak {:.3f}, strong {:.3f}).",
        p.run_id, p.trained_on, p.fixed.size(),
        options.target ? fmt::format(" (lower bound of mean score >= {})", *options.target) : "",
        p.weak, p.strong, p.strong_share * 100, p.pgr * 100, p.quality, p.weak_quality,
        p.strong_quality);
    return p;
}

std::string policy_header(const std::string& name, const std::string& description) {
    std::string out = "# Written by orch tune. Rules are tried in order; the first whose `when` "
                      "matches decides.\n";
    out += fmt::format("name = {}\n", toml_string(name));
    out += fmt::format("description = {}\n", toml_string(description));
    return out;
}

std::string policy_toml(const TunedPolicy& p, const std::string& scorer_ref) {
    std::string out = policy_header(p.name, p.description);
    for (const auto& r : p.fixed) {
        out += "\n[[rules]]\n";
        out += fmt::format("# {} results: mean {:.3f}, 95% lower bound {:.3f}, ${:.6f} per task\n",
                           r.n, r.mean, r.lower_bound, r.cost_per_task_usd);
        out += fmt::format("name = {}\n", toml_string("type-" + r.task_type));
        out += fmt::format("when = {{ type = {} }}\n", toml_string(r.task_type));
        out += "action = \"fixed\"\n";
        out += fmt::format("model = {}\n", toml_string(r.model));
    }
    out += "\n[[rules]]\n";
    out += fmt::format(
        "# score = P({} answers well) - P({} answers well); above the threshold goes to {}\n",
        p.strong, p.weak, p.strong);
    out += "name = \"learned\"\n";
    out += "action = \"learned\"\n";
    out += fmt::format("weak = {}\n", toml_string(p.weak));
    out += fmt::format("strong = {}\n", toml_string(p.strong));
    out += fmt::format("threshold = {}\n", toml_float(p.threshold));
    out += fmt::format("scorer = {}\n", toml_string(scorer_ref));
    return out;
}

std::string write_policy(const TunedPolicy& p, const std::string& policy_path) {
    fs::path policy(policy_path);
    fs::path scorer = policy.parent_path() / (policy.stem().string() + ".scorer.json");
    std::error_code ec;
    if (!policy.parent_path().empty()) {
        fs::create_directories(policy.parent_path(), ec);
    }
    p.scorer->save(scorer.string());
    write_policy_text(policy_path, policy_toml(p, scorer.filename().string()));
    return scorer.string();
}

void write_policy_text(const std::string& policy_path, const std::string& text) {
    std::ofstream out(policy_path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: cannot write the policy file", policy_path));
    }
}

} // namespace orch::learn
