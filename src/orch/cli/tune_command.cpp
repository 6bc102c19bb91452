#include <orch/cli/context.hpp>
#include <orch/core/error.hpp>
#include <orch/learn/evaluate.hpp>
#include <orch/learn/many.hpp>
#include <orch/learn/offpolicy.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/learn/tune.hpp>
#include <orch/route/bandit.hpp>
#include <orch/route/policy_engine.hpp>
#include <orch/store/store.hpp>

#include <cmath>
#include <filesystem>
#include <fmt/format.h>
#include <fstream>
#include <map>
#include <memory>
#include <ostream>

namespace orch::cli {

namespace {

struct TuneArgs {
    std::int64_t run = 0;
    std::string weak;
    std::string strong;
    double target = 0;
    double share = -1;
    double pgr = 0.8;
    std::int64_t min_samples = 10;
    std::string output = "learned.toml";
    std::string name;
    bool cascade = false;
    double l2 = 1.0;
    int hash_bits = 16;
    bool no_bigrams = false;
    bool evaluate = false;
    double holdout = 0.5;
    int seeds = 5;
    bool json = false;
    std::string curve;
    std::vector<std::string> models;
    double lambda = -1;
    double max_cost = -1;
    double target_quality = -1;
    std::string ips;           // a candidate policy to estimate on the route log
    std::string logged_policy; // only requests this policy routed
};

// The two-model scorer (weak and strong, a threshold) serves when the user names the pair, or
// when the run has exactly two models and the better one is the dearer; anything else is
// routed across all the models by quality − λ · cost, which never assumes that price ranks
// quality.
bool two_model_route(const learn::RunTable& table, const TuneArgs& a) {
    if (!a.models.empty() || a.lambda >= 0 || a.max_cost >= 0 || a.target_quality >= 0) {
        return false;
    }
    if (!a.weak.empty() || !a.strong.empty()) {
        return true;
    }
    if (table.models.size() != 2) {
        return false;
    }
    auto means = learn::model_means(table);
    const auto& a_mean = means.begin()->second;
    const auto& b_mean = std::next(means.begin())->second;
    // The better model must also be the dearer one.
    return (a_mean.score > b_mean.score) == (a_mean.cost_usd > b_mean.cost_usd) &&
           a_mean.score != b_mean.score;
}

void check_range(bool ok, const char* option, const char* expected) {
    if (!ok) {
        throw Error(ErrorKind::config, fmt::format("{}: expected {}", option, expected));
    }
}

void write_json_file(const std::string& path, const nlohmann::json& j, const char* what) {
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << j.dump() << "\n";
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the {}", path, what));
    }
}

void run_many(Context& ctx, const TuneArgs& a, const learn::RunTable& table,
              const learn::TrainOptions& train) {
    if (a.cascade) {
        throw Error(ErrorKind::config,
                    "--cascade: a cascade reads the weak model's answer, so it takes two models; "
                    "name them with --weak and --strong");
    }
    if (a.evaluate) {
        learn::ManyEvaluateOptions eo;
        eo.models = a.models;
        eo.holdout = a.holdout;
        eo.seeds = a.seeds;
        eo.train = train;
        eo.min_samples = a.min_samples;
        learn::ManyEvaluation ev = learn::evaluate_many(table, eo);
        if (!a.curve.empty()) {
            write_json_file(a.curve, {{"cost_quality", learn::many_curves_json(ev)}}, "curve file");
        }
        if (a.json) {
            ctx.out << learn::many_evaluation_json(ev).dump(2) << "\n";
        } else {
            learn::print_many_evaluation(ev, ctx.out);
        }
        return;
    }
    learn::ManyTuneOptions to;
    to.models = a.models;
    if (a.lambda >= 0) {
        to.criterion.lambda = a.lambda;
    }
    if (a.max_cost >= 0) {
        to.criterion.max_cost = a.max_cost;
    }
    if (a.target_quality >= 0) {
        to.criterion.target_quality = a.target_quality;
    }
    to.train = train;
    to.min_samples = a.min_samples;
    to.name = a.name.empty() ? std::filesystem::path(a.output).stem().string() : a.name;
    learn::ManyTuned tuned = learn::tune_many(table, to);
    std::string router_path = learn::write_many_policy(tuned, a.output);
    if (!tuned.criterion_met) {
        ctx.err << fmt::format(
            "orch: warning: no operating point meets {} out of fold; the policy takes the "
            "closest (quality {:.3f} at ${:.6f} per task)\n",
            to.criterion.max_cost ? fmt::format("a cost of ${} per task", *to.criterion.max_cost)
                                  : fmt::format("quality {}", to.criterion.target_quality.value_or(0)),
            tuned.chosen.quality, tuned.chosen.cost);
    }
    if (a.json) {
        nlohmann::json j = learn::many_tuned_json(tuned);
        j["policy"] = a.output;
        j["router"] = router_path;
        ctx.out << j.dump(2) << "\n";
        return;
    }
    ctx.out << fmt::format("wrote {}{}\n", a.output, router_path.empty() ? "" : " and " + router_path);
    learn::print_many_tuned(tuned, ctx.out);
}

// `--ips CANDIDATE`: the candidate's first choice on every logged request a learning rule
// routed, weighed against the logged choice's propensity (learn/offpolicy.hpp).
void run_ips(Context& ctx, const TuneArgs& a) {
    if (!std::filesystem::exists(ctx.db_path)) {
        throw Error(ErrorKind::config, fmt::format("{}: no results database here (pass --db)",
                                                   ctx.db_path));
    }
    auto providers = ctx.load_providers();
    config::Policy candidate = config::resolve_policy(providers, a.ips);
    store::Store store(ctx.db_path);
    std::vector<store::RouteLogEntry> logged = store.logged_decisions(a.logged_policy);
    route::BanditBook bandits; // a bandit candidate is judged as it stands now
    bandits.load(store.bandit_state());
    std::vector<learn::LoggedChoice> log;
    std::size_t no_reward = 0;
    for (const auto& e : logged) {
        std::optional<double> reward = e.feedback ? e.feedback : e.reward;
        if (!reward || e.chain.empty() || !e.propensity) {
            ++no_reward;
            continue;
        }
        route::RouteInput in;
        in.messages.push_back({"user", e.prompt});
        in.task_type = e.task_type;
        route::Decision d = route::explain(providers, candidate, in, {}, bandits.source());
        learn::LoggedChoice c;
        c.chosen = e.chain.front().value("model", "");
        c.propensity = *e.propensity;
        c.reward = *reward;
        c.candidate = d.chain.empty() ? "" : d.chain.front().model;
        log.push_back(std::move(c));
    }
    if (log.empty()) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no logged requests with a propensity and a reward{} (route "
                                "with a bandit rule, then score with orch bench or orch feedback)",
                                ctx.db_path,
                                a.logged_policy.empty() ? "" : " from policy " + a.logged_policy));
    }
    learn::OffPolicyEstimate est = learn::estimate_offpolicy(log);
    if (a.json) {
        ctx.out << nlohmann::json{{"candidate", candidate.name},
                                  {"logged_policy", a.logged_policy},
                                  {"logged", est.n},
                                  {"skipped_without_reward", no_reward},
                                  {"matched", est.matched},
                                  {"ips", est.ips},
                                  {"ips_ci95", {est.ips_lo, est.ips_hi}},
                                  {"snips", est.snips},
                                  {"logged_mean_reward", est.logged}}
                       .dump(2)
                << "\n";
        return;
    }
    ctx.out << fmt::format(
        "{} on {} logged requests ({} where it agrees with the logged choice{}):\n"
        "  estimated quality {:.3f} (95% CI {:.3f} to {:.3f}; self-normalised {:.3f})\n"
        "  the logging policy's own mean reward: {:.3f}\n",
        candidate.name, est.n, est.matched,
        no_reward > 0 ? fmt::format("; {} skipped without a reward", no_reward) : "", est.ips,
        est.ips_lo, est.ips_hi, est.snips, est.logged);
}

