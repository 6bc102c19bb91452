#include <orch/bench/flow.hpp>

namespace orch::bench {

void record_call(store::StepRow& row, const provider::Outcome& outcome, const std::optional<route::RouteResult>& route,
                 const std::string& policy) {
    if (route) {
        row.model = route->model_used;
        row.route = {{"policy", policy}, {"rule", route->rule}, {"chain", route->chain}};
        row.cost_usd = route->total_cost_usd;
        row.latency_ms = route->total_latency_ms;
        row.input_tokens = route->usage.input_tokens;
        row.output_tokens = route->usage.output_tokens;
    }
    if (!outcome) {
        const ProviderError& e = outcome.error();
        row.status = "error";
        row.error_kind = to_string(e.kind);
        row.error = e.message;
        row.retries = e.retries;
        if (!route) {
            row.latency_ms = e.latency_ms;
        }
    } else {
        const Completion& c = outcome.value();
        if (!route) {
            row.model = c.model;
            row.cost_usd = c.cost_usd;
            row.latency_ms = c.latency_ms;
            row.input_tokens = c.usage.input_tokens;
            row.output_tokens = c.usage.output_tokens;
        }
        row.retries = c.retries;
        row.cached = c.cached;
    }
    row.end_ms = row.start_ms + row.latency_ms;
}

} // namespace orch::bench
