#include <orch/bench/estimate.hpp>
#include <orch/bench/response_cache.hpp>
#include <orch/bench/runner.hpp>
#include <orch/report/calibration.hpp>
#include <orch/report/gates.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/store/store.hpp>

#include <atomic>
#include <csignal>
#include <filesystem>
#include <fmt/format.h>
#include <ostream>

namespace orch::cli {

namespace {

std::atomic<bool> g_stop{false};
std::atomic<int> g_signal{0};

// SIGINT (Ctrl-C) and SIGTERM (a CI job cancelled) both stop new work; in-flight work finishes
// and is recorded. A second signal stops at once.
extern "C" void on_stop_signal(int sig) {
    g_stop.store(true);
    g_signal.store(sig);
    std::signal(SIGINT, SIG_DFL);
    std::signal(SIGTERM, SIG_DFL);
}

struct BenchArgs {
    bench::BenchOptions options;
    std::int64_t seed = 42;
    double max_cost = 0;
    std::int64_t resume = 0;
    bool no_cache = false;
    bool dry_run = false;
    double fail_under = -1;
    double fail_under_pass = -1;
    std::string baseline;
    std::string write_baseline;
    double tolerance = 0.02;
};

void print_estimate(Context& ctx, const bench::RunEstimate& est, const bench::BenchPlan& plan) {
    ctx.out << fmt::format("dry run: {} suites, {} tasks, no model called\n\n", plan.suites.size(), plan.tasks);
    ctx.out << fmt::format("{:<18} {:>7} {:>12} {:>12} {:>12}  {}\n", "target", "calls", "in tokens",
                           "out tokens", "est. cost", "output size from");
    for (const auto& t : est.targets) {
        ctx.out << fmt::format("{:<18} {:>7} {:>12} {:>12} {:>12}  {}\n", t.target, t.calls, t.input_tokens,
                               t.output_tokens, fmt::format("${:.4f}", t.cost_usd),
                               t.from_history == t.calls ? "recorded results"
                               : t.from_history > 0      ? "recorded results and references"
                                                         : "reference answers");
    }
    ctx.out << fmt::format("{:<18} {:>7} {:>12} {:>12} {:>12}\n", "total", "", "", "",
                           fmt::format("${:.4f}", est.cost_usd));
    for (const auto& name : est.unestimated) {
        ctx.out << fmt::format("{}: not estimated (a policy's choices depend on the answers it gets)\n", name);
    }
}

std::optional<report::Baseline> load_baseline(const std::string& spec, store::Store& store) {
    if (spec.empty()) {
        return std::nullopt;
    }
    bool is_run_id = spec.find_first_not_of("0123456789") == std::string::npos;
    if (is_run_id) {
        return report::baseline_from(report::build_leaderboard(store, std::stoll(spec)));
    }
    return report::load_baseline_file(spec);
}

void run_bench_command(Context& ctx, BenchArgs& a) {
    auto& o = a.options;
    o.seed = static_cast<std::uint64_t>(a.seed);
    if (a.max_cost > 0) {
        o.max_cost_usd = a.max_cost;
    }
    if (a.resume > 0) {
        o.resume_run = a.resume;
    }
    if (o.jobs < 1 || o.repeats < 1) {
        throw Error(ErrorKind::config, "-j and --repeat take a whole number of 1 or more");
    }
    o.command_line = ctx.command_line;
    o.progress = ctx.err_is_tty;
    o.stop = &g_stop;

    // Load and check everything before the database is touched: bad input writes nothing.
    auto providers = ctx.load_providers();
    auto plan = bench::plan_bench(providers, o);
    if (a.dry_run) {
        std::map<std::pair<std::string, std::string>, double> history;
        if (std::filesystem::exists(ctx.db_path)) {
            history = store::Store(ctx.db_path).output_token_means();
        }
        print_estimate(ctx, bench::estimate_run(plan, o, history), plan);
        return;
    }
    if (!a.baseline.empty() && a.baseline.find_first_not_of("0123456789") != std::string::npos) {
        report::load_baseline_file(a.baseline); // a bad baseline file fails before any spend
    }
    store::Store store(ctx.db_path);
    std::optional<bench::ResponseCache> cache;
    if (!a.no_cache) {
        cache.emplace(ctx.db_path);
        o.cache = &*cache;
    }

    g_stop.store(false);
    g_signal.store(0);
    auto previous_int = std::signal(SIGINT, on_stop_signal);
    auto previous_term = std::signal(SIGTERM, on_stop_signal);
    auto restore = [&] {
        std::signal(SIGINT, previous_int);
        std::signal(SIGTERM, previous_term);
    };
    bench::BenchOutcome outcome;
    try {
        outcome = bench::run_bench(providers, plan, o, store, ctx.err);
    } catch (...) {
        restore();
        throw;
    }
    restore();

    auto board = report::build_leaderboard(store, outcome.run_id);
    report::print_table(board, ctx.out, report::TableStyle{ctx.color()});
    report::print_calibration(report::judge_calibration(store, outcome.run_id), ctx.out);
    if (auto verdicts = report::policy_verdicts(board); !verdicts.empty()) {
        ctx.out << "\n";
        for (const auto& v : verdicts) {
            ctx.out << v << "\n";
        }
    }
    ctx.err << fmt::format("run {} {}: {} results written to {} ({} errors, {} unscored); spent ${:.4f}"
                           "{}{}\n",
                           outcome.run_id, outcome.status, outcome.results, ctx.db_path, outcome.errors,
                           outcome.unscored, outcome.spent_usd,
                           outcome.cache_hits > 0
                               ? fmt::format(" ({} answers from the cache, not bought again)", outcome.cache_hits)
                               : "",
                           outcome.replayed > 0
                               ? fmt::format(" ({} answers replayed from recorded outcomes)", outcome.replayed)
                               : "");
    if (!a.write_baseline.empty()) {
        report::write_baseline_file(report::baseline_from(board), a.write_baseline);
        ctx.err << fmt::format("baseline written to {}\n", a.write_baseline);
    }
    report::GateOptions gates;
    if (a.fail_under >= 0) {
        gates.fail_under = a.fail_under;
    }
    if (a.fail_under_pass >= 0) {
        gates.fail_under_pass = a.fail_under_pass;
    }
    gates.tolerance = a.tolerance;
    auto failed = report::check_gates(board, gates, load_baseline(a.baseline, store));
    if (outcome.status == "budget_exceeded") {
        ctx.err << fmt::format("orch: budget cap of ${:.4f} reached; resume with --resume {}\n",
                               *o.max_cost_usd, outcome.run_id);
        ctx.exit_code = static_cast<int>(ErrorKind::budget);
    } else if (outcome.status == "interrupted") {
        ctx.err << fmt::format("orch: interrupted; resume with: orch bench --resume {}\n", outcome.run_id);
        ctx.exit_code = 128 + (g_signal.load() != 0 ? g_signal.load() : SIGINT); // 130, or 143 for SIGTERM
    } else if (outcome.results > 0 && outcome.errors == outcome.results) {
        ctx.err << "orch: every provider call failed\n";
        ctx.exit_code = static_cast<int>(ErrorKind::provider);
    } else if (!failed.empty()) {
        for (const auto& f : failed) {
            ctx.err << "orch: gate failed: " << f << "\n";
        }
        ctx.exit_code = static_cast<int>(ErrorKind::quality_gate);
    }
}

} // namespace

void add_bench_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<BenchArgs>();
    auto* cmd = app.add_subcommand("bench", "Run suites × targets, score every output, record the results");
    cmd->add_option("-s,--suite", args->options.suite_paths, "suite file or folder of suites")
        ->capture_default_str();
    cmd->add_option("-t,--target", args->options.targets, "model, or policy:NAME / policy:FILE.toml, to run (repeatable; default: every model)");
    cmd->add_option("-j,--jobs", args->options.jobs, "calls in flight at once")->capture_default_str();
    cmd->add_option("--seed", args->seed, "seed for the simulated fleet and sampling")->capture_default_str();
    cmd->add_option("--repeat", args->options.repeats, "runs of each task per target")->capture_default_str();
    cmd->add_flag("--sim-sleep", args->options.sim_sleep, "simulated models really wait out their latency");
    cmd->add_option("--max-cost", args->max_cost, "stop starting new work once this many USD are spent");
    cmd->add_option("--resume", args->resume, "complete an interrupted run (its id) without repeating finished work");
    cmd->add_flag("--no-cache", args->no_cache, "never read or write the response cache");
    cmd->add_flag("--dry-run", args->dry_run, "estimate tokens and cost; call no model, write nothing");
    cmd->add_option("--fail-under", args->fail_under, "exit 1 when a target's mean quality is below this");
    cmd->add_option("--fail-under-pass", args->fail_under_pass, "exit 1 when a target's pass rate is below this (0..1)");
    cmd->add_option("--baseline", args->baseline, "exit 1 on regression against a run id or a baseline file");
    cmd->add_option("--tolerance", args->tolerance, "quality drop allowed against --baseline")->capture_default_str();
    cmd->add_option("--write-baseline", args->write_baseline, "write this run's figures as a baseline file");
    cmd->callback([&ctx, args] { run_bench_command(ctx, *args); });
}

} // namespace orch::cli
