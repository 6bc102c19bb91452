#pragma once
// One workflow instance run outside a bench: `orch route --workflow FILE --var k=v`. The same
// WorkflowTask state machine the runner drives, with each step routed through the policy by
// its own type, tags and sensitivity (or its own policy, or its pinned model), steps started
// as soon as their inputs have answered. Nothing is written here; the caller records.
#include <orch/bench/runner.hpp>
#include <orch/bench/workflow.hpp>
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/provider/provider.hpp>
#include <orch/route/router.hpp>
#include <orch/store/store.hpp>

#include <map>
#include <memory>
#include <string>
#include <vector>

namespace orch::bench {

struct SingleWorkflowResult {
    std::vector<store::StepRow> steps; // in the order they finished
    store::ResultRow result;           // the task's row: final output, critical path, costs
    std::vector<store::RouteLogEntry> route_log; // one entry per routed step
};

// Runs every step of `task` and returns once all are done (answered, failed or skipped). The
// step policies and pinned models are those check_step_routes resolved (a missing one throws
// orch::Error(config) before any call). A step's own evaluators score it when it has any
// (judges are not called).
SingleWorkflowResult run_single_workflow(const config::ProvidersConfig& providers, provider::ProviderSet& set,
                                         route::Router& router, const config::Policy& policy,
                                         const StepPolicies& step_policies,
                                         std::shared_ptr<const config::Task> task, const std::string& request_id,
                                         std::uint64_t seed);

} // namespace orch::bench
