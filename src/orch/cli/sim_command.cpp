#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/sim/outcomes.hpp>
#include <orch/sim/server.hpp>

#include <csignal>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <fmt/format.h>
#include <ostream>
#include <pthread.h>

namespace orch::cli {

namespace {

struct SimServeArgs {
    sim::ServerOptions options;
    double fixed_latency_ms = 0; // used only when --fixed-latency-ms is given
    std::int64_t seed = 42;
    std::string api_key_env;
    std::vector<std::string> suites;
    CLI::Option* fixed_latency_opt = nullptr;
    CLI::Option* suites_opt = nullptr;
};

void run_sim_serve(Context& ctx, SimServeArgs& a) {
    sim::ServerOptions o = a.options;
    o.seed = static_cast<std::uint64_t>(a.seed);
    if (!(o.latency_scale >= 0)) {
        throw Error(ErrorKind::config,
                    fmt::format("--latency-scale: expected 0 or more, got {}", o.latency_scale));
    }
    if (a.fixed_latency_opt->count() > 0) {
        if (!(a.fixed_latency_ms >= 0)) {
            throw Error(
                ErrorKind::config,
                fmt::format("--fixed-latency-ms: expected 0 or more, got {}", a.fixed_latency_ms));
        }
        o.fixed_latency_ms = a.fixed_latency_ms;
    }
    if (!a.api_key_env.empty()) {
        const char* key = std::getenv(a.api_key_env.c_str());
        if (key == nullptr || *key == '\0') {
            throw Error(ErrorKind::config,
                        fmt::format("--api-key-env: the environment variable {} is not set",
                                    a.api_key_env));
        }
        o.api_key = key;
    }
    std::vector<std::string> suites = a.suites;
    std::error_code ec;
    if (a.suites_opt->count() == 0 && std::filesystem::is_directory("tasks", ec)) {
        suites.push_back("tasks");
    }

    // Load and check everything before binding: bad input never leaves a server half up.
    auto providers = ctx.load_providers();
    sim::Server server(providers, sim::AnswerKey::from_paths(suites), o);

    // SIGINT and SIGTERM are blocked before any server thread exists, so every thread inherits
    // the mask and this thread alone receives them, in sigwait, where stopping is safe.
    sigset_t stop_signals;
    sigemptyset(&stop_signals);
    sigaddset(&stop_signals, SIGINT);
    sigaddset(&stop_signals, SIGTERM);
    sigset_t previous;
    pthread_sigmask(SIG_BLOCK, &stop_signals, &previous);
    try {
        server.start();
    } catch (...) {
        pthread_sigmask(SIG_SETMASK, &previous, nullptr);
        throw;
    }
    ctx.out << fmt::format(
                   "orch sim serve: listening on http://{}:{} ({} models, {} golden tasks)\n",
                   o.host, server.port(), server.model_count(), server.golden_tasks())
            << std::flush;
    int received = 0;
    sigwait(&stop_signals, &received);
    server.stop();
    pthread_sigmask(SIG_SETMASK, &previous, nullptr);
    ctx.err << fmt::format("orch sim serve: stopped after {} requests\n", server.requests());
}

struct SimOutcomesArgs {
    sim::OutcomeOptions options;
    std::int64_t seed = 1;
    std::string output;
};

void run_sim_outcomes(Context& ctx, const SimOutcomesArgs& a) {
    sim::OutcomeOptions o = a.options;
    o.seed = static_cast<std::uint64_t>(a.seed);
    std::vector<std::string> lines = sim::generate_outcomes(o);
    if (a.output.empty() || a.output == "-") {
        for (const auto& l : lines) {
            ctx.out << l;
        }
        return;
    }
    std::ofstream out(a.output, std::ios::binary | std::ios::trunc);
    for (const auto& l : lines) {
        out << l;
    }
    if (!out) {
        throw Error(ErrorKind::config, fmt::format("{}: cannot write the outcomes file", a.output));
    }
    ctx.err << fmt::format("wrote {} prompts × {} models to {}\n", lines.size(), o.models, a.output);
}

} // namespace

void add_sim_command(CLI::App& app, Context& ctx) {
    auto* sim = app.add_subcommand("sim", "The built-in simulated fleet");
    sim->require_subcommand(1);
    auto args = std::make_shared<SimServeArgs>();
    auto* serve = sim->add_subcommand(
        "serve",
        "Serve the simulated fleet over HTTP (OpenAI and Anthropic protocols) on loopback, "
        "with injectable faults; runs until SIGINT or SIGTERM");
    auto& o = args->options;
    serve->add_option("--port", o.port, "port to listen on (0 = any free port, printed on start)")
        ->check(CLI::Range(0, 65535))
        ->capture_default_str();
    serve->add_option("--host", o.host, "address to bind")->capture_default_str();
    serve->add_option(
        "--faults", o.faults,
        "faults to inject: comma-separated KIND[=ARG]:RATE or KIND[=ARG]@N[-M]; KIND is "
        "429, 500, 502, 503, hang, reset, truncate, malformed, context, slow or auth, and for "
        "requests that offer tools tool-args, tool-unknown or tool-loop "
        "(e.g. \"429=2:0.05,503@1-2,tool-loop@3-9\")");
    serve->add_option("--log", o.log_path,
                      "write a JSONL log of every request to FILE (keys never logged)");
    serve
        ->add_option("--latency-scale", o.latency_scale,
                     "multiply the simulated latency (0 = answer at once)")
        ->capture_default_str();
    args->fixed_latency_opt =
        serve
            ->add_option("--fixed-latency-ms", args->fixed_latency_ms,
                         "every answer takes exactly this long (for fan-out benchmarks)")
            ->default_str("");
    serve->add_option("--seed", args->seed, "seed for the fleet and for random faults")
        ->capture_default_str();
    serve->add_option("--api-key-env", args->api_key_env,
                      "require the key held by this environment variable (Bearer or x-api-key)");
    args->suites_opt =
        serve->add_option("--suites", args->suites,
                          "suite files or folders whose golden tasks the fleet knows "
                          "(default: ./tasks when it exists)");
    serve->add_option("--threads", o.threads, "requests served at once")
        ->check(CLI::PositiveNumber)
        ->capture_default_str();
    serve->callback([&ctx, args] { run_sim_serve(ctx, *args); });

    auto out_args = std::make_shared<SimOutcomesArgs>();
    auto* outcomes = sim->add_subcommand(
        "outcomes", "Write recorded outcomes of N simulated models (JSONL for 'orch import jsonl'), "
                    "with skills that differ by task type and prompt, and prices that do not rank "
                    "quality");
    outcomes->add_option("-n,--prompts", out_args->options.prompts, "prompts to write")
        ->check(CLI::Range(1, 10000000))
        ->capture_default_str();
    outcomes->add_option("--models", out_args->options.models, "models, 2 to 6")
        ->capture_default_str();
    outcomes->add_option("--seed", out_args->seed, "seed")->capture_default_str();
    outcomes->add_flag("--equal", out_args->options.equal,
                       "every model scores the same on each prompt (routing cannot help)");
    outcomes->add_option("-o,--output", out_args->output, "file to write (default: stdout)");
    outcomes->callback([&ctx, out_args] { run_sim_outcomes(ctx, *out_args); });
}

} // namespace orch::cli
