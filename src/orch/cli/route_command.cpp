#include <orch/bench/single_workflow.hpp>
#include <orch/cli/context.hpp>
#include <orch/config/suite.hpp>
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/bandit.hpp>
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
    std::string workflow;          // a workflow suite: run one instance of it
    std::vector<std::string> vars; // its inputs, k=v
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
        route::BanditBook bandits;
        std::error_code ec;
        if (std::filesystem::is_regular_file(db, ec)) {
            store::Store store(db);
            bandits.load(store.bandit_state());
        }
        route::Decision d = route::explain(providers, policy, input, quality, bandits.source());
        if (a.json) {
            ctx.out << route::to_json(d).dump(2) << "\n";
        } else {
            ctx.out << route::to_text(d);
        }
        return;
    }

    store::Store store(ctx.db_path);
    provider::ProviderSet provider_set(providers, provider::ProviderOptions{});
    route::BanditBook bandits;
    bandits.load(store.bandit_state());
    route::Router router(providers, provider_set, [&store] { return store.quality_stats(); },
                         route::RouterOptions{3, 30000, {}, bandits.source()});
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

// The workflow's inputs: --var k=v (each value a string), else a JSON object on stdin.
nlohmann::json read_workflow_inputs(const RouteArgs& a) {
    nlohmann::json row = nlohmann::json::object();
    if (!a.vars.empty()) {
        for (const auto& v : a.vars) {
            auto eq = v.find('=');
            if (eq == std::string::npos || eq == 0) {
                throw Error(ErrorKind::config, fmt::format("--var {}: expected NAME=VALUE", v));
            }
            row[v.substr(0, eq)] = v.substr(eq + 1);
        }
        return row;
    }
    if (isatty(STDIN_FILENO) != 0) {
        throw Error(ErrorKind::config, "no inputs: pass --var NAME=VALUE, or a JSON object on stdin "
                                       "(echo '{\"email\": \"…\"}' | orch route --workflow FILE)");
    }
    std::string text(std::istreambuf_iterator<char>(std::cin), std::istreambuf_iterator<char>{});
    try {
        row = nlohmann::json::parse(text);
    } catch (const nlohmann::json::parse_error& e) {
        throw Error(ErrorKind::config, fmt::format("stdin: expected a JSON object of the workflow's inputs: {}", e.what()));
    }
    if (!row.is_object()) {
        throw Error(ErrorKind::config,
                    fmt::format("stdin: expected a JSON object of the workflow's inputs, got {}", row.type_name()));
    }
    return row;
}

nlohmann::json trace_json(const std::string& request_id, const std::string& policy, const config::Task& task,
                          const bench::SingleWorkflowResult& r) {
    using nlohmann::json;
    const store::ResultRow& res = r.result;
    bool ok = res.status != "error";
    json out = {{"request_id", request_id},
                {"policy", policy},
                {"workflow", task.suite},
                {"final_step", task.steps[task.final_step].id},
                {"output", ok ? json(res.output) : json(nullptr)},
                {"outcome", ok ? "ok" : "error"},
                {"latency_ms", res.latency_ms},
                {"sequential_ms", res.sequential_ms.value_or(0)},
                {"cost_usd", res.cost_usd},
                {"usage", {{"input_tokens", res.input_tokens}, {"output_tokens", res.output_tokens}}},
                {"simulated", res.simulated}};
    if (!ok) {
        out["error"] = res.error;
    }
    json steps = json::array();
    for (const auto& spec : task.steps) {
        for (const auto& s : r.steps) {
            if (s.step_id != spec.id) {
                continue;
            }
            json st = {{"id", s.step_id},       {"type", s.step_type},      {"status", s.status},
                       {"model", s.model.empty() ? json(nullptr) : json(s.model)},
                       {"start_ms", s.start_ms}, {"end_ms", s.end_ms},       {"latency_ms", s.latency_ms},
                       {"cost_usd", s.cost_usd}, {"input_tokens", s.input_tokens},
                       {"output_tokens", s.output_tokens}};
            if (s.route.is_object()) {
                st["rule"] = s.route.value("rule", "");
                st["chain"] = s.route.value("chain", json::array());
            }
            if (s.status == "error" || s.status == "skipped") {
                st["error"] = s.error;
            } else {
                st["output"] = s.output;
            }
            steps.push_back(std::move(st));
        }
    }
    out["steps"] = std::move(steps);
    return out;
}

