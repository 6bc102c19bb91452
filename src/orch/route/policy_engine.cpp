#include <orch/core/error.hpp>
#include <orch/eval/heuristic.hpp>
#include <orch/learn/router.hpp>
#include <orch/learn/scorer.hpp>
#include <orch/route/policy_engine.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/stats.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <fmt/format.h>
#include <map>
#include <memory>
#include <mutex>
#include <set>

namespace orch::route {

std::string to_string(Refusal refusal) {
    switch (refusal) {
    case Refusal::none:
        return "none";
    case Refusal::privacy:
        return "privacy";
    case Refusal::budget:
        return "budget";
    case Refusal::no_rule:
        return "no_rule";
    case Refusal::no_model:
        return "no_model";
    }
    return "unknown";
}

double estimate_cost_usd(const config::ModelConfig& model, std::int64_t input_tokens,
                         const GenParams& params) {
    std::int64_t out = params.max_tokens.value_or(model.max_output_tokens);
    return model.cost_usd(input_tokens, std::max<std::int64_t>(0, out));
}

std::string split_pick(const config::PolicyRule& rule, const std::string& request_key) {
    double total = 0;
    for (const auto& [model, weight] : rule.split) {
        total += weight;
    }
    if (rule.split.empty() || !(total > 0)) {
        return "";
    }
    // 53 uniform bits of a stable hash; the rule name decorrelates two canaries on one key.
    std::uint64_t h = util::hash64(request_key, util::hash64(rule.name));
    double u = util::unit_interval(h) * total;
    double acc = 0;
    for (const auto& [model, weight] : rule.split) {
        acc += weight;
        if (u < acc) {
            return model;
        }
    }
    return rule.split.back().first;
}

double lower_bound_95(std::int64_t n, double mean, double stddev) {
    if (n < 2) {
        return 0;
    }
    auto count = static_cast<std::size_t>(n);
    return mean - util::t_quantile_975(count - 1) * stddev / std::sqrt(static_cast<double>(n));
}

std::string input_text(const std::vector<Message>& messages) {
    std::string out;
    for (const auto& m : messages) {
        if (!out.empty()) {
            out += '\n';
        }
        out += m.content;
    }
    return out;
}

namespace {

std::string quoted_list(const std::vector<std::string>& xs) {
    std::vector<std::string> q;
    for (const auto& x : xs) {
        q.push_back(fmt::format("\"{}\"", x));
    }
    return "[" + util::join(q, ", ") + "]";
}

// Regex conditions run RE2 through eval's regex heuristic; compiled once per pattern.
std::shared_ptr<const eval::Heuristic> regex_heuristic(const std::string& pattern,
                                                       std::string& error) {
    static std::mutex mutex;
    static std::map<std::string, std::shared_ptr<const eval::Heuristic>> cache;
    std::lock_guard lock(mutex);
    auto it = cache.find(pattern);
    if (it != cache.end()) {
        return it->second;
    }
    auto built = eval::make_heuristic("regex", nlohmann::json{{"pattern", pattern}});
    if (!built) {
        error = built.error();
        return nullptr;
    }
    std::shared_ptr<const eval::Heuristic> h = std::move(built.value());
    cache.emplace(pattern, h);
    return h;
}

struct Facts {
    std::int64_t input_tokens = 0;
    bool sensitive = false;
    bool detected = false; // the detector found something (so redaction has work to do)
    std::vector<std::string> kinds;
    std::string text;
};

std::vector<ConditionResult> evaluate(const config::RuleCondition& when, const RouteInput& in,
                                      const Facts& f) {
    std::vector<ConditionResult> out;
    if (!when.types.empty()) {
        bool held =
            std::find(when.types.begin(), when.types.end(), in.task_type) != when.types.end();
        std::string what = when.types.size() == 1 ? fmt::format("\"{}\"", when.types[0])
                                                  : "one of " + quoted_list(when.types);
        out.push_back(
            {"type", held,
             fmt::format("type \"{}\" {} {}", in.task_type, held ? "is" : "is not", what)});
    }
    if (!when.tags.empty()) {
        std::string hit;
        for (const auto& t : when.tags) {
            if (std::find(in.tags.begin(), in.tags.end(), t) != in.tags.end()) {
                hit = t;
                break;
            }
        }
        out.push_back({"tags", !hit.empty(),
                       hit.empty() ? fmt::format("tags {} include none of {}", quoted_list(in.tags),
                                                 quoted_list(when.tags))
                                   : fmt::format("tag \"{}\" is present", hit)});
    }
    if (when.sensitive) {
        bool held = f.sensitive == *when.sensitive;
        std::string why = f.sensitive
                              ? (f.kinds.empty() ? "flagged sensitive by the caller"
                                                 : "sensitive: found " + util::join(f.kinds, ", "))
                              : "not sensitive";
        out.push_back(
            {"sensitive", held, fmt::format("{} (wanted sensitive = {})", why, *when.sensitive)});
    }
    if (when.min_input_tokens) {
        bool held = f.input_tokens >= *when.min_input_tokens;
        out.push_back({"min_input_tokens", held,
                       fmt::format("~{} input tokens {} {}", f.input_tokens, held ? ">=" : "<",
                                   *when.min_input_tokens)});
    }
    if (when.max_input_tokens) {
        bool held = f.input_tokens <= *when.max_input_tokens;
        out.push_back({"max_input_tokens", held,
                       fmt::format("~{} input tokens {} {}", f.input_tokens, held ? "<=" : ">",
                                   *when.max_input_tokens)});
    }
    if (when.regex) {
        std::string error;
        auto h = regex_heuristic(*when.regex, error);
        if (!h) {
            out.push_back({"regex", false, "cannot run: " + error});
        } else {
            eval::Verdict v = h->evaluate(eval::Candidate{f.text, 0, 0});
            out.push_back({"regex", v.ok && v.score >= 1.0, v.reason});
        }
    }
    return out;
}

// The prompt a learned scorer reads: the user messages.
std::string f_text_of(const RouteInput& in) {
    std::string text;
    for (const auto& m : in.messages) {
        if (m.role == "user") {
            text += (text.empty() ? "" : "\n") + m.content;
        }
    }
    return text;
}

// Scorer and router files are read once per process: a policy routes many requests.
template <class Model> const Model& cached_model(const std::string& path) {
    static std::mutex mutex;
    static std::map<std::string, std::unique_ptr<Model>> models;
    std::lock_guard lock(mutex);
    auto it = models.find(path);
    if (it == models.end()) {
        it = models.emplace(path, std::make_unique<Model>(Model::load(path))).first;
    }
    return *it->second;
}

// The models a rule would try, in order, before the guards apply.
std::vector<std::string> planned_models(const config::PolicyRule& rule, const RouteInput& in,
                                        Decision& d, const config::ProvidersConfig& providers,
                                        const config::Policy& policy,
                                        const QualitySource& quality,
                                        const BanditSource& bandit) {
    std::vector<std::string> out;
    auto add = [&](const std::string& m) {
        if (!m.empty() && std::find(out.begin(), out.end(), m) == out.end()) {
            out.push_back(m);
        }
    };
    switch (rule.action) {
    case config::RuleAction::fixed:
        add(rule.model);
        for (const auto& m : rule.fallback) {
            add(m);
        }
        break;
    case config::RuleAction::split: {
        std::string pick = split_pick(rule, in.request_key);
        d.note = fmt::format("split picked {} for request key \"{}\"", pick,
                             util::truncate(in.request_key, 40));
        double total = 0, mine = 0;
        for (const auto& [model, weight] : rule.split) {
            total += weight;
            mine += model == pick ? weight : 0;
        }
        d.propensity = total > 0 ? mine / total : 1;
        add(pick);
        for (const auto& m : rule.fallback) {
            add(m);
        }
        break;
    }
    case config::RuleAction::fallback:
    case config::RuleAction::cascade:
    case config::RuleAction::privacy:
        for (const auto& m : rule.models) {
            add(m);
        }
        break;
    case config::RuleAction::cheapest: {
        std::vector<store::QualityStat> stats =
            quality ? quality() : std::vector<store::QualityStat>{};
        for (const auto& name : rule.models) {
            QualityCandidate c;
            c.model = name;
            if (const auto* m = providers.find_model(name)) {
                c.est_cost_usd = estimate_cost_usd(*m, d.input_tokens, in.params);
            }
            for (const auto& s : stats) {
                if (s.model == name && s.task_type == in.task_type) {
                    c.n = s.n;
                    c.mean = s.mean;
                    c.stddev = s.stddev;
                    c.latency_mean_ms = s.latency_mean_ms;
                }
            }
            c.lower_bound = lower_bound_95(c.n, c.mean, c.stddev);
            if (c.n < rule.min_samples) {
                c.reason =
                    fmt::format("{} recorded results for \"{}\", fewer than min_samples = {}", c.n,
                                in.task_type, rule.min_samples);
            } else if (c.lower_bound < rule.target) {
                c.reason =
                    fmt::format("lower bound {:.3f} (mean {:.3f}, n = {}) is below the target {}",
                                c.lower_bound, c.mean, c.n, rule.target);
            } else if (policy.latency_budget_ms && c.latency_mean_ms &&
                       *c.latency_mean_ms > *policy.latency_budget_ms) {
                c.reason =
                    fmt::format("mean latency {:.0f} ms is over the latency budget of {:.0f} ms",
                                *c.latency_mean_ms, *policy.latency_budget_ms);
            } else {
                c.eligible = true;
                c.reason = fmt::format("lower bound {:.3f} meets the target {}", c.lower_bound,
                                       rule.target);
            }
            d.candidates.push_back(c);
        }
        std::vector<QualityCandidate> eligible;
        for (const auto& c : d.candidates) {
            if (c.eligible) {
                eligible.push_back(c);
            }
        }
        std::stable_sort(eligible.begin(), eligible.end(),
                         [](const QualityCandidate& a, const QualityCandidate& b) {
                             return a.est_cost_usd < b.est_cost_usd;
                         });
        for (const auto& c : eligible) {
            add(c.model);
        }
        // The last model is the safe default, also the last resort after the eligible ones.
        if (eligible.empty()) {
            d.note = fmt::format(
                "no model has the evidence to meet the target {} for \"{}\"; using the last "
                "model, {}",
                rule.target, in.task_type, rule.models.back());
        } else {
            d.note = fmt::format("cheapest model meeting the target {}: {}", rule.target,
                                 eligible.front().model);
        }
        add(rule.models.back());
        break;
    }
    case config::RuleAction::bandit: {
        std::vector<store::BanditArm> arms =
            bandit ? bandit(policy.name, rule.name, in.task_type) : std::vector<store::BanditArm>{};
        std::vector<double> q, c, seen;
        for (const auto& name : rule.models) {
            auto arm = std::find_if(arms.begin(), arms.end(),
                                    [&](const store::BanditArm& a) { return a.model == name; });
            double n = arm != arms.end() ? arm->n : 0;
            // Optimistic for what is untried (one imagined success), so each model gets tried.
            q.push_back(((arm != arms.end() ? arm->reward_sum : 0) + 1) / (n + 1));
            const auto* m = providers.find_model(name);
            double priced = m != nullptr ? estimate_cost_usd(*m, d.input_tokens, in.params) : 0;
            c.push_back(n > 0 ? arm->cost_sum / n : priced);
            seen.push_back(n);
        }
        std::vector<std::size_t> ranked = learn::rank_choices(q, c, rule.lambda);
        std::size_t greedy = ranked.front();
        // The draws: a stable hash of the request (its key, else its text) and the rule's seed.
        std::string key = in.request_key.empty() ? in.task_type + "\n" + f_text_of(in) : in.request_key;
        std::uint64_t h = util::hash64(key, util::hash64(rule.name, rule.seed));
        bool explore = util::unit_interval(h) < rule.epsilon;
        std::size_t pick = explore ? static_cast<std::size_t>(util::mix64(h) % rule.models.size()) : greedy;
        d.propensity = (pick == greedy ? 1 - rule.epsilon : 0) +
                       rule.epsilon / static_cast<double>(rule.models.size());
        d.online = true;
        d.note = fmt::format("bandit {} {} (greedy: {}, mean reward {:.3f} over {} observations; "
                             "chosen with probability {:.3f})",
                             explore ? "explored" : "exploited", rule.models[pick],
                             rule.models[greedy], q[greedy], seen[greedy], d.propensity);
        // The drawn model first, then the others by their estimates, as fallbacks.
        add(rule.models[pick]);
        for (std::size_t i : ranked) {
            add(rule.models[i]);
        }
        break;
    }
    case config::RuleAction::learned: {
        if (!rule.models.empty()) {
            // Many models: the highest estimated quality − λ · cost first, the rest as fallbacks.
            const auto& router = cached_model<learn::QualityRouter>(rule.scorer);
            std::vector<double> q = router.quality(f_text_of(in), in.task_type);
            std::vector<double> c = router.costs(in.task_type);
            std::vector<std::size_t> order;
            for (const auto& name : rule.models) {
                const auto& known = router.models();
                auto it = std::find(known.begin(), known.end(), name);
                if (it == known.end()) {
                    throw Error(ErrorKind::config,
                                fmt::format("{}: the router does not know \"{}\" (it was learned "
                                            "for {})",
                                            rule.scorer, name, util::join(known, ", ")));
                }
                order.push_back(static_cast<std::size_t>(it - known.begin()));
            }
            std::vector<double> rq, rc;
            for (std::size_t k : order) {
                rq.push_back(q[k]);
                rc.push_back(c[k]);
            }
            std::string scores;
            for (std::size_t pick : learn::rank_choices(rq, rc, rule.lambda)) {
                add(rule.models[pick]);
                scores += fmt::format("{}{} {:.3f} - {:.4g} x ${:.6f}", scores.empty() ? "" : "; ",
                                      rule.models[pick], rq[pick], rule.lambda, rc[pick]);
            }
            d.note = fmt::format("learned quality - lambda x cost: {}", scores);
            break;
        }
        // The scorer estimates how much this request gains from the strong model.
        const auto& scorer = cached_model<learn::Scorer>(rule.scorer);
        double score = scorer.score(f_text_of(in), in.task_type);
        bool strong = score > rule.threshold;
        d.note = fmt::format("learned score {:.4f} {} threshold {:.4f}: {}", score, strong ? ">" : "<=",
                             rule.threshold, strong ? rule.strong : rule.weak);
        add(strong ? rule.strong : rule.weak);
        add(strong ? rule.weak : rule.strong);
        break;
    }
    }
    return out;
}

} // namespace

Decision explain(const config::ProvidersConfig& providers, const config::Policy& policy,
                 const RouteInput& in, const QualitySource& quality,
                 const BanditSource& bandit) {
    Decision d;
    d.policy = policy.name;
    d.sensitive_flag = in.sensitive_flag;

    Facts f;
    f.text = input_text(in.messages);
    f.input_tokens = estimate_tokens(in.messages);
    std::set<std::string> kinds;
    for (const auto& m : in.messages) {
        for (const auto& span : detect_sensitive(m.content)) {
            kinds.insert(to_string(span.kind));
        }
    }
    f.kinds.assign(kinds.begin(), kinds.end());
    f.detected = !f.kinds.empty();
    f.sensitive = in.sensitive_flag || f.detected;
    d.input_tokens = f.input_tokens;
    d.sensitive = f.sensitive;
    d.sensitive_kinds = f.kinds;

    // The first rule whose every condition holds decides; later rules are not evaluated.
    for (const auto& rule : policy.rules) {
        RuleResult r;
        r.rule = rule.name;
        r.action = config::to_string(rule.action);
        if (d.rule) {
            d.rules.push_back(r);
            continue;
        }
        r.evaluated = true;
        r.conditions = evaluate(rule.when, in, f);
        r.matched = std::all_of(r.conditions.begin(), r.conditions.end(),
                                [](const ConditionResult& c) { return c.held; });
        if (r.matched) {
            d.rule = rule;
        }
        d.rules.push_back(std::move(r));
    }
    if (!d.rule) {
        d.refusal = Refusal::no_rule;
        d.refusal_reason =
            fmt::format("no rule of policy \"{}\" matches this request (type \"{}\")", policy.name,
                        in.task_type);
        return d;
    }
    const config::PolicyRule& rule = *d.rule;

    bool redact = rule.action == config::RuleAction::privacy && rule.redact;
    std::string sensitive_why = f.detected ? "the input contains " + util::join(f.kinds, ", ")
                                           : "the input is flagged sensitive";
    for (const auto& name : planned_models(rule, in, d, providers, policy, quality, bandit)) {
        const config::ModelConfig* m = providers.find_model(name);
        if (m == nullptr) {
            d.excluded.push_back({name, Exclusion::context, "not in [models]"});
            continue;
        }
        const config::ProviderConfig* p = providers.find_provider(m->provider);
        bool is_private = p != nullptr && p->is_private();
        PlannedCall call{name, estimate_cost_usd(*m, f.input_tokens, in.params), false};
        if (f.sensitive && !is_private) {
            if (!redact) {
                d.excluded.push_back(
                    {name, Exclusion::privacy,
                     fmt::format("external provider \"{}\" and {}", m->provider, sensitive_why)});
                continue;
            }
            if (in.sensitive_flag && !f.detected) {
                d.excluded.push_back(
                    {name, Exclusion::privacy,
                     fmt::format("external provider \"{}\"; the input is flagged sensitive and "
                                 "redaction finds nothing to remove",
                                 m->provider)});
                continue;
            }
            call.redacted = f.detected;
        }
        if (f.input_tokens > m->context_window) {
            d.excluded.push_back({name, Exclusion::context,
                                  fmt::format("~{} input tokens exceed its context window of {}",
                                              f.input_tokens, m->context_window)});
            continue;
        }
        if (policy.max_cost_per_request_usd &&
            call.est_cost_usd > *policy.max_cost_per_request_usd) {
            d.excluded.push_back(
                {name, Exclusion::budget,
                 fmt::format("estimated ${:.4f} is over the per-request cap of ${:.4f}",
                             call.est_cost_usd, *policy.max_cost_per_request_usd)});
            continue;
        }
        d.chain.push_back(call);
    }

    if (d.chain.empty()) {
        auto any = [&](Exclusion e) {
            return std::any_of(d.excluded.begin(), d.excluded.end(),
                               [&](const ExcludedModel& x) { return x.why == e; });
        };
        if (any(Exclusion::budget)) {
            d.refusal = Refusal::budget;
            d.refusal_reason =
                fmt::format("every model rule \"{}\" may use is estimated over the per-request cap "
                            "of ${:.4f}",
                            rule.name, policy.max_cost_per_request_usd.value_or(0));
        } else if (any(Exclusion::privacy)) {
            d.refusal = Refusal::privacy;
            d.refusal_reason =
                fmt::format("{} and rule \"{}\" has no private model to send it to{}",
                            sensitive_why, rule.name, redact ? "" : " (nor redact = true)");
        } else {
            d.refusal = Refusal::no_model;
            d.refusal_reason =
                fmt::format("no model of rule \"{}\" can take this request", rule.name);
        }
    }
    return d;
}

nlohmann::json to_json(const Decision& d) {
    using nlohmann::json;
    json rules = json::array();
    for (const auto& r : d.rules) {
        json conds = json::array();
        for (const auto& c : r.conditions) {
            conds.push_back({{"condition", c.condition}, {"held", c.held}, {"detail", c.detail}});
        }
        rules.push_back({{"rule", r.rule},
                         {"action", r.action},
                         {"evaluated", r.evaluated},
                         {"matched", r.matched},
                         {"conditions", conds}});
    }
    json chain = json::array();
    for (const auto& c : d.chain) {
        chain.push_back(
            {{"model", c.model}, {"est_cost_usd", c.est_cost_usd}, {"redacted", c.redacted}});
    }
    json excluded = json::array();
    for (const auto& x : d.excluded) {
        const char* why = x.why == Exclusion::privacy  ? "privacy"
                          : x.why == Exclusion::budget ? "budget"
                                                       : "context";
        excluded.push_back({{"model", x.model}, {"why", why}, {"reason", x.reason}});
    }
    json out = {{"policy", d.policy},
                {"rule", d.rule ? json(d.rule->name) : json(nullptr)},
                {"action", d.rule ? json(config::to_string(d.rule->action)) : json(nullptr)},
                {"input_tokens", d.input_tokens},
                {"propensity", d.propensity},
                {"sensitive", d.sensitive},
                {"sensitive_flag", d.sensitive_flag},
                {"sensitive_kinds", d.sensitive_kinds},
                {"rules", rules},
                {"chain", chain},
                {"excluded", excluded},
                {"refused", d.refused()},
                {"refusal", d.refused() ? json(to_string(d.refusal)) : json(nullptr)},
                {"refusal_reason", d.refusal_reason}};
    if (!d.note.empty()) {
        out["note"] = d.note;
    }
    if (d.rule && d.rule->check) {
        out["check"] = d.rule->check->describe();
    }
    if (d.rule && d.rule->action == config::RuleAction::split) {
        json weights = json::object();
        for (const auto& [m, w] : d.rule->split) {
            weights[m] = w;
        }
        out["split"] = weights;
    }
    if (!d.candidates.empty()) {
        json cands = json::array();
        for (const auto& c : d.candidates) {
            cands.push_back(
                {{"model", c.model},
                 {"n", c.n},
                 {"mean", c.mean},
                 {"stddev", c.stddev},
                 {"lower_bound", c.lower_bound},
                 {"latency_mean_ms", c.latency_mean_ms ? json(*c.latency_mean_ms) : json(nullptr)},
                 {"est_cost_usd", c.est_cost_usd},
                 {"eligible", c.eligible},
                 {"reason", c.reason}});
        }
        out["candidates"] = cands;
        out["target"] = d.rule->target;
        out["min_samples"] = d.rule->min_samples;
    }
    return out;
}

std::string to_text(const Decision& d) {
    std::string out;
    if (d.rule) {
        out += fmt::format("policy \"{}\": rule \"{}\" ({}) matched\n", d.policy, d.rule->name,
                           config::to_string(d.rule->action));
    } else {
        out += fmt::format("policy \"{}\": no rule matched\n", d.policy);
    }
    std::string sensitive =
        d.sensitive
            ? (d.sensitive_kinds.empty() ? "yes (flagged by the caller)"
                                         : "yes (" + util::join(d.sensitive_kinds, ", ") + ")")
            : "no";
    out += fmt::format("input: ~{} tokens, sensitive: {}\n", d.input_tokens, sensitive);
    out += "rules:\n";
    for (std::size_t i = 0; i < d.rules.size(); ++i) {
        const auto& r = d.rules[i];
        std::string verdict = !r.evaluated ? "-  " : r.matched ? "yes" : "no ";
        out += fmt::format("  {}. {} {} ({})", i + 1, verdict, r.rule, r.action);
        if (!r.evaluated) {
            out += ": not evaluated (an earlier rule matched)\n";
            continue;
        }
        if (r.conditions.empty()) {
            out += ": no conditions, matches every request\n";
            continue;
        }
        std::vector<std::string> parts;
        for (const auto& c : r.conditions) {
            parts.push_back(fmt::format("{} {}", c.held ? "✓" : "✗", c.detail));
        }
        out += ": " + util::join(parts, "; ") + "\n";
    }
    if (!d.candidates.empty()) {
        out += fmt::format("candidates (target {}, min_samples {}):\n", d.rule->target,
                           d.rule->min_samples);
        out += fmt::format("  {:<16} {:>5} {:>6} {:>6} {:>10}  {}\n", "model", "n", "mean", "lower",
                           "est. $", "eligible");
        for (const auto& c : d.candidates) {
            out += fmt::format("  {:<16} {:>5} {:>6.3f} {:>6.3f} {:>10.5f}  {}: {}\n", c.model, c.n,
                               c.mean, c.lower_bound, c.est_cost_usd, c.eligible ? "yes" : "no",
                               c.reason);
        }
    }
    if (!d.note.empty()) {
        out += d.note + "\n";
    }
    if (d.rule && d.rule->check) {
        out += fmt::format("check: {} (escalate to the next model when it fails)\n",
                           d.rule->check->describe());
    }
    if (!d.chain.empty()) {
        std::vector<std::string> steps;
        for (const auto& c : d.chain) {
            steps.push_back(fmt::format("{} (≤ ${:.4f}{})", c.model, c.est_cost_usd,
                                        c.redacted ? ", redacted" : ""));
        }
        out += "chain: " + util::join(steps, " → ") + "\n";
    }
    for (const auto& x : d.excluded) {
        out += fmt::format("excluded: {}: {}\n", x.model, x.reason);
    }
    if (d.refused()) {
        out += fmt::format("refused ({}): {}\n", to_string(d.refusal), d.refusal_reason);
    }
    return out;
}

} // namespace orch::route
