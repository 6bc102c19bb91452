#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/config/toml_reader.hpp>
#include <orch/core/error.hpp>
#include <orch/eval/heuristic.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <set>

namespace orch::config {

bool RuleCondition::matches_everything() const {
    return types.empty() && tags.empty() && !sensitive && !min_input_tokens && !max_input_tokens &&
           !regex;
}

std::string CascadeCheck::describe() const {
    if (kind == "confidence") {
        return fmt::format("confidence >= {}", min_confidence);
    }
    std::string out = (negate ? "not " : "") + kind;
    if (params.is_object() && !params.empty()) {
        out += " " + params.dump();
    }
    return out;
}

std::string to_string(RuleAction action) {
    switch (action) {
    case RuleAction::fixed:
        return "fixed";
    case RuleAction::fallback:
        return "fallback";
    case RuleAction::cascade:
        return "cascade";
    case RuleAction::split:
        return "split";
    case RuleAction::cheapest:
        return "cheapest";
    case RuleAction::privacy:
        return "privacy";
    case RuleAction::learned:
        return "learned";
    case RuleAction::bandit:
        return "bandit";
    }
    return "unknown";
}

namespace {

const std::vector<std::string> k_actions = {"fixed",    "fallback", "cascade", "split",
                                            "cheapest", "privacy",  "learned", "bandit"};

RuleAction action_from(const std::string& s) {
    for (std::size_t i = 0; i < k_actions.size(); ++i) {
        if (k_actions[i] == s) {
            return static_cast<RuleAction>(i);
        }
    }
    return RuleAction::fallback;
}

// The keys each action reads; any other action key on the rule is a mistake worth naming.
const std::vector<std::string>& keys_of(RuleAction action) {
    static const std::vector<std::string> fixed = {"model", "fallback"};
    static const std::vector<std::string> fallback = {"models"};
    static const std::vector<std::string> cascade = {"models", "check"};
    static const std::vector<std::string> split = {"split", "fallback"};
    static const std::vector<std::string> cheapest = {"models", "target", "min_samples"};
    static const std::vector<std::string> privacy = {"models", "redact"};
    static const std::vector<std::string> learned = {"weak",   "strong", "threshold",
                                                      "scorer", "models", "lambda"};
    static const std::vector<std::string> bandit = {"models", "epsilon", "lambda", "seed"};
    switch (action) {
    case RuleAction::fixed:
        return fixed;
    case RuleAction::fallback:
        return fallback;
    case RuleAction::cascade:
        return cascade;
    case RuleAction::split:
        return split;
    case RuleAction::cheapest:
        return cheapest;
    case RuleAction::privacy:
        return privacy;
    case RuleAction::learned:
        return learned;
    case RuleAction::bandit:
        return bandit;
    }
    return fallback;
}

const std::vector<std::string> k_action_keys = {"model",  "models", "fallback",    "split",
                                                "check",  "target", "min_samples", "redact",
                                                "weak",   "strong", "threshold",   "scorer",
                                                "lambda", "epsilon", "seed"};

// Reads the model name of one node (a string), checking that [models] has it.
void check_model_name(const std::string& name, const Location& where, const std::string& key,
                      const ProvidersConfig& cfg, Problems& problems) {
    if (cfg.find_model(name) == nullptr) {
        problems.add(where, key, fmt::format("no model named \"{}\" in [models]", name));
    }
}

// An array of model names, each located and checked against [models]; duplicates are errors.
std::vector<std::string> read_models(TableReader& r, const std::string& key,
                                     const ProvidersConfig& cfg) {
    std::vector<std::string> out;
    const toml::array* arr = r.array(key);
    if (arr == nullptr) {
        return out;
    }
    for (std::size_t i = 0; i < arr->size(); ++i) {
        const toml::node& el = *arr->get(i);
        Location where = location_of(r.file(), el.source());
        std::string path = fmt::format("{}[{}]", r.key_path(key), i);
        const auto* s = el.as_string();
        if (s == nullptr) {
            r.problems().add(where, path,
                             fmt::format("expected a model name, got {}", toml_type_name(el)));
            continue;
        }
        std::string name = s->get();
        check_model_name(name, where, path, cfg, r.problems());
        if (std::find(out.begin(), out.end(), name) != out.end()) {
            r.problems().add(where, path, fmt::format("\"{}\" is listed twice", name));
        }
        out.push_back(name);
    }
    return out;
}

// `type = "x"` or `type = ["x", "y"]` (also for tags).
std::vector<std::string> read_one_or_many(TableReader& r, const std::string& key) {
    const toml::node* n = r.any(key);
    if (n == nullptr) {
        return {};
    }
    if (const auto* s = n->as_string()) {
        return {s->get()};
    }
    if (const auto* arr = n->as_array()) {
        std::vector<std::string> out;
        for (std::size_t i = 0; i < arr->size(); ++i) {
            const toml::node& el = *arr->get(i);
            if (const auto* s = el.as_string()) {
                out.push_back(s->get());
            } else {
                r.problems().add(location_of(r.file(), el.source()),
                                 fmt::format("{}[{}]", r.key_path(key), i),
                                 fmt::format("expected a string, got {}", toml_type_name(el)));
            }
        }
        if (arr->empty()) {
            r.problems().add(r.where(key), r.key_path(key), "expected at least one value");
        }
        return out;
    }
    r.problems().add(
        r.where(key), r.key_path(key),
        fmt::format("expected a string or an array of strings, got {}", toml_type_name(*n)));
    return {};
}

RuleCondition read_condition(const toml::table& t, const std::string& file,
                             const std::string& prefix, Problems& problems) {
    TableReader r(t, file, prefix, problems);
    RuleCondition c;
    c.types = read_one_or_many(r, "type");
    c.tags = read_one_or_many(r, "tags");
    c.sensitive = r.boolean("sensitive");
    for (const char* key : {"min_input_tokens", "max_input_tokens"}) {
        auto v = r.integer(key);
        if (v && *v < 0) {
            problems.add(r.where(key), r.key_path(key), "expected a whole number of 0 or more");
        }
        (std::string(key) == "min_input_tokens" ? c.min_input_tokens : c.max_input_tokens) = v;
    }
    if (c.min_input_tokens && c.max_input_tokens && *c.min_input_tokens > *c.max_input_tokens) {
        problems.add(r.where("max_input_tokens"), r.key_path("max_input_tokens"),
                     fmt::format("{} is below min_input_tokens ({}): no input can match",
                                 *c.max_input_tokens, *c.min_input_tokens));
    }
    if (auto re = r.string("regex")) {
        // The regex is RE2 and lives in eval/: test it the way the route will run it.
        auto built = eval::make_heuristic("regex", nlohmann::json{{"pattern", *re}});
        if (!built) {
            problems.add(r.where("regex"), r.key_path("regex"), built.error());
        }
        c.regex = *re;
    }
    r.finish("type, tags, sensitive, min_input_tokens, max_input_tokens, regex");
    return c;
}

CascadeCheck read_check(const toml::table& t, const std::string& file, const std::string& prefix,
                        Problems& problems) {
    TableReader r(t, file, prefix, problems);
    CascadeCheck c;
    c.where = r.where();
    c.kind = r.string("kind", true).value_or("");
    if (c.kind == "confidence") {
        if (auto v = r.number("min")) {
            if (*v < 0 || *v > 1) {
                problems.add(r.where("min"), r.key_path("min"),
                             fmt::format("expected a number from 0 to 1, got {}", *v));
            }
            c.min_confidence = *v;
        }
        r.finish("kind, min");
        return c;
    }
    c.negate = r.boolean("not").value_or(false);
    if (auto v = r.number("min_score")) {
        if (*v < 0 || *v > 1) {
            problems.add(r.where("min_score"), r.key_path("min_score"),
                         fmt::format("expected a number from 0 to 1, got {}", *v));
        }
        c.min_score = *v;
    }
    c.params = nlohmann::json::object();
    for (const auto& [k, v] : t) {
        std::string key(k.str());
        if (key != "kind" && key != "not" && key != "min_score") {
            c.params[key] = toml_to_json(v);
            r.mark_known(key); // the evaluator checks its own parameters
        }
    }
    if (!c.kind.empty()) {
        auto built = eval::make_heuristic(c.kind, c.params, c.negate);
        if (!built) {
            std::string msg = built.error();
            if (!eval::is_heuristic_kind(c.kind)) {
                msg += "; or \"confidence\" (the model's own stated confidence)";
            }
            problems.add(r.where(), prefix, msg);
        }
    }
    return c;
}

PolicyRule read_rule(const toml::table& t, std::size_t index, const std::string& file,
                     const std::string& prefix, const ProvidersConfig& cfg, Problems& problems) {
    TableReader r(t, file, prefix, problems);
    PolicyRule rule;
    rule.where = r.where();
    rule.name = r.string("name").value_or(fmt::format("rule-{}", index + 1));
    if (const toml::table* w = r.table("when")) {
        rule.when = read_condition(*w, file, r.key_path("when"), problems);
    }
    auto action = r.one_of("action", k_actions, true);
    if (action) {
        rule.action = action_from(*action);
    }
    if (auto m = r.string("model")) {
        rule.model = *m;
        check_model_name(*m, r.where("model"), r.key_path("model"), cfg, problems);
    }
    rule.models = read_models(r, "models", cfg);
    rule.fallback = read_models(r, "fallback", cfg);
    if (const toml::table* s = r.table("split")) {
        for (const auto& [k, v] : *s) {
            std::string name(k.str());
            std::string key = r.key_path("split") + "." + name;
            Location where = location_of(file, k.source());
            check_model_name(name, where, key, cfg, problems);
            double weight = 0;
            if (const auto* f = v.as_floating_point()) {
                weight = f->get();
            } else if (const auto* i = v.as_integer()) {
                weight = static_cast<double>(i->get());
            } else {
                problems.add(location_of(file, v.source()), key,
                             fmt::format("expected a weight (a positive number), got {}",
                                         toml_type_name(v)));
                continue;
            }
            if (!(weight > 0)) {
                problems.add(location_of(file, v.source()), key,
                             fmt::format("split weights must be positive, got {}", weight));
            }
            rule.split.emplace_back(name, weight);
        }
        if (s->empty()) {
            problems.add(r.where("split"), r.key_path("split"),
                         "expected at least one model = weight, e.g. { \"sim-mid\" = 90, "
                         "\"sim-frontier\" = 10 }");
        }
    }
    if (const toml::table* c = r.table("check")) {
        rule.check = read_check(*c, file, r.key_path("check"), problems);
    }
    if (auto v = r.number("target")) {
        if (*v <= 0 || *v > 1) {
            problems.add(
                r.where("target"), r.key_path("target"),
                fmt::format("expected a quality target above 0 and at most 1, got {}", *v));
        }
        rule.target = *v;
    }
    if (auto v = r.integer("min_samples")) {
        if (*v < 1) {
            problems.add(r.where("min_samples"), r.key_path("min_samples"),
                         "expected a whole number of 1 or more");
        }
        rule.min_samples = *v;
    }
    rule.redact = r.boolean("redact").value_or(false);
    for (auto [key, field] : {std::pair{"weak", &rule.weak}, std::pair{"strong", &rule.strong}}) {
        if (auto v = r.string(key)) {
            check_model_name(*v, r.where(key), r.key_path(key), cfg, problems);
            *field = *v;
        }
    }
    if (auto v = r.number("threshold")) {
        rule.threshold = *v;
    }
    if (auto v = r.number("lambda")) {
        if (!(*v >= 0) || !std::isfinite(*v)) {
            problems.add(r.where("lambda"), r.key_path("lambda"),
                         fmt::format("expected the quality given up per dollar a call, a number "
                                     "of 0 or more, got {}",
                                     *v));
        }
        rule.lambda = *v;
    }
    if (auto v = r.number("epsilon")) {
        if (!(*v > 0 && *v <= 0.5)) {
            problems.add(r.where("epsilon"), r.key_path("epsilon"),
                         fmt::format("expected an exploration rate above 0 and at most 0.5, got {}",
                                     *v));
        }
        rule.epsilon = *v;
    }
    if (auto v = r.integer("seed")) {
        if (*v < 0) {
            problems.add(r.where("seed"), r.key_path("seed"), "expected a whole number of 0 or more");
        }
        rule.seed = static_cast<std::uint64_t>(*v);
    }
    if (auto v = r.string("scorer")) {
        // Relative to the policy file, as `orch tune` writes it.
        std::filesystem::path p = std::filesystem::path(file).parent_path() / *v;
        rule.scorer = p.lexically_normal().string();
        std::error_code ec;
        if (!std::filesystem::is_regular_file(rule.scorer, ec)) {
            problems.add(r.where("scorer"), r.key_path("scorer"),
                         fmt::format("scorer file not found: {} (paths are relative to the policy file)",
                                     rule.scorer));
        }
    }
    r.finish("name, when, action, model, models, fallback, split, check, target, min_samples, redact, "
             "weak, strong, threshold, scorer, lambda, epsilon, seed");
    if (!action) {
        return rule;
    }

    // What the action needs, and nothing it would silently ignore.
    const auto& wanted = keys_of(rule.action);
    for (const auto& key : k_action_keys) {
        if (t.get(key) != nullptr && std::find(wanted.begin(), wanted.end(), key) == wanted.end()) {
            problems.add(r.where(key), r.key_path(key),
                         fmt::format("not used by action \"{}\" (it reads: {})", *action,
                                     util::join(wanted, ", ")));
        }
    }
    auto need = [&](bool ok, const std::string& key, const std::string& what) {
        if (!ok && t.get(key) == nullptr) {
            problems.add(rule.where, r.key_path(key), "missing; " + what);
        }
    };
    switch (rule.action) {
    case RuleAction::fixed:
        need(!rule.model.empty(), "model", "action \"fixed\" needs the model to use");
        break;
    case RuleAction::split:
        need(!rule.split.empty(), "split",
             "action \"split\" needs model weights, e.g. { \"a\" = 90, \"b\" = 10 }");
        break;
    case RuleAction::cascade:
        need(!rule.models.empty(), "models", "action \"cascade\" needs its models, cheapest first");
        if (t.get("models") != nullptr && rule.models.size() < 2) {
            problems.add(
                r.where("models"), r.key_path("models"),
                "a cascade needs at least 2 models (a cheap one first, then where to escalate)");
        }
        need(rule.check.has_value(), "check",
             "action \"cascade\" needs a check, e.g. { kind = \"regex\", pattern = \"…\" } or "
             "{ kind = \"confidence\", min = 0.7 }");
        break;
    case RuleAction::cheapest:
        need(!rule.models.empty(), "models", "action \"cheapest\" needs the candidate models");
        need(rule.target > 0, "target",
             "action \"cheapest\" needs a quality target, e.g. target = 0.9");
        break;
    case RuleAction::fallback:
    case RuleAction::privacy:
        need(!rule.models.empty(), "models",
             fmt::format("action \"{}\" needs its models, in order", *action));
        break;
    case RuleAction::learned:
        if (t.get("models") != nullptr) {
            // Many models: the router file ranks them by estimated quality − λ · cost.
            need(t.get("lambda") != nullptr, "lambda",
                 "action \"learned\" over models needs lambda (from orch tune)");
            need(!rule.scorer.empty(), "scorer",
                 "action \"learned\" needs the router file from orch tune");
            if (rule.models.size() == 1) {
                problems.add(r.where("models"), r.key_path("models"),
                             "a learned rule chooses among two or more models");
            }
            for (const char* key : {"weak", "strong", "threshold"}) {
                if (t.get(key) != nullptr) {
                    problems.add(r.where(key), r.key_path(key),
                                 "not used with models (a learned rule takes either weak, strong "
                                 "and threshold, or models and lambda)");
                }
            }
            break;
        }
        need(!rule.weak.empty(), "weak", "action \"learned\" needs the weak (cheap) model");
        need(!rule.strong.empty(), "strong", "action \"learned\" needs the strong model");
        need(!rule.scorer.empty(), "scorer", "action \"learned\" needs the scorer file from orch tune");
        break;
    case RuleAction::bandit:
        need(!rule.models.empty(), "models", "action \"bandit\" needs the models it learns among");
        if (rule.models.size() == 1) {
            problems.add(r.where("models"), r.key_path("models"),
                         "a bandit learns among two or more models");
        }
        break;
    }
    if (t.get("models") != nullptr && rule.models.empty() && rule.action != RuleAction::fixed &&
        rule.action != RuleAction::split) {
        problems.add(r.where("models"), r.key_path("models"), "expected at least one model");
    }
    return rule;
}

// The body shared by [policies.NAME] and a policy file: every key but `name`.
void read_policy_body(TableReader& r, const std::string& rules_prefix, const ProvidersConfig& cfg,
                      Policy& p) {
    Problems& problems = r.problems();
    p.where = r.where();
    p.description = r.string("description").value_or("");
    for (const char* key :
         {"max_cost_per_request_usd", "max_cost_per_run_usd", "latency_budget_ms"}) {
        auto v = r.number(key);
        if (v && !(*v > 0)) {
            problems.add(r.where(key), r.key_path(key),
                         fmt::format("expected a number above 0, got {}", *v));
        }
        std::string k = key;
        (k == "max_cost_per_request_usd" ? p.max_cost_per_request_usd
         : k == "max_cost_per_run_usd"   ? p.max_cost_per_run_usd
                                         : p.latency_budget_ms) = v;
    }
    p.compaction = r.one_of("compaction", {"compact", "truncate"});
    p.on_context_length = r.one_of("on_context_length", {"fallback", "compact"});
    const toml::array* rules = r.array("rules");
    if (rules != nullptr) {
        for (std::size_t i = 0; i < rules->size(); ++i) {
            const toml::node& n = *rules->get(i);
            std::string prefix = fmt::format("{}[{}]", rules_prefix, i);
            if (const auto* rt = n.as_table()) {
                p.rules.push_back(read_rule(*rt, i, r.file(), prefix, cfg, problems));
            } else {
                problems.add(
                    location_of(r.file(), n.source()), prefix,
                    fmt::format("expected a table ([[...rules]]), got {}", toml_type_name(n)));
            }
        }
    }
    if (p.rules.empty() && (rules == nullptr || rules->empty())) {
        problems.add(p.where, rules_prefix, "missing; a policy needs at least one [[rules]] entry");
    }
    // Names are how the route log and reports refer to rules; an unconditional rule ends the list.
    std::set<std::string> names;
    const PolicyRule* catch_all = nullptr;
    for (std::size_t i = 0; i < p.rules.size(); ++i) {
        const PolicyRule& rule = p.rules[i];
        std::string key = fmt::format("{}[{}]", rules_prefix, i);
        if (!names.insert(rule.name).second) {
            problems.add(rule.where, key, fmt::format("two rules are named \"{}\"", rule.name));
        }
        if (catch_all != nullptr) {
            problems.add(
                rule.where, key,
                fmt::format("rule \"{}\" is unreachable: rule \"{}\" before it has no `when` and "
                            "matches every request",
                            rule.name, catch_all->name));
        } else if (rule.when.matches_everything()) {
            catch_all = &rule;
        }
    }
}

const char* k_policy_keys =
    "description, max_cost_per_request_usd, max_cost_per_run_usd, latency_budget_ms, compaction, "
    "on_context_length, rules";

} // namespace

void read_policies(TableReader& top, ProvidersConfig& cfg) {
    const toml::table* ps = top.table("policies");
    if (ps == nullptr) {
        return;
    }
    for (const auto& [k, v] : *ps) {
        std::string name(k.str());
        const auto* t = v.as_table();
        if (t == nullptr) {
            top.problems().add(location_of(top.file(), v.source()), "policies." + name,
                               fmt::format("expected a table, got {}", toml_type_name(v)));
            continue;
        }
        TableReader r(*t, top.file(), "policies." + name, top.problems());
        Policy p;
        p.name = name;
        p.path = top.file();
        read_policy_body(r, r.key_path("rules"), cfg, p);
        r.finish(k_policy_keys);
        cfg.policies.push_back(std::move(p));
    }
}

Policy load_policy_file(const std::string& path, const ProvidersConfig& providers) {
    Problems problems;
    auto doc = parse_toml_file(path, problems);
    problems.throw_if_any();
    TableReader r(*doc, path, "", problems);
    Policy p;
    p.path = path;
    p.name = r.string("name").value_or(std::filesystem::path(path).stem().string());
    read_policy_body(r, "rules", providers, p);
    r.finish(std::string("name, ") + k_policy_keys);
    problems.throw_if_any();
    return p;
}

const Policy* find_policy(const ProvidersConfig& providers, const std::string& name) {
    for (const auto& p : providers.policies) {
        if (p.name == name) {
            return &p;
        }
    }
    return nullptr;
}

Policy resolve_policy(const ProvidersConfig& providers, const std::string& name_or_file) {
    std::error_code ec;
    bool is_file = name_or_file.size() > 5 && name_or_file.ends_with(".toml");
    if (is_file || std::filesystem::is_regular_file(name_or_file, ec)) {
        return load_policy_file(name_or_file, providers);
    }
    if (const Policy* p = find_policy(providers, name_or_file)) {
        return *p;
    }
    std::vector<std::string> names;
    for (const auto& p : providers.policies) {
        names.push_back(p.name);
    }
    throw Error(
        ErrorKind::config,
        fmt::format("{}: no policy named \"{}\" ({}); add a [policies.{}] table or pass a policy "
                    "file (--policy FILE.toml)",
                    providers.path, name_or_file,
                    names.empty() ? "it defines none" : "it defines: " + util::join(names, ", "),
                    name_or_file));
}

std::vector<std::string> policy_models(const Policy& policy) {
    std::vector<std::string> out;
    auto add = [&](const std::string& m) {
        if (!m.empty() && std::find(out.begin(), out.end(), m) == out.end()) {
            out.push_back(m);
        }
    };
    for (const auto& r : policy.rules) {
        add(r.model);
        add(r.weak);
        add(r.strong);
        for (const auto& m : r.models) {
            add(m);
        }
        for (const auto& [m, w] : r.split) {
            add(m);
        }
        for (const auto& m : r.fallback) {
            add(m);
        }
    }
    return out;
}

} // namespace orch::config
