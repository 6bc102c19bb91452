#include <orch/bench/response_cache.hpp>
#include <orch/bench/runner.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/report/diff.hpp>
#include <orch/report/diff_output.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

namespace orch::cli {

namespace {

struct DiffArgs {
    std::string a;
    std::string b;
    std::string target;
    std::string format = "table";
    bool json = false;
    double tolerance = 0;
    std::int64_t changes = 20;
    std::string output;
    std::vector<std::string> suites = {"tasks"}; // what a policy operand is replayed over
    std::int64_t seed = 42;
};

// Opens the results database once, when the first operand needs it.
class LazyStore {
  public:
    explicit LazyStore(const Context& ctx) : m_ctx(ctx) {}
    store::Store& get(bool create = false) {
        if (!m_store) {
            if (!create && !std::filesystem::exists(m_ctx.db_path)) {
                throw Error(ErrorKind::config,
                            fmt::format("{}: no results database here (run 'orch bench' "
                                        "first, or pass --db)",
                                        m_ctx.db_path));
            }
            m_store = std::make_unique<store::Store>(m_ctx.db_path);
        }
        return *m_store;
    }

  private:
    const Context& m_ctx;
    std::unique_ptr<store::Store> m_store;
};

// An operand names a set of results. Today: a recorded run id. Policy operands
// ("policy:NAME" or a policy file, replayed over the golden suites) plug in here by building
// a report::DiffSide from the replayed results.
report::DiffSide resolve_operand(const std::string& operand, LazyStore& store, const Context& ctx,
                                 const DiffArgs& a) {
    bool digits = !operand.empty() && operand.find_first_not_of("0123456789") == std::string::npos;
    if (digits) {
        return report::load_run_side(store.get(), std::stoll(operand));
    }
    bool is_file = operand.size() > 5 && operand.compare(operand.size() - 5, 5, ".toml") == 0;
    if (operand.rfind("policy:", 0) != 0 && !is_file) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: expected a run id (see 'orch runs list'), policy:NAME or a policy "
                                "file (.toml)",
                                operand));
    }
    // Replay the policy over the golden suites as a bench run. The response cache answers
    // every call a model already made, so a policy that routes to models already run costs
    // nothing new.
    auto providers = ctx.load_providers();
    bench::BenchOptions o;
    o.suite_paths = a.suites;
    o.targets = {is_file ? "policy:" + operand : operand};
    o.seed = static_cast<std::uint64_t>(a.seed);
    o.command_line = ctx.command_line;
    auto plan = bench::plan_bench(providers, o);
    store::Store& db = store.get(true);
    bench::ResponseCache cache(ctx.db_path);
    o.cache = &cache;
    auto outcome = bench::run_bench(providers, plan, o, db, ctx.err);
    ctx.err << fmt::format("{}: replayed as run {} ({} calls answered from the cache, {} from recorded outcomes, "
                           "${:.4f} spent)\n",
                           operand, outcome.run_id, outcome.cache_hits, outcome.replayed, outcome.spent_usd);
    return report::load_run_side(db, outcome.run_id);
}

void write_diff(const report::RunDiff& diff, const DiffArgs& a, std::ostream& out, bool color) {
    report::DiffStyle style{color, static_cast<std::size_t>(a.changes)};
    if (a.format == "json") {
        report::print_diff_json(diff, out);
    } else if (a.format == "md") {
        report::print_diff_markdown(diff, out, style);
    } else {
        report::print_diff_table(diff, out, style);
    }
}

void run_diff_command(Context& ctx, DiffArgs a) {
    if (a.json) {
        a.format = "json";
    }
    report::DiffOptions options;
    options.tolerance = a.tolerance;
    if (!a.target.empty()) {
        auto colon = a.target.find(':');
        options.a_target = a.target.substr(0, colon);
        if (colon != std::string::npos) {
            options.b_target = a.target.substr(colon + 1);
        }
        if (options.a_target->empty() || (options.b_target && options.b_target->empty())) {
            throw Error(ErrorKind::config, "--target: expected A_TARGET or A_TARGET:B_TARGET");
        }
    }
    // Both operands resolve before anything is printed: a bad one is a usage error, exit 2.
    LazyStore store(ctx);
    auto side_a = resolve_operand(a.a, store, ctx, a);
    auto side_b = resolve_operand(a.b, store, ctx, a);
    auto diff = report::diff_sides(side_a, side_b, options);

    if (a.output.empty() || a.output == "-") {
        write_diff(diff, a, ctx.out, a.format == "table" && ctx.color());
    } else {
        std::ofstream file(a.output, std::ios::binary);
        if (!file) {
            throw Error(ErrorKind::config, fmt::format("{}: cannot write the diff", a.output));
        }
        write_diff(diff, a, file, false);
        ctx.err << fmt::format("{} diff written to {}\n", a.format, a.output);
    }
    if (diff.regression()) {
        ctx.err << fmt::format(
            "orch: B is worse than A on quality beyond the tolerance of {:.3f}\n", a.tolerance);
        ctx.exit_code = static_cast<int>(ErrorKind::quality_gate);
    }
}

} // namespace

void add_diff_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<DiffArgs>();
    auto* cmd = app.add_subcommand(
        "diff", "Compare B against A task by task: deltas with bootstrap intervals "
                "and a verdict (exit 1 when B is worse beyond --tolerance)");
    cmd->add_option("A", args->a, "the baseline: a run id, policy:NAME or a policy file")->required();
    cmd->add_option("B", args->b, "the candidate: a run id, policy:NAME or a policy file")->required();
    cmd->add_option("-s,--suite", args->suites, "suites a policy operand is replayed over")->capture_default_str();
    cmd->add_option("--seed", args->seed, "seed for replaying policy operands")->capture_default_str();
    cmd->add_option(
        "-t,--target", args->target,
        "compare A's target with B's: A_TARGET or A_TARGET:B_TARGET (default: the only target of "
        "each run, else every target both runs have)");
    cmd->add_option("-f,--format", args->format, "table, md (for pull requests) or json")
        ->check(CLI::IsMember({"table", "md", "json"}))
        ->capture_default_str();
    cmd->add_flag("--json", args->json, "same as --format json");
    cmd->add_option("--tolerance", args->tolerance,
                    "quality drop allowed: exit 1 only when the interval's upper bound is below -T")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("--changes", args->changes, "per-task changes to list in table and md output")
        ->check(CLI::NonNegativeNumber)
        ->capture_default_str();
    cmd->add_option("-o,--output", args->output, "write the diff to this file instead of stdout");
    cmd->callback([&ctx, args] { run_diff_command(ctx, *args); });
}

} // namespace orch::cli