void run_tune(Context& ctx, const TuneArgs& a) {
    if (!a.ips.empty()) {
        run_ips(ctx, a);
        return;
    }
    check_range(a.target == 0 || (a.target > 0 && a.target <= 1), "--target",
                "a quality above 0, at most 1");
    check_range(a.share < 0 || a.share <= 1, "--share", "a strong-call share from 0 to 1");
    check_range(a.pgr > 0 && a.pgr <= 1, "--pgr", "a share of the quality gap above 0, at most 1");
    check_range(a.l2 > 0, "--l2", "a penalty above 0");
    check_range(a.hash_bits >= 8 && a.hash_bits <= 24, "--hash-bits",
                "a whole number from 8 to 24");
    check_range(a.holdout > 0 && a.holdout < 1, "--holdout", "a share above 0 and below 1");
    check_range(a.seeds >= 1 && a.seeds <= 100, "--seeds", "a whole number from 1 to 100");
    check_range(a.min_samples >= 1, "--min-samples", "a whole number of 1 or more");
    check_range(a.lambda == -1 || (a.lambda >= 0 && std::isfinite(a.lambda)), "--lambda",
                "a number of 0 or more (quality given up per dollar a call)");
    check_range(a.max_cost == -1 || a.max_cost > 0, "--max-cost-per-task",
                "a cost in USD above 0");
    check_range(a.target_quality == -1 || (a.target_quality > 0 && a.target_quality <= 1),
                "--target-quality", "a quality above 0, at most 1");
    check_range((a.lambda >= 0) + (a.max_cost > 0) + (a.target_quality > 0) <= 1,
                "--lambda, --max-cost-per-task, --target-quality", "one of them at most");
    check_range(a.models.empty() || (a.weak.empty() && a.strong.empty()), "--models",
                "either --models or --weak and --strong, not both");
    if (!std::filesystem::exists(ctx.db_path)) {
        throw Error(ErrorKind::config, fmt::format("{}: no results database here (run 'orch "
                                                   "import' or 'orch bench' first, or pass --db)",
                                                   ctx.db_path));
    }
    store::Store store(ctx.db_path);
    std::int64_t run_id = a.run;
    if (run_id == 0) {
        auto latest = store.latest_run_id();
        if (!latest) {
            throw Error(ErrorKind::config, fmt::format("{}: no runs recorded yet", ctx.db_path));
        }
        run_id = *latest;
    }
    learn::RunTable table = learn::load_run_table(store, run_id, ctx.db_path);
    if (table.prompts_path.empty()) {
        ctx.err << fmt::format(
            "orch: warning: run {} has no recorded prompts (only 'orch import' keeps them); "
            "learning from task types alone\n",
            run_id);
    }
    learn::TrainOptions train;
    train.l2 = a.l2;
    train.features.hash_bits = a.hash_bits;
    train.features.bigrams = !a.no_bigrams;
    train.features.answer_checks = a.cascade;
    if (!two_model_route(table, a)) {
        run_many(ctx, a, table, train);
        return;
    }
    auto [weak, strong] = learn::choose_models(table, a.weak, a.strong);

    if (a.evaluate) {
        learn::EvaluateOptions eo;
        eo.weak = weak;
        eo.strong = strong;
        eo.holdout = a.holdout;
        eo.seeds = a.seeds;
        eo.train = train;
        learn::Evaluation ev = learn::evaluate_routers(table, eo);
        // The same two models on the quality-cost curve, as for any number of models.
        learn::ManyEvaluateOptions mo;
        mo.models = {weak, strong};
        mo.holdout = a.holdout;
        mo.seeds = a.seeds;
        mo.train = train;
        mo.train.features.answer_checks = false;
        mo.min_samples = a.min_samples;
        learn::ManyEvaluation many = learn::evaluate_many(table, mo);
        if (!a.curve.empty()) {
            nlohmann::json curves = learn::curves_json(ev);
            curves["cost_quality"] = learn::many_curves_json(many);
            write_json_file(a.curve, curves, "curve file");
        }
        if (a.json) {
            nlohmann::json j = learn::evaluation_json(ev);
            j["many"] = learn::many_evaluation_json(many);
            ctx.out << j.dump(2) << "\n";
        } else {
            learn::print_evaluation(ev, ctx.out);
            ctx.out << "\n";
            learn::print_many_evaluation(many, ctx.out);
        }
        return;
    }

    learn::TuneOptions to;
    to.weak = weak;
    to.strong = strong;
    if (a.target > 0) {
        to.target = a.target;
    }
    if (a.share >= 0) {
        to.share = a.share;
    }
    to.pgr = a.pgr;
    to.min_samples = a.min_samples;
    to.train = train;
    to.name = a.name.empty() ? std::filesystem::path(a.output).stem().string() : a.name;
    learn::TunedPolicy policy = learn::tune_policy(table, to);
    std::string scorer_path = learn::write_policy(policy, a.output);
    if (to.target && !to.share && policy.routed > 0 && policy.quality + 1e-12 < *to.target) {
        ctx.err << fmt::format(
            "orch: warning: no share of strong calls reaches quality {} on the prompts the learned "
            "rule decides (the strong model alone scores {:.3f}); it sends them all to {}\n",
            *to.target, policy.strong_quality, policy.strong);
    }
    if (a.json) {
        nlohmann::json fixed = nlohmann::json::array();
        for (const auto& r : policy.fixed) {
            fixed.push_back({{"task_type", r.task_type},
                             {"model", r.model},
                             {"n", r.n},
                             {"mean", r.mean},
                             {"lower_bound", r.lower_bound},
                             {"cost_per_task_usd", r.cost_per_task_usd}});
        }
        ctx.out << nlohmann::json{{"policy", a.output},
                                  {"scorer", scorer_path},
                                  {"run", run_id},
                                  {"weak", policy.weak},
                                  {"strong", policy.strong},
                                  {"threshold", policy.threshold},
                                  {"fixed_rules", fixed},
                                  {"trained_on", policy.trained_on},
                                  {"routed", policy.routed},
                                  {"expected_strong_share", policy.strong_share},
                                  {"expected_pgr", policy.pgr},
                                  {"expected_quality", policy.quality}}
                       .dump(2)
                << "\n";
        return;
    }
    ctx.out << fmt::format("wrote {} and {}\n", a.output, scorer_path);
    ctx.out << fmt::format(
        "  {} fixed rule(s) by task type; learned rule: {} vs {}, threshold {}\n",
        policy.fixed.size(), policy.weak, policy.strong, policy.threshold);
    ctx.out << fmt::format(
        "  cross-validated on {} prompts: {:.0f}% strong calls, PGR {:.2f}, quality {:.3f} "
        "(weak {:.3f}, strong {:.3f})\n",
        policy.routed, policy.strong_share * 100, policy.pgr, policy.quality, policy.weak_quality,
        policy.strong_quality);
}

} // namespace

