#include <orch/bench/runner.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/store/store.hpp>

#include <atomic>
#include <csignal>
#include <fmt/format.h>
#include <ostream>

namespace orch::cli {

namespace {

std::atomic<bool> g_stop{false};

extern "C" void on_sigint(int) {
    g_stop.store(true);
    std::signal(SIGINT, SIG_DFL); // a second Ctrl-C stops at once
}

struct BenchArgs {
    bench::BenchOptions options;
    std::int64_t seed = 42;
    double max_cost = 0;
    std::int64_t resume = 0;
};

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
    store::Store store(ctx.db_path);

    g_stop.store(false);
    auto previous = std::signal(SIGINT, on_sigint);
    bench::BenchOutcome outcome;
    try {
        outcome = bench::run_bench(providers, plan, o, store, ctx.err);
    } catch (...) {
        std::signal(SIGINT, previous);
        throw;
    }
    std::signal(SIGINT, previous);

    auto board = report::build_leaderboard(store, outcome.run_id);
    report::print_table(board, ctx.out, report::TableStyle{ctx.color()});
    ctx.err << fmt::format("run {} {}: {} results written to {} ({} errors, {} unscored), ${:.4f}\n",
                           outcome.run_id, outcome.status, outcome.results, ctx.db_path,
                           outcome.errors, outcome.unscored, outcome.cost_usd);
    if (outcome.status == "budget_exceeded") {
        ctx.err << fmt::format("orch: budget cap of ${:.4f} reached; resume with --resume {}\n",
                               *o.max_cost_usd, outcome.run_id);
        ctx.exit_code = static_cast<int>(ErrorKind::budget);
    } else if (outcome.status == "interrupted") {
        ctx.err << fmt::format("orch: interrupted; resume with: orch bench --resume {}\n", outcome.run_id);
        ctx.exit_code = 130;
    } else if (outcome.results > 0 && outcome.errors == outcome.results) {
        ctx.err << "orch: every provider call failed\n";
        ctx.exit_code = static_cast<int>(ErrorKind::provider);
    }
}

} // namespace

void add_bench_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<BenchArgs>();
    auto* cmd = app.add_subcommand("bench", "Run suites × targets, score every output, record the results");
    cmd->add_option("-s,--suite", args->options.suite_paths, "suite file or folder of suites")
        ->capture_default_str();
    cmd->add_option("-t,--target", args->options.targets, "model to run (repeatable; default: every model)");
    cmd->add_option("-j,--jobs", args->options.jobs, "calls in flight at once")->capture_default_str();
    cmd->add_option("--seed", args->seed, "seed for the simulated fleet and sampling")->capture_default_str();
    cmd->add_option("--repeat", args->options.repeats, "runs of each task per target")->capture_default_str();
    cmd->add_flag("--sim-sleep", args->options.sim_sleep, "simulated models really wait out their latency");
    cmd->add_option("--max-cost", args->max_cost, "stop starting new work once this many USD are spent");
    cmd->add_option("--resume", args->resume, "complete an interrupted run (its id) without repeating finished work");
    cmd->callback([&ctx, args] { run_bench_command(ctx, *args); });
}

} // namespace orch::cli
