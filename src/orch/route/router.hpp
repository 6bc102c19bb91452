#pragma once
// The Router runs one request through a policy: explain() decides the chain, then the models
// are called one at a time until one answers (and, for a cascade, passes the check).
//
// A call moves on to the next model of the chain when it fails with rate_limited (after the
// provider's own retries), server, timeout, transport, context_length (then only models with a
// larger context window are tried), refused or bad_response. An auth failure ends the chain:
// it is a configuration problem to fix, not a deployment to route around.
//
// Streaming: the Provider interface delivers a whole completion, so failing over can never
// send a caller two partial answers. A streaming provider must keep the same rule: fail over
// only before the first byte has reached the caller; after that, a failure is the answer.
//
// Budgets: the policy's per-request cap leaves expensive models out before any call
// (explain); a RunBudget passed to start() is reserved against before each call and settled
// after it. A model that failed `breaker_threshold` times in a row is skipped while it cools
// down. A refused request (sensitive input with no model allowed to see it, a budget that
// leaves no model, no matching rule) never calls any model.
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/types.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/budget.hpp>
#include <orch/route/circuit_breaker.hpp>
#include <orch/route/policy_engine.hpp>
#include <orch/store/store.hpp>
#include <orch/util/result.hpp>

#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <nlohmann/json.hpp>
#include <string>

namespace orch::route {

class AnswerCheck;

struct RouterOptions {
    int breaker_threshold = 3;      // failures in a row before a model cools down
    double cooldown_ms = 30000;     // how long it is skipped
    std::function<double()> now_ms; // monotonic clock; default util::monotonic_ms
    BanditSource bandit;            // what `bandit` rules have learned (empty: nothing yet)
};

struct RouteResult {
    // The answer, or why there is none: the last model's error when every model failed, or a
    // `refused` error when the policy refused (see refusal).
    util::Result<Completion, ProviderError> outcome = util::unexpected(ProviderError{});
    std::string rule; // the rule that matched ("" when none)
    nlohmann::json chain = nlohmann::json::array();
    // [{model, outcome: ok|error|check_failed|skipped, error_kind, reason, latency_ms, cost_usd}]
    std::string model_used;      // "" when no answer
    double total_cost_usd = 0;   // every call, cascades included
    double total_latency_ms = 0; // every call, one after another
    Usage usage;                 // summed over every call that answered
    bool refused_by_policy = false;
    Refusal refusal = Refusal::none; // privacy | budget | no_rule | no_model when refused
    std::string refusal_reason;
    double propensity = 1; // the probability with which the first model was chosen
    bool online = false;   // a bandit rule chose it: its reward should teach the rule

    // ok | error | refused | budget (as the route log records it)
    std::string outcome_label() const;
    // The exit code SPEC §4 gives this result: 0, 3 (every model failed), 4 (budget), 5 (refused).
    int exit_code() const;
    // One line for `orch: error: …` when there is no answer.
    std::string error_message() const;
};

class Router {
  public:
    // Finds the provider that serves a model (ProviderSet::for_model, or a fake in tests).
    using ProviderLookup = std::function<provider::Provider&(const config::ModelConfig&)>;

    // `providers` and every provider must outlive the Router and every call it started.
    // `quality` is called at most once, the first time a `cheapest` rule matches, and its
    // snapshot is kept for the Router's life.
    Router(const config::ProvidersConfig& providers, ProviderLookup lookup,
           QualitySource quality = {}, RouterOptions options = {});
    Router(const config::ProvidersConfig& providers, provider::ProviderSet& set,
           QualitySource quality = {}, RouterOptions options = {});
    ~Router();
    Router(const Router&) = delete;
    Router& operator=(const Router&) = delete;

    // Routes one request. `done` runs exactly once, on any thread, possibly before start()
    // returns. `policy` is copied as needed; `run_budget`, when given, must outlive the call.
    void start(const config::Policy& policy, RouteInput input,
               std::function<void(RouteResult)> done, RunBudget* run_budget = nullptr);

    // start() and wait for it.
    RouteResult route(const config::Policy& policy, RouteInput input,
                      RunBudget* run_budget = nullptr);

    // explain() with this Router's quality snapshot.
    Decision explain(const config::Policy& policy, const RouteInput& input);

    const CircuitBreaker& breaker() const { return m_breaker; }

  private:
    struct Call;
    void next(const std::shared_ptr<Call>& call);
    void on_outcome(const std::shared_ptr<Call>& call, std::size_t index, double reserved,
                    provider::Outcome outcome);
    void finish(const std::shared_ptr<Call>& call);
    std::shared_ptr<const AnswerCheck> check_for(const config::CascadeCheck& spec,
                                                 std::string& error);
    double now() const;

    const config::ProvidersConfig& m_providers;
    ProviderLookup m_lookup;
    QualitySource m_quality; // caching wrapper around the caller's source
    RouterOptions m_options;
    CircuitBreaker m_breaker;
    std::mutex m_checks_mutex;
    std::map<std::string, std::shared_ptr<const AnswerCheck>> m_checks;
};

// The route log row for a routed request (policy, rule, chain, model, tokens, cost, latency,
// outcome); `at` is now.
store::RouteLogEntry make_log_entry(const std::string& request_id, const std::string& policy,
                                    const RouteInput& input, const RouteResult& result);

// A fresh request id: "req_" + 16 hex digits.
std::string new_request_id();

} // namespace orch::route
