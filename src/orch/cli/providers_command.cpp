#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/check.hpp>

#include <fmt/format.h>

namespace orch::cli {

namespace {

void run_check(Context& ctx, const std::vector<std::string>& only, bool json) {
    auto cfg = ctx.load_providers();
    auto results = provider::check_providers(cfg, only);
    // A provider no model uses cannot break a run: a warning, not a failure.
    std::size_t failed = 0;
    std::size_t unused = 0;
    nlohmann::json out = nlohmann::json::array();
    for (const auto& r : results) {
        failed += r.ok || r.unused ? 0 : 1;
        unused += r.unused ? 1 : 0;
        out.push_back({{"provider", r.provider},
                       {"protocol", r.protocol},
                       {"model", r.model},
                       {"ok", r.ok},
                       {"unused", r.unused},
                       {"error_kind", r.ok || r.unused ? nlohmann::json() : nlohmann::json(r.error_kind)},
                       {"message", r.message},
                       {"latency_ms", r.latency_ms},
                       {"ttft_ms", r.ttft_ms ? nlohmann::json(*r.ttft_ms) : nlohmann::json()},
                       {"cost_usd", r.cost_usd},
                       {"simulated", r.simulated}});
    }
    for (const auto& r : results) {
        if (r.unused) {
            ctx.err << "orch: warning: " << r.message << "\n";
        }
    }
    std::size_t used = results.size() - unused;
    if (json) {
        ctx.out << nlohmann::json{{"providers", out}, {"failed", failed}, {"unused", unused}}.dump(2) << "\n";
    } else {
        ctx.out << fmt::format("{:<14} {:<10} {:<16} {:<13} {:>9}  {}\n", "provider", "protocol", "model",
                               "result", "latency", "detail");
        for (const auto& r : results) {
            std::string result = r.unused ? "unused" : r.ok ? (r.simulated ? "ok (sim)" : "ok") : r.error_kind;
            std::string latency = r.model.empty() ? "-" : fmt::format("{:.0f}ms", r.latency_ms);
            ctx.out << fmt::format("{:<14} {:<10} {:<16} {:<13} {:>9}  {}\n", r.provider, r.protocol,
                                   r.model.empty() ? "-" : r.model, result, latency, r.message);
        }
        ctx.out << fmt::format("{} of {} providers in use answered{}\n", used - failed, used,
                               unused > 0 ? fmt::format(" ({} not used by any model: not called)", unused) : "");
    }
    if (failed > 0) {
        throw Error(ErrorKind::provider,
                    fmt::format("providers check: {} of {} providers in use failed", failed, used));
    }
}

} // namespace

void add_providers_command(CLI::App& app, Context& ctx) {
    auto* cmd = app.add_subcommand("providers", "Configured providers and models");
    cmd->require_subcommand(1);
    auto json = std::make_shared<bool>(false);
    auto only = std::make_shared<std::vector<std::string>>();
    auto* check = cmd->add_subcommand(
        "check", "Call each provider's cheapest model once: reachability, auth and latency");
    check->add_option("--provider", *only, "check only this provider (repeatable)");
    check->add_flag("--json", *json, "machine-readable output");
    check->callback([&ctx, only, json] { run_check(ctx, *only, *json); });
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
