#include <orch/cli/context.hpp>
#include <orch/core/error.hpp>
#include <orch/report/csv_report.hpp>
#include <orch/report/html_report.hpp>
#include <orch/report/json_report.hpp>
#include <orch/report/junit.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/report/markdown.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <fstream>

namespace orch::cli {

namespace {

std::unique_ptr<store::Store> open_existing_db(const Context& ctx) {
    if (!std::filesystem::exists(ctx.db_path)) {
        throw Error(
            ErrorKind::config,
            fmt::format("{}: no results database here (run 'orch bench' first, or pass --db)",
                        ctx.db_path));
    }
    return std::make_unique<store::Store>(ctx.db_path);
}

struct ReportArgs {
    std::vector<std::int64_t> runs;
    std::string format;
    std::string output;
    bool json = false;
    bool per_task = false;
    std::int64_t worst = -1;
    std::string curve;
};

// The format named by --format, else by the extension of -o, else the table.
std::string report_format(const ReportArgs& a) {
    if (a.json) {
        if (!a.format.empty() && a.format != "json") {
            throw Error(ErrorKind::config, "--json and --format " + a.format + " disagree");
        }
        return "json";
    }
    if (!a.format.empty()) {
        return a.format;
    }
    auto ext = std::filesystem::path(a.output).extension().string();
    if (ext == ".html" || ext == ".htm") {
        return "html";
    }
    if (ext == ".md") {
        return "md";
    }
    if (ext == ".json") {
        return "json";
    }
    if (ext == ".csv") {
        return "csv";
    }
    if (ext == ".xml") {
        return "junit";
    }
    return "table";
}

void write_report(Context& ctx, store::Store& store, const ReportArgs& a, const std::string& format,
                  std::ostream& out, bool color) {
    std::vector<std::int64_t> ids = a.runs;
    if (ids.empty()) {
        auto latest = store.latest_run_id();
        if (!latest) {
            throw Error(ErrorKind::config, fmt::format("{}: no runs recorded yet", ctx.db_path));
        }
        ids.push_back(*latest);
    }
    if (format == "csv" && a.per_task) {
        report::print_csv_per_task(store, ids, out);
        return;
    }
    report::LeaderboardOptions options;
    options.worst =
        static_cast<std::size_t>(a.worst >= 0 ? a.worst : (format == "html" ? 200 : 10));
    std::vector<report::Leaderboard> boards;
    for (auto id : ids) {
        boards.push_back(report::build_leaderboard(store, id, options));
    }
    if (format == "table") {
        for (std::size_t i = 0; i < boards.size(); ++i) {
            if (i > 0) {
                out << "\n";
            }
            report::print_table(boards[i], out, report::TableStyle{color});
            for (const auto& v : report::policy_verdicts(boards[i])) {
                out << "\n" << v << "\n";
            }
        }
    } else if (format == "md") {
        report::print_markdown(boards, out);
    } else if (format == "json") {
        report::print_json(boards, out);
    } else if (format == "csv") {
        report::print_csv(boards, out);
    } else if (format == "junit") {
        report::print_junit(store, boards, out);
    } else {
        report::HtmlOptions html;
        if (!a.curve.empty()) {
            html.curve = report::load_curve_file(a.curve);
            html.curve_source = std::filesystem::path(a.curve).filename().string();
        }
        report::print_html(boards, html, out);
    }
}

void run_report_command(Context& ctx, const ReportArgs& a) {
    std::string format = report_format(a);
    if (a.per_task && format != "csv") {
        throw Error(ErrorKind::config, "--per-task goes with --format csv");
    }
    if (!a.curve.empty() && format != "html") {
        throw Error(ErrorKind::config, "--curve goes with --format html");
    }
    if (!a.curve.empty()) {
        report::load_curve_file(a.curve); // a bad curve file fails before anything is written
    }
    auto store = open_existing_db(ctx);
    if (a.output.empty() || a.output == "-") {
        write_report(ctx, *store, a, format, ctx.out, format == "table" && ctx.color());
        return;
    }
    // Written beside the target and renamed, so a failed report never leaves half a file.
    std::string partial = a.output + ".partial";
    {
        std::ofstream file(partial, std::ios::binary);
        if (!file) {
            throw Error(ErrorKind::config, fmt::format("{}: cannot write the report", a.output));
        }
        try {
            write_report(ctx, *store, a, format, file, false);
        } catch (...) {
            file.close();
            std::filesystem::remove(partial);
            throw;
        }
        file.close();
        if (!file) {
            std::filesystem::remove(partial);
            throw Error(ErrorKind::config, fmt::format("{}: cannot write the report", a.output));
        }
    }
    std::filesystem::rename(partial, a.output);
    ctx.err << fmt::format("{} report written to {}\n", format, a.output);
}

} // namespace

void add_report_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<ReportArgs>();
    auto* cmd =
        app.add_subcommand("report", "Leaderboards of recorded runs (default: the latest run)");
    cmd->add_option("run", args->runs,
                    "run ids (see 'orch runs list'); several give one section per run");
    cmd->add_option(
           "-f,--format", args->format,
           "table, md, json, csv, junit or html (default: from the -o extension, else table)")
        ->check(CLI::IsMember({"table", "md", "json", "csv", "junit", "html"}));
    cmd->add_option("-o,--output", args->output, "write the report to this file instead of stdout");
    cmd->add_flag("--json", args->json, "same as --format json");
    cmd->add_flag("--per-task", args->per_task,
                  "csv: one row per result instead of one per target");
    cmd->add_option("--worst", args->worst,
                    "how many of the worst results to list (default 10; html 200)")
        ->check(CLI::NonNegativeNumber);
    cmd->add_option("--curve", args->curve,
                    "html: draw a PGR curve from this JSON file (from 'orch tune')");
    cmd->callback([&ctx, args] { run_report_command(ctx, *args); });
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
        ctx.out << fmt::format("{:>4}  {:<20}  {:<15}  {:>7}  {:<12}  {}\n", "id", "started",
                               "status", "results", "providers", "suites (content hash)");
        for (const auto& r : runs) {
            std::string suites;
            for (auto it = r.suites.begin(); it != r.suites.end(); ++it) {
                suites += fmt::format("{}{}@{}", suites.empty() ? "" : ", ", it.key(),
                                      it.value().get<std::string>().substr(0, 8));
            }
            ctx.out << fmt::format("{:>4}  {:<20}  {:<15}  {:>7}  {:<12}  {}\n", r.id, r.started_at,
                                   r.status, store->count_results(r.id),
                                   r.providers_hash.substr(0, 12), suites);
        }
    });
}

} // namespace orch::cli
