#include <orch/bench/runner.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>

#include <filesystem>
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
        // Everything bench checks before it calls a model, judge models in providers.toml
        // included; without a providers.toml the suites are checked alone, and it says so.
        config::ProvidersConfig providers;
        std::error_code ec;
        if (std::filesystem::exists(ctx.providers_path, ec)) {
            providers = ctx.load_providers();
        } else {
            ctx.err << fmt::format("orch: note: {} not found: the models the suites name (judges) are not "
                                   "checked; pass --providers FILE to check them\n",
                                   ctx.providers_path);
        }
        auto plan = bench::plan_bench(providers, o);
        for (const auto& s : plan.suites) {
            ctx.out << fmt::format("ok  {:<24} {:<10} {:>3} evaluators  {}  {}\n", s.name, s.type,
                                   s.evaluators.size(), s.dataset_path, s.content_hash.substr(0, 12));
        }
        ctx.out << fmt::format("{} suites, {} tasks: valid\n", plan.suites.size(), plan.tasks);
    });
}

} // namespace orch::cli
