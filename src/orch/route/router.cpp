#include <orch/route/cascade_check.hpp>
#include <orch/route/router.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <future>
#include <random>

namespace orch::route {

using nlohmann::json;

std::string RouteResult::outcome_label() const {
    if (outcome.has_value()) {
        return "ok";
    }
    if (refused_by_policy) {
        return refusal == Refusal::budget ? "budget" : "refused";
    }
    return "error";
}

int RouteResult::exit_code() const {
    if (outcome.has_value()) {
        return 0;
    }
    if (refused_by_policy) {
        switch (refusal) {
        case Refusal::budget:
            return 4;
        case Refusal::privacy:
        case Refusal::no_rule:
            return 5;
        default:
            return 3;
        }
    }
    return 3;
}

std::string RouteResult::error_message() const {
    if (outcome.has_value()) {
        return "";
    }
    if (refused_by_policy) {
        return (refusal == Refusal::budget ? "budget exhausted: " : "refused by policy: ") +
               refusal_reason;
    }
    std::vector<std::string> failures;
    for (const auto& step : chain) {
        if (step.value("outcome", "") == "error") {
            failures.push_back(fmt::format("{}: {} ({})", step.value("model", ""),
                                           step.value("error_kind", ""),
                                           util::truncate(step.value("reason", ""), 160)));
        }
    }
    if (failures.empty()) {
        return outcome.error().message;
    }
    return "every model failed: " + util::join(failures, "; ");
}

namespace {

json step(const std::string& model, const char* outcome, const std::string& reason) {
    return {{"model", model},   {"outcome", outcome}, {"error_kind", nullptr},
            {"reason", reason}, {"latency_ms", 0.0},  {"cost_usd", 0.0}};
}

bool moves_on(ProviderErrorKind kind) {
    switch (kind) {
    case ProviderErrorKind::rate_limited:
    case ProviderErrorKind::server:
    case ProviderErrorKind::timeout:
    case ProviderErrorKind::transport:
    case ProviderErrorKind::context_length:
    case ProviderErrorKind::refused:
    case ProviderErrorKind::bad_response:
        return true;
    case ProviderErrorKind::auth:
        return false;
    }
    return false;
}

// Failures that say the deployment is unwell, as opposed to this request being unsuitable.
bool counts_against_model(ProviderErrorKind kind) {
    return kind != ProviderErrorKind::context_length && kind != ProviderErrorKind::refused;
}

// The caller's quality source, asked once.
struct QualityCache {
    explicit QualityCache(QualitySource s) : source(std::move(s)) {}
    std::vector<store::QualityStat> get() {
        std::lock_guard lock(mutex);
        if (!stats) {
            stats = source();
        }
        return *stats;
    }
    QualitySource source;
    std::mutex mutex;
    std::optional<std::vector<store::QualityStat>> stats;
};

} // namespace

struct Router::Call {
    std::string policy;
    RouteInput input;
    Decision decision;
    std::vector<Message> redacted; // what external models receive when the rule redacts
    std::function<void(RouteResult)> done;
    RunBudget* budget = nullptr;
    std::shared_ptr<const AnswerCheck> check;
    std::size_t index = 0;
    std::int64_t overflowed_window = -1; // the largest context window that was too small
    std::optional<Completion> accepted;
    std::optional<Completion> kept; // a cascade answer that failed its check
    std::size_t kept_step = 0;
    std::optional<ProviderError> last_error;
    int calls = 0;
    int skipped_for_budget = 0;
    bool finished = false;
    RouteResult result;
};

Router::Router(const config::ProvidersConfig& providers, ProviderLookup lookup,
               QualitySource quality, RouterOptions options)
    : m_providers(providers), m_lookup(std::move(lookup)), m_options(std::move(options)),
      m_breaker(m_options.breaker_threshold, m_options.cooldown_ms) {
    if (quality) {
        auto cache = std::make_shared<QualityCache>(std::move(quality));
        m_quality = [cache] { return cache->get(); };
    }
}

Router::Router(const config::ProvidersConfig& providers, provider::ProviderSet& set,
               QualitySource quality, RouterOptions options)
    : Router(
          providers,
          [&set](const config::ModelConfig& m) -> provider::Provider& { return set.for_model(m); },
          std::move(quality), std::move(options)) {}

Router::~Router() = default;

double Router::now() const {
    return m_options.now_ms ? m_options.now_ms() : util::monotonic_ms();
}

Decision Router::explain(const config::Policy& policy, const RouteInput& input) {
    return route::explain(m_providers, policy, input, m_quality, m_options.bandit);
}

std::shared_ptr<const AnswerCheck> Router::check_for(const config::CascadeCheck& spec,
                                                     std::string& error) {
    std::string key = fmt::format("{}\x1f{}\x1f{}\x1f{}\x1f{}", spec.kind, spec.params.dump(),
                                  spec.negate, spec.min_score, spec.min_confidence);
    std::lock_guard lock(m_checks_mutex);
    auto it = m_checks.find(key);
    if (it != m_checks.end()) {
        return it->second;
    }
    auto built = AnswerCheck::build(spec);
    if (!built) {
        error = built.error();
        return nullptr;
    }
    m_checks.emplace(key, built.value());
    return built.value();
}

void Router::start(const config::Policy& policy, RouteInput input,
                   std::function<void(RouteResult)> done, RunBudget* run_budget) {
    auto call = std::make_shared<Call>();
    call->policy = policy.name;
    call->input = std::move(input);
    call->done = std::move(done);
    call->budget = run_budget;
    try {
        call->decision = explain(policy, call->input);
    } catch (const std::exception& e) {
        // e.g. the results database could not be read for a `cheapest` rule: still done once.
        call->decision.refusal = Refusal::no_model;
        call->decision.refusal_reason = fmt::format("cannot decide a route: {}", e.what());
    }
    const Decision& d = call->decision;
    RouteResult& r = call->result;
    r.rule = d.rule ? d.rule->name : "";
    r.propensity = d.propensity;
    r.online = d.online;
    for (const auto& x : d.excluded) {
        r.chain.push_back(step(x.model, "skipped", x.reason));
    }

    Refusal refusal = d.refusal;
    std::string reason = d.refusal_reason;
    if (!d.refused() && d.rule && d.rule->action == config::RuleAction::cascade && d.rule->check) {
        std::string error;
        call->check = check_for(*d.rule->check, error);
        if (!call->check) {
            refusal = Refusal::no_model;
            reason =
                fmt::format("the cascade check of rule \"{}\" cannot run: {}", d.rule->name, error);
        }
    }
    if (refusal != Refusal::none) {
        // Refused before any model sees the input.
        r.refused_by_policy = true;
        r.refusal = refusal;
        r.refusal_reason = reason;
        ProviderError e;
        e.kind = ProviderErrorKind::refused;
        e.message = reason;
        r.outcome = util::unexpected(std::move(e));
        call->finished = true;
        call->done(std::move(r));
        return;
    }
    bool any_redacted = std::any_of(d.chain.begin(), d.chain.end(),
                                    [](const PlannedCall& c) { return c.redacted; });
    if (any_redacted) {
        for (const auto& m : call->input.messages) {
            call->redacted.push_back({m.role, redact(m.content)});
        }
    }
    next(call);
}

void Router::next(const std::shared_ptr<Call>& call) {
    const auto& chain = call->decision.chain;
    RouteResult& r = call->result;
    while (call->index < chain.size()) {
        std::size_t idx = call->index;
        const PlannedCall& planned = chain[idx];
        const config::ModelConfig* model = m_providers.find_model(planned.model);
        if (model == nullptr) {
            r.chain.push_back(step(planned.model, "skipped", "not in [models]"));
            ++call->index;
            continue;
        }
        // A context-length failure says how big the input is: smaller windows cannot help.
        if (call->overflowed_window >= 0 && model->context_window <= call->overflowed_window) {
            r.chain.push_back(
                step(planned.model, "skipped",
                     fmt::format("context window {} is not larger than {}, which overflowed",
                                 model->context_window, call->overflowed_window)));
            ++call->index;
            continue;
        }
        if (auto wait = m_breaker.cooling_down(planned.model, now())) {
            r.chain.push_back(
                step(planned.model, "skipped",
                     fmt::format("cooling down after {} failures in a row; tried again in {:.1f} s",
                                 m_breaker.consecutive_failures(planned.model), *wait / 1000.0)));
            ++call->index;
            continue;
        }
        double reserved = 0;
        if (call->budget != nullptr) {
            if (!call->budget->reserve(planned.est_cost_usd)) {
                r.chain.push_back(step(
                    planned.model, "skipped",
                    fmt::format("run budget: ${:.4f} left of ${:.4f}, the call may cost ${:.4f}",
                                call->budget->remaining(), call->budget->cap(),
                                planned.est_cost_usd)));
                ++call->skipped_for_budget;
                ++call->index;
                continue;
            }
            reserved = planned.est_cost_usd;
        }

        Request req;
        req.messages = planned.redacted ? call->redacted : call->input.messages;
        req.params = call->input.params;
        req.task_type = call->input.task_type;
        req.key = call->input.request_key;
        req.seed = call->input.seed;
        req.sim_hint = call->input.sim_hint;
        req.tools = call->input.tools;
        ++call->calls;
        provider::Provider* provider = nullptr;
        try {
            provider = &m_lookup(*model);
        } catch (const std::exception& e) {
            if (call->budget != nullptr) {
                call->budget->settle(reserved, 0);
            }
            json s = step(planned.model, "error", e.what());
            s["error_kind"] = "config";
            r.chain.push_back(s);
            ProviderError err;
            err.kind = ProviderErrorKind::transport;
            err.message = e.what();
            call->last_error = err;
            ++call->index;
            continue;
        }
        provider->start(*model, std::move(req),
                        [this, call, idx, reserved](provider::Outcome outcome) {
                            on_outcome(call, idx, reserved, std::move(outcome));
                        });
        return; // the chain continues in on_outcome
    }
    finish(call);
}

void Router::on_outcome(const std::shared_ptr<Call>& call, std::size_t index, double reserved,
                        provider::Outcome outcome) {
    const auto& chain = call->decision.chain;
    const std::string& name = chain[index].model;
    RouteResult& r = call->result;
    if (outcome.has_value()) {
        Completion& c = outcome.value();
        if (call->budget != nullptr) {
            call->budget->settle(reserved, c.cost_usd);
        }
        m_breaker.record_success(name);
        r.total_cost_usd += c.cost_usd;
        r.total_latency_ms += c.latency_ms;
        r.usage.input_tokens += c.usage.input_tokens;
        r.usage.output_tokens += c.usage.output_tokens;
        r.usage.cached_input_tokens += c.usage.cached_input_tokens;
        r.usage.estimated = r.usage.estimated || c.usage.estimated;
        if (c.model.empty()) {
            c.model = name;
        }
        json s = step(name, "ok", "");
        s["latency_ms"] = c.latency_ms;
        s["cost_usd"] = c.cost_usd;
        s["retries"] = c.retries;
        if (chain[index].redacted) {
            s["redacted"] = true;
        }
        if (call->check) {
            CheckVerdict v = call->check->run(c);
            bool last = index + 1 >= chain.size();
            if (!v.passed && !last) {
                s["outcome"] = "check_failed";
                s["reason"] = v.reason + "; escalating";
                r.chain.push_back(s);
                call->kept = std::move(c);
                call->kept_step = r.chain.size() - 1;
                call->index = index + 1;
                next(call);
                return;
            }
            s["reason"] = v.passed ? "check passed: " + v.reason
                                   : "check failed: " + v.reason +
                                         "; the last model of the cascade, answer kept";
        }
        r.chain.push_back(s);
        call->accepted = std::move(c);
        finish(call);
        return;
    }

    ProviderError& e = outcome.error();
    if (call->budget != nullptr) {
        call->budget->settle(reserved, 0);
    }
    if (counts_against_model(e.kind)) {
        m_breaker.record_failure(name, now(),
                                 e.kind == ProviderErrorKind::rate_limited ? e.retry_after_s
                                                                           : std::nullopt);
    }
    r.total_latency_ms += e.latency_ms;
    json s = step(name, "error", e.message);
    s["error_kind"] = to_string(e.kind);
    s["latency_ms"] = e.latency_ms;
    s["retries"] = e.retries;
    if (e.http_status != 0) {
        s["http_status"] = e.http_status;
    }
    if (e.retry_after_s) {
        s["retry_after_s"] = *e.retry_after_s;
    }
    r.chain.push_back(s);
    if (e.kind == ProviderErrorKind::context_length) {
        if (const auto* m = m_providers.find_model(name)) {
            call->overflowed_window = std::max(call->overflowed_window, m->context_window);
        }
    }
    call->last_error = std::move(e);
    bool compacting = call->last_error->kind == ProviderErrorKind::context_length && call->input.compact_on_overflow;
    if (moves_on(call->last_error->kind) && !compacting) {
        call->index = index + 1;
        next(call);
        return;
    }
    finish(call);
}

void Router::finish(const std::shared_ptr<Call>& call) {
    if (call->finished) {
        return;
    }
    call->finished = true;
    RouteResult& r = call->result;
    if (call->accepted) {
        r.model_used = call->accepted->model;
        r.outcome = std::move(*call->accepted);
    } else if (call->kept) {
        // Escalation found nothing better: the answer that failed the check beats no answer.
        auto& s = r.chain[call->kept_step];
        s["reason"] =
            s["reason"].get<std::string>() + "; escalation failed, so this answer was kept";
        r.model_used = call->kept->model;
        r.outcome = std::move(*call->kept);
    } else if (call->calls == 0 && call->skipped_for_budget > 0) {
        r.refused_by_policy = true;
        r.refusal = Refusal::budget;
        r.refusal_reason =
            fmt::format("the run budget of ${:.4f} has ${:.4f} left, less than any model of rule "
                        "\"{}\" may cost",
                        call->budget->cap(), call->budget->remaining(), r.rule);
        ProviderError e;
        e.kind = ProviderErrorKind::refused;
        e.message = r.refusal_reason;
        r.outcome = util::unexpected(std::move(e));
    } else if (call->last_error) {
        r.outcome = util::unexpected(*call->last_error);
    } else {
        ProviderError e;
        e.kind = ProviderErrorKind::server;
        e.message =
            fmt::format("no model of rule \"{}\" could be called (every one was skipped)", r.rule);
        r.outcome = util::unexpected(std::move(e));
    }
    auto done = std::move(call->done);
    done(std::move(r));
}

RouteResult Router::route(const config::Policy& policy, RouteInput input, RunBudget* run_budget) {
    std::promise<RouteResult> promise;
    auto future = promise.get_future();
    start(
        policy, std::move(input), [&promise](RouteResult r) { promise.set_value(std::move(r)); },
        run_budget);
    return future.get();
}

store::RouteLogEntry make_log_entry(const std::string& request_id, const std::string& policy,
                                    const RouteInput& input, const RouteResult& result) {
    store::RouteLogEntry e;
    e.request_id = request_id;
    e.at = util::now_iso8601();
    e.policy = policy;
    e.rule = result.rule;
    e.task_type = input.task_type;
    e.chain = result.chain;
    e.model = result.model_used;
    e.input_tokens = result.usage.input_tokens;
    e.output_tokens = result.usage.output_tokens;
    e.cost_usd = result.total_cost_usd;
    e.latency_ms = result.total_latency_ms;
    e.outcome = result.outcome_label();
    e.error = result.error_message();
    if (!result.rule.empty()) {
        e.propensity = result.propensity;
    }
    e.online = result.online;
    if (e.online) {
        for (const auto& m : input.messages) {
            if (m.role == "user") {
                e.prompt += (e.prompt.empty() ? "" : "\n") + m.content;
            }
        }
    }
    return e;
}

std::string new_request_id() {
    std::random_device rd;
    std::uint64_t hi = rd();
    std::uint64_t lo = rd();
    std::uint64_t t = static_cast<std::uint64_t>(util::monotonic_ms() * 1000.0);
    return fmt::format("req_{:016x}", ((hi << 32) | lo) ^ (t * 0x9e3779b97f4a7c15ULL));
}

} // namespace orch::route
