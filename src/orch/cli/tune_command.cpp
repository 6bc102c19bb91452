#include <orch/cli/context.hpp>
#include <orch/core/error.hpp>
#include <orch/learn/evaluate.hpp>
#include <orch/learn/run_table.hpp>
#include <orch/learn/tune.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>
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
};

void check_range(bool ok, const char* option, const char* expected) {
    if (!ok) {
        throw Error(ErrorKind::config, fmt::format("{}: expected {}", option, expected));
    }
}

void run_tune(Context& ctx, const TuneArgs& a) {
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
    auto [weak, strong] = learn::choose_models(table, a.weak, a.strong);

    if (a.evaluate) {
        learn::EvaluateOptions eo;
        eo.weak = weak;
        eo.strong = strong;
        eo.holdout = a.holdout;
        eo.seeds = a.seeds;
        eo.train = train;
        learn::Evaluation ev = learn::evaluate_routers(table, eo);
        if (!a.curve.empty()) {
            std::ofstream out(a.curve, std::ios::binary | std::ios::trunc);
            out << learn::curves_json(ev).dump() << "\n";
            if (!out) {
                throw Error(ErrorKind::config,
                            fmt::format("{}: cannot write the curve file", a.curve));
            }
        }
        if (a.json) {
            ctx.out << learn::evaluation_json(ev).dump(2) << "\n";
        } else {
            learn::print_evaluation(ev, ctx.out);
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
    cmd->add_flag("--json", a->json, "machine-readable output");
    cmd->add_option("--curve", a->curve, "write the PGR-vs-share curves as JSON (--evaluate)");
    cmd->callback([&ctx, a] { run_tune(ctx, *a); });
}

} // namespace orch::cli
