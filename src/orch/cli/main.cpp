#include <orch/cli/context.hpp>
#include <orch/cli/main.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>

#include <algorithm>
#include <csignal>
#include <cstdlib>
#include <iostream>
#include <unistd.h>

#ifndef ORCH_VERSION
#define ORCH_VERSION "0.0.0"
#endif

namespace orch::cli {

bool Context::color() const { return out_is_tty && !no_color && std::getenv("NO_COLOR") == nullptr; }

config::ProvidersConfig Context::load_providers() const { return config::load_providers(providers_path); }

int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err) {
    Context ctx(out, err);
    ctx.out_is_tty = &out == &std::cout && isatty(STDOUT_FILENO) != 0;
    ctx.err_is_tty = &err == &std::cerr && isatty(STDERR_FILENO) != 0;
    for (const auto& a : args) {
        ctx.command_line += (ctx.command_line.empty() ? "orch " : " ") + a;
    }
    CLI::App app{"orch: which model, or which routing policy, should own each step of your "
                 "workload — with evidence.",
                 "orch"};
    app.set_version_flag("--version", std::string("orch ") + ORCH_VERSION);
    app.option_defaults()->always_capture_default();
    app.add_option("--providers", ctx.providers_path, "providers.toml to read")->capture_default_str();
    app.add_option("--db", ctx.db_path, "results database (SQLite)")->capture_default_str();
    app.add_flag("-v,--verbose", ctx.verbose, "more detail on errors");
    app.add_flag("--no-color", ctx.no_color, "never colour output (NO_COLOR is honoured too)");
    app.require_subcommand(1);
    app.fallthrough();

    // Only the command being run is built (each costs allocations at start-up); every command
    // when none is named or the name is unknown, so help and the usage error list them all.
    static constexpr std::pair<std::string_view, void (*)(CLI::App&, Context&)> k_commands[] = {
        {"bench", add_bench_command},       {"report", add_report_command}, {"diff", add_diff_command},
        {"tasks", add_tasks_command},       {"providers", add_providers_command},
        {"runs", add_runs_command},         {"sim", add_sim_command},       {"import", add_import_command},
        {"tune", add_tune_command},         {"route", add_route_command},   {"feedback", add_feedback_command},
    };
    std::string_view named;
    for (std::size_t i = 0; i < args.size(); ++i) {
        if (args[i] == "--providers" || args[i] == "--db") {
            ++i; // the option's value
        } else if (args[i].rfind("--providers=", 0) == 0 || args[i].rfind("--db=", 0) == 0 || args[i].empty() ||
                   args[i][0] == '-') {
            continue;
        } else {
            named = args[i];
            break;
        }
    }
    bool known = false;
    for (const auto& [name, add] : k_commands) {
        if (name == named) {
            add(app, ctx);
            known = true;
        }
    }
    bool version_only = named.empty() && std::find(args.begin(), args.end(), "--version") != args.end();
    if (!known && !version_only) {
        for (const auto& [name, add] : k_commands) {
            add(app, ctx);
        }
    }

    std::vector<std::string> reversed(args.rbegin(), args.rend());
    try {
        app.parse(reversed);
    } catch (const CLI::ParseError& e) {
        if (e.get_exit_code() == 0) { // --help, --version
            app.exit(e, out, err);
            return 0;
        }
        err << "orch: error: " << e.what() << "\n";
        err << "Run 'orch --help' (or 'orch COMMAND --help') for usage.\n";
        return static_cast<int>(ErrorKind::config);
    } catch (const Error& e) {
        // One line a problem, each a complete sentence with its location.
        std::string msg = e.what();
        size_t start = 0;
        while (start <= msg.size()) {
            size_t nl = msg.find('\n', start);
            err << "orch: error: " << msg.substr(start, nl - start) << "\n";
            if (nl == std::string::npos) {
                break;
            }
            start = nl + 1;
        }
        return e.exit_code();
    } catch (const std::exception& e) {
        err << "orch: error: internal: " << e.what() << "\n";
        return static_cast<int>(ErrorKind::internal);
    }
    return ctx.exit_code;
}

int main(int argc, char** argv) {
    // A closed pipe (a local model program that exits early, a reader that went away) is an
    // error to report where it happens, not a reason to die.
    std::signal(SIGPIPE, SIG_IGN);
    std::vector<std::string> args(argv + 1, argv + argc);
    std::ios::sync_with_stdio(false);
    int code = run(args, std::cout, std::cerr);
    std::cout.flush();
    return code;
}

} // namespace orch::cli