// orch route --workflow FILE: one instance of a workflow suite, each step routed on its own.
void run_route_workflow(Context& ctx, const RouteArgs& a, bool prompt_given) {
    if (prompt_given) {
        throw Error(ErrorKind::config, "--workflow takes its inputs from --var NAME=VALUE or JSON on stdin, not a prompt");
    }
    if (!a.type.empty() || !a.tags.empty() || !a.system.empty() || a.sensitive || a.max_tokens != 0 || a.explain) {
        throw Error(ErrorKind::config, "--workflow: --type, --tag, --system, --sensitive, --max-tokens and --explain "
                                       "apply to one prompt; a workflow's steps set their own in the suite file");
    }
    auto providers = ctx.load_providers();
    config::Policy policy = config::resolve_policy(providers, a.policy);
    config::Suite suite = config::load_suite(a.workflow);
    if (suite.steps.empty()) {
        throw Error(ErrorKind::config, fmt::format("{}: not a workflow: it has no [[steps]] (route one prompt with "
                                                   "`orch route PROMPT`)",
                                                   a.workflow));
    }
    nlohmann::json row = read_workflow_inputs(a);
    // Only the steps' inputs come from the caller: evaluators and references are golden data.
    suite.evaluators.clear();
    suite.reference.clear();
    for (auto& step : suite.steps) {
        step.evaluators.clear();
        step.reference.clear();
    }
    if (!row.contains("id")) {
        row["id"] = a.key.empty() ? "route" : a.key;
    }
    config::Problems problems;
    auto task = std::make_shared<config::Task>();
    config::resolve_row(suite, row, config::Location{a.vars.empty() ? "stdin" : "--var", 0, 0}, *task, problems);
    bench::StepPolicies step_policies;
    bench::check_step_routes(providers, suite, nullptr, step_policies, problems);
    if (task->steps.size() == suite.steps.size()) { // the row resolved: check what its overrides change
        bench::check_step_routes(providers, suite, task.get(), step_policies, problems);
    }
    problems.throw_if_any();

    store::Store store(ctx.db_path);
    provider::ProviderSet provider_set(providers, provider::ProviderOptions{});
    route::BanditBook bandits;
    bandits.load(store.bandit_state());
    route::Router router(providers, provider_set, [&store] { return store.quality_stats(); },
                         route::RouterOptions{3, 30000, {}, bandits.source()});
    std::string request_id = route::new_request_id();
    auto result = bench::run_single_workflow(providers, provider_set, router, policy, step_policies, task, request_id,
                                             42);
    for (const auto& entry : result.route_log) {
        store.log_route(entry);
    }
    ctx.err << "request_id: " << request_id << "\n";
    if (a.json) {
        ctx.out << trace_json(request_id, policy.name, *task, result).dump(2) << "\n";
    } else if (result.result.status != "error") {
        ctx.out << result.result.output << "\n";
    }
    if (result.result.status == "error") {
        throw Error(ErrorKind::provider, result.result.error);
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
    cmd->add_option("--workflow", args->workflow,
                    "a workflow suite (tasks/*.toml with [[steps]]): run one instance, each step routed");
    cmd->add_option("--var", args->vars, "an input of the workflow, NAME=VALUE (repeatable; default: JSON on stdin)")
        ->allow_extra_args(false);
    cmd->callback([&ctx, args, prompt] {
        if (!args->workflow.empty()) {
            run_route_workflow(ctx, *args, prompt->count() > 0);
        } else if (!args->vars.empty()) {
            throw Error(ErrorKind::config, "--var gives a workflow's inputs: use it with --workflow FILE");
        } else {
            run_route_command(ctx, *args, prompt->count() > 0);
        }
    });
}

} // namespace orch::cli