void add_tune_command(CLI::App& app, Context& ctx) {
    auto a = std::make_shared<TuneArgs>();
    auto* cmd = app.add_subcommand(
        "tune", "Learn a routing policy from recorded results and write it as a policy file");
    cmd->add_option("--run", a->run, "run to learn from (default: the latest)")->default_str("");
    cmd->add_option("--weak", a->weak, "the cheap model (default: the run's cheapest)");
    cmd->add_option("--strong", a->strong, "the strong model (default: the run's best)");
    cmd->add_option("--target", a->target,
                    "quality target: per task type, the cheapest model whose 95% lower bound meets "
                    "it gets a fixed "
                    "rule; the learned threshold aims for it")
        ->default_str("");
    cmd->add_option("--share", a->share, "set the threshold for this strong-call share (0..1)")
        ->default_str("");
    cmd->add_option("--pgr", a->pgr,
                    "else the smallest share recovering this much of the quality gap")
        ->capture_default_str();
    cmd->add_option("--min-samples", a->min_samples,
                    "results a model needs on a task type for a fixed rule")
        ->capture_default_str();
    cmd->add_option("-o,--output", a->output, "policy file to write (its scorer goes beside it)")
        ->capture_default_str();
    cmd->add_option("--name", a->name, "policy name (default: the output file's stem)");
    cmd->add_flag("--cascade", a->cascade,
                  "learn from the weak model's recorded answers too (a cascade: the weak model "
                  "answers first)");
    cmd->add_option("--l2", a->l2, "L2 penalty of the logistic models")->capture_default_str();
    cmd->add_option("--hash-bits", a->hash_bits, "2^N buckets for hashed words")
        ->capture_default_str();
    cmd->add_flag("--no-bigrams", a->no_bigrams, "words only, no word pairs");
    cmd->add_flag(
        "--evaluate", a->evaluate,
        "measure instead of writing a policy: train on part, report APGR/CPT on the held-out rest");
    cmd->add_option("--holdout", a->holdout, "share held out per seed (--evaluate)")
        ->capture_default_str();
    cmd->add_option("--seeds", a->seeds, "random splits to average over (--evaluate)")
        ->capture_default_str();
    cmd->add_option("--models", a->models,
                    "route across these models (default: all of the run's; with two models and "
                    "no other choice, the weak/strong scorer)");
    cmd->add_option("--lambda", a->lambda,
                    "route by estimated quality - LAMBDA x cost (USD per call)")
        ->default_str("");
    cmd->add_option("--max-cost-per-task", a->max_cost,
                    "choose lambda for the best quality at most this cost per task (USD)")
        ->default_str("");
    cmd->add_option("--target-quality", a->target_quality,
                    "choose lambda for the cheapest operating point reaching this quality")
        ->default_str("");
    cmd->add_option("--ips", a->ips,
                    "estimate this policy (name or file) on the route log instead, by inverse "
                    "propensity over the requests a bandit rule routed");
    cmd->add_option("--logged-policy", a->logged_policy,
                    "with --ips: only requests this policy routed");
    cmd->add_flag("--json", a->json, "machine-readable output");
    cmd->add_option("--curve", a->curve, "write the PGR-vs-share curves as JSON (--evaluate)");
    cmd->callback([&ctx, a] { run_tune(ctx, *a); });
}

} // namespace orch::cli
