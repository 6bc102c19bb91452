#include <orch/cli/context.hpp>
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/router.hpp>
#include <orch/store/store.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <iostream>
#include <iterator>
#include <ostream>
#include <unistd.h>

namespace orch::cli {

namespace {

struct RouteArgs {
    std::string prompt;
    std::string type;
    std::vector<std::string> tags;
    std::string policy = "default";
    std::string system;
    std::string key;
    std::int64_t max_tokens = 0;
    bool sensitive = false;
    bool json = false;
    bool explain = false;
};

std::string read_prompt(const RouteArgs& a, bool prompt_given) {
    if (prompt_given) {
        return a.prompt;
    }
    if (isatty(STDIN_FILENO) != 0) {
        throw Error(ErrorKind::config,
                    "no prompt: pass it as an argument or on stdin (echo \"…\" | orch route)");
    }
    std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
    while (!text.empty() && (text.back() == '\n' || text.back() == '\r')) {
        text.pop_back(); // echo "$TEXT" | orch route: the shell's newline is not part of the prompt
    }
    return text;
}

route::RouteInput make_input(const RouteArgs& a, const std::string& prompt) {
    route::RouteInput in;
    if (!a.system.empty()) {
        in.messages.push_back({"system", a.system});
    }
    in.messages.push_back({"user", prompt});
    in.task_type = a.type;
    in.tags = a.tags;
    in.sensitive_flag = a.sensitive;
    // Without --key, the same prompt splits the same way on every run.
    in.request_key = !a.key.empty()
                         ? a.key
                         : "prompt:" + util::sha256_hex(a.system + '\0' + prompt).substr(0, 32);
    if (a.max_tokens > 0) {
        in.params.max_tokens = a.max_tokens;
    }
    return in;
}

ErrorKind error_kind_for(int exit_code) {
    switch (exit_code) {
    case 4:
        return ErrorKind::budget;
    case 5:
        return ErrorKind::refused;
    default:
        return ErrorKind::provider;
    }
}

nlohmann::json envelope(const std::string& request_id, const std::string& policy,
                        const route::RouteResult& r) {
    using nlohmann::json;
    json out = {{"request_id", request_id},
                {"policy", policy},
                {"rule", r.rule.empty() ? json(nullptr) : json(r.rule)},
                {"model", r.model_used.empty() ? json(nullptr) : json(r.model_used)},
                {"chain", r.chain},
                {"answer", r.outcome.has_value() ? json(r.outcome.value().text) : json(nullptr)},
                {"usage",
                 {{"input_tokens", r.usage.input_tokens},
                  {"output_tokens", r.usage.output_tokens},
                  {"estimated", r.usage.estimated}}},
                {"cost_usd", r.total_cost_usd},
                {"latency_ms", r.total_latency_ms},
                {"outcome", r.outcome_label()}};
    if (r.outcome.has_value()) {
        out["simulated"] = r.outcome.value().simulated;
    } else {
        out["error"] = r.error_message();
    }
    return out;
}

void run_route_command(Context& ctx, const RouteArgs& a, bool prompt_given) {
    // Configuration first: a bad policy or prompt spends nothing and writes nothing.
    auto providers = ctx.load_providers();
    config::Policy policy = config::resolve_policy(providers, a.policy);
    std::string prompt = read_prompt(a, prompt_given);
    if (util::trim(prompt).empty()) {
        throw Error(ErrorKind::config, "the prompt is empty");
    }
    if (a.max_tokens < 0) {
        throw Error(ErrorKind::config, "--max-tokens takes a whole number of 1 or more");
    }
    route::RouteInput input = make_input(a, prompt);

    if (a.explain) {
        // No model call; the database is read only when a `cheapest` rule needs evidence.
        std::string db = ctx.db_path;
        route::QualitySource quality = [db] {
            std::error_code ec;
            if (!std::filesystem::is_regular_file(db, ec)) {
                return std::vector<store::QualityStat>{};
            }
            store::Store store(db);
            return store.quality_stats();
        };
        route::Decision d = route::explain(providers, policy, input, quality);
        if (a.json) {
            ctx.out << route::to_json(d).dump(2) << "\n";
        } else {
            ctx.out << route::to_text(d);
        }
        return;
    }

    store::Store store(ctx.db_path);
    provider::ProviderSet provider_set(providers, provider::ProviderOptions{});
    route::Router router(providers, provider_set, [&store] { return store.quality_stats(); });
    std::optional<route::RunBudget> run_budget;
    if (policy.max_cost_per_run_usd) {
        run_budget.emplace(*policy.max_cost_per_run_usd); // one request is the whole run here
    }
    route::RouteResult result = router.route(policy, input, run_budget ? &*run_budget : nullptr);

    std::string request_id = route::new_request_id();
    store.log_route(route::make_log_entry(request_id, policy.name, input, result));
    ctx.err << "request_id: " << request_id << "\n";
    if (a.json) {
        ctx.out << envelope(request_id, policy.name, result).dump(2) << "\n";
    } else if (result.outcome.has_value()) {
        ctx.out << result.outcome.value().text << "\n";
    }
    if (!result.outcome.has_value()) {
        throw Error(error_kind_for(result.exit_code()), result.error_message());
    }
}

} // namespace

void add_route_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<RouteArgs>();
    auto* cmd = app.add_subcommand(
        "route", "Send one request through a routing policy; the answer goes to stdout");
    auto* prompt = cmd->add_option("prompt", args->prompt, "the prompt (default: read from stdin)");
    cmd->add_option("--type", args->type, "task type (classify, extract, summarize, reason, ...)");
    cmd->add_option("--tag", args->tags, "a tag the policy's conditions may test (repeatable)")
        ->allow_extra_args(false);
    cmd->add_option("--policy", args->policy,
                    "policy name in providers.toml, or a policy file (.toml)")
        ->capture_default_str();
    cmd->add_flag("--sensitive", args->sensitive,
                  "treat the input as sensitive (private models or redaction only)");
    cmd->add_option("--system", args->system, "a system message");
    cmd->add_option("--key", args->key,
                    "request key for split rules (default: a hash of the prompt)");
    cmd->add_option("--max-tokens", args->max_tokens,
                    "maximum output tokens (also bounds the cost estimate)");
    cmd->add_flag("--json", args->json,
                  "print the whole envelope: model, route trace, tokens, cost, latency");
    cmd->add_flag("--explain", args->explain,
                  "print the decision and why, without calling any model");
    cmd->callback([&ctx, args, prompt] { run_route_command(ctx, *args, prompt->count() > 0); });
}

} // namespace orch::cli
