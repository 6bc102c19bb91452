#pragma once
// Internal to cli/: what every subcommand shares, and how each one registers itself.
#include <CLI/CLI.hpp>

#include <iosfwd>
#include <string>

namespace orch::config {
struct ProvidersConfig;
}

namespace orch::cli {

struct Context {
    Context(std::ostream& o, std::ostream& e) : out(o), err(e) {}
    std::ostream& out;
    std::ostream& err;
    std::string providers_path = "providers.toml";
    std::string db_path = "orch.db";
    bool verbose = false;
    bool no_color = false;
    bool out_is_tty = false;
    bool err_is_tty = false;
    std::string command_line;
    int exit_code = 0;

    bool color() const;
    config::ProvidersConfig load_providers() const;
};

void add_bench_command(CLI::App& app, Context& ctx);
void add_report_command(CLI::App& app, Context& ctx);
void add_diff_command(CLI::App& app, Context& ctx);
void add_tasks_command(CLI::App& app, Context& ctx);
void add_providers_command(CLI::App& app, Context& ctx);
void add_runs_command(CLI::App& app, Context& ctx);
void add_sim_command(CLI::App& app, Context& ctx);
void add_import_command(CLI::App& app, Context& ctx);
void add_tune_command(CLI::App& app, Context& ctx);
void add_route_command(CLI::App& app, Context& ctx);
void add_feedback_command(CLI::App& app, Context& ctx);

} // namespace orch::cli
