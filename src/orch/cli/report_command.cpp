#include <orch/cli/context.hpp>
#include <orch/core/error.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>

namespace orch::cli {

namespace {

std::unique_ptr<store::Store> open_existing_db(const Context& ctx) {
    if (!std::filesystem::exists(ctx.db_path)) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no results database here (run 'orch bench' first, or pass --db)", ctx.db_path));
    }
    return std::make_unique<store::Store>(ctx.db_path);
}

} // namespace

void add_report_command(CLI::App& app, Context& ctx) {
    auto run_id = std::make_shared<std::int64_t>(0);
    auto* cmd = app.add_subcommand("report", "Leaderboard of a recorded run (default: the latest)");
    cmd->add_option("run", *run_id, "run id (see 'orch runs list')");
    cmd->callback([&ctx, run_id] {
        auto store = open_existing_db(ctx);
        std::int64_t id = *run_id;
        if (id == 0) {
            auto latest = store->latest_run_id();
            if (!latest) {
                throw Error(ErrorKind::config, fmt::format("{}: no runs recorded yet", ctx.db_path));
            }
            id = *latest;
        }
        report::print_table(report::build_leaderboard(*store, id), ctx.out, report::TableStyle{ctx.color()});
    });
}

void add_runs_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("runs", "Recorded runs");
    cmd->require_subcommand(1);
    auto json = std::make_shared<bool>(false);
    auto* list = cmd->add_subcommand("list", "Recorded runs with their lineage");
    list->add_flag("--json", *json, "machine-readable output");
    list->callback([&ctx, json] {
        auto store = open_existing_db(ctx);
        auto runs = store->runs();
        if (*json) {
            nlohmann::json arr = nlohmann::json::array();
            for (const auto& r : runs) {
                arr.push_back({{"id", r.id},
                               {"started_at", r.started_at},
                               {"finished_at", r.finished_at},
                               {"status", r.status},
                               {"results", store->count_results(r.id)},
                               {"seed", r.seed},
                               {"repeats", r.repeats},
                               {"targets", r.targets},
                               {"suites", r.suites},
                               {"providers_hash", r.providers_hash},
                               {"orch_version", r.orch_version},
                               {"git_rev", r.git_rev},
                               {"command", r.command},
                               {"simulated", r.simulated}});
            }
            ctx.out << arr.dump(2) << "\n";
            return;
        }
        ctx.out << fmt::format("{:>4}  {:<20}  {:<15}  {:>7}  {:<12}  {}\n", "id", "started", "status",
                               "results", "providers", "suites (content hash)");
        for (const auto& r : runs) {
            std::string suites;
            for (auto it = r.suites.begin(); it != r.suites.end(); ++it) {
                suites += fmt::format("{}{}@{}", suites.empty() ? "" : ", ", it.key(),
                                      it.value().get<std::string>().substr(0, 8));
            }
            ctx.out << fmt::format("{:>4}  {:<20}  {:<15}  {:>7}  {:<12}  {}\n", r.id, r.started_at,
                                   r.status, store->count_results(r.id), r.providers_hash.substr(0, 12),
                                   suites);
        }
    });
}

} // namespace orch::cli
