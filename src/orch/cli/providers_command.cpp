#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>

#include <fmt/format.h>

namespace orch::cli {

void add_providers_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("providers", "Configured providers and models");
    cmd->require_subcommand(1);
    auto json = std::make_shared<bool>(false);
    auto* list = cmd->add_subcommand("list", "Providers and models from providers.toml");
    list->add_flag("--json", *json, "machine-readable output");
    list->callback([&ctx, json] {
        auto cfg = ctx.load_providers();
        if (*json) {
            nlohmann::json out = {{"providers", nlohmann::json::array()}, {"models", nlohmann::json::array()}};
            for (const auto& p : cfg.providers) {
                out["providers"].push_back({{"name", p.name},
                                            {"protocol", p.protocol},
                                            {"base_url", p.base_url},
                                            {"api_key_env", p.api_key_env},
                                            {"tier", p.tier},
                                            {"privacy", p.privacy},
                                            {"max_concurrency", p.max_concurrency}});
            }
            for (const auto& m : cfg.models) {
                out["models"].push_back({{"name", m.name},
                                         {"provider", m.provider},
                                         {"id", m.id},
                                         {"input_per_mtok", m.input_per_mtok},
                                         {"output_per_mtok", m.output_per_mtok},
                                         {"context_window", m.context_window},
                                         {"max_output_tokens", m.max_output_tokens},
                                         {"capabilities", m.capabilities},
                                         {"simulated", m.sim.has_value()}});
            }
            ctx.out << out.dump(2) << "\n";
            return;
        }
        ctx.out << fmt::format("{:<14} {:<10} {:<6} {:<9} {:>5}  {}\n", "provider", "protocol", "tier",
                               "privacy", "conc", "endpoint");
        for (const auto& p : cfg.providers) {
            ctx.out << fmt::format("{:<14} {:<10} {:<6} {:<9} {:>5}  {}\n", p.name, p.protocol, p.tier,
                                   p.privacy, p.max_concurrency,
                                   p.protocol == "sim" ? "(built-in simulated fleet)" : p.base_url);
        }
        ctx.out << "\n"
                << fmt::format("{:<16} {:<14} {:>10} {:>10} {:>9}  {}\n", "model", "provider",
                               "in $/Mtok", "out $/Mtok", "context", "capabilities");
        for (const auto& m : cfg.models) {
            std::string caps;
            for (const auto& c : m.capabilities) {
                caps += (caps.empty() ? "" : ",") + c;
            }
            ctx.out << fmt::format("{:<16} {:<14} {:>10.2f} {:>10.2f} {:>9}  {}\n", m.name, m.provider,
                                   m.input_per_mtok, m.output_per_mtok, m.context_window, caps);
        }
    });
}

} // namespace orch::cli
