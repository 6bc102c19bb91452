#include <orch/provider/sim_provider.hpp>
#include <orch/sim/fleet.hpp>

#include <cmath>

namespace orch::provider {

SimProvider::SimProvider(const config::ProviderConfig& cfg, bool sleep) : m_cfg(cfg), m_sleep(sleep) {
    if (m_sleep) {
        m_scheduler = std::make_unique<util::Scheduler>();
    }
}

void SimProvider::start(const config::ModelConfig& model, Request request, Callback done) {
    // Transient failures are retried here with the backoff a real client would wait; the
    // waits are added to the reported latency (and really slept when sleeping).
    double elapsed = 0;
    int attempt = 0;
    sim::SimAnswer a;
    while (true) {
        a = sim::simulate(model, request, attempt);
        elapsed += a.latency_ms;
        if (!a.failed || a.failure != ProviderErrorKind::server || attempt >= m_cfg.max_retries) {
            break;
        }
        elapsed += 250.0 * std::pow(2.0, attempt); // exponential backoff
        ++attempt;
    }
    Outcome outcome = [&]() -> Outcome {
        if (a.failed) {
            ProviderError e;
            e.kind = a.failure;
            e.message = a.failure_message;
            e.http_status = a.failure == ProviderErrorKind::context_length ? 400 : 503;
            e.latency_ms = elapsed;
            e.retries = attempt;
            return util::unexpected(std::move(e));
        }
        Completion c;
        c.text = std::move(a.text);
        c.tool_calls = std::move(a.tool_calls);
        c.usage = a.usage;
        c.cost_usd = model.cost_usd(c.usage.input_tokens, c.usage.output_tokens);
        c.latency_ms = elapsed;
        c.ttft_ms = elapsed - a.latency_ms + a.ttft_ms;
        c.model = model.name;
        c.provider_model = model.id;
        c.simulated = true;
        c.retries = attempt;
        return c;
    }();
    if (m_sleep) {
        auto shared = std::make_shared<Outcome>(std::move(outcome));
        m_scheduler->after(elapsed, [shared, done = std::move(done)] { done(std::move(*shared)); });
    } else {
        done(std::move(outcome));
    }
}

} // namespace orch::provider
