#include <orch/bench/runner.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>

#include <fmt/format.h>

namespace orch::cli {

void add_tasks_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("tasks", "Suites and golden datasets");
    cmd->require_subcommand(1);
    auto paths = std::make_shared<std::vector<std::string>>(std::vector<std::string>{"tasks"});
    auto* validate = cmd->add_subcommand("validate", "Check suites, datasets and evaluators without calling any model");
    validate->add_option("paths", *paths, "suite files or folders")->capture_default_str();
    validate->callback([&ctx, paths] {
        bench::BenchOptions o;
        o.suite_paths = *paths;
        config::ProvidersConfig no_providers; // validation needs no models
        auto plan = bench::plan_bench(no_providers, o);
        for (const auto& s : plan.suites) {
            ctx.out << fmt::format("ok  {:<24} {:<10} {:>3} evaluators  {}  {}\n", s.name, s.type,
                                   s.evaluators.size(), s.dataset_path, s.content_hash.substr(0, 12));
        }
        ctx.out << fmt::format("{} suites, {} tasks: valid\n", plan.suites.size(), plan.tasks);
    });
}

} // namespace orch::cli
