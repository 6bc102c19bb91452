#include <orch/bench/single_workflow.hpp>
#include <orch/core/error.hpp>
#include <orch/util/clock.hpp>

#include <condition_variable>
#include <deque>
#include <map>
#include <fmt/format.h>
#include <mutex>
#include <optional>

namespace orch::bench {

namespace {

struct StepDone {
    std::size_t step = 0;
    provider::Outcome outcome = util::unexpected(ProviderError{});
    std::optional<route::RouteResult> route;
};

} // namespace

SingleWorkflowResult run_single_workflow(const config::ProvidersConfig& providers, provider::ProviderSet& set,
                                         route::Router& router, const config::Policy& policy,
                                         const StepPolicies& step_policies,
                                         std::shared_ptr<const config::Task> task, const std::string& request_id,
                                         std::uint64_t seed) {
    for (const auto& spec : task->steps) { // checked before any call, so no callback outlives this frame
        if (!spec.model.empty() && providers.find_model(spec.model) == nullptr) {
            throw Error(ErrorKind::config, fmt::format("step {}: no model named \"{}\" in [models] of {}", spec.id,
                                                       spec.model, providers.path));
        }
        if (!spec.policy.empty() && step_policies.count(spec.policy) == 0) {
            throw Error(ErrorKind::config, fmt::format("step {}: policy \"{}\" was not resolved", spec.id, spec.policy));
        }
    }
    store::StepRow identity;
    identity.suite = task->suite;
    identity.task_id = task->id;
    identity.target = "policy:" + policy.name;
    std::map<const config::AgentSpec*, std::unique_ptr<tools::ToolBox>> boxes;
    WorkflowTask flow(task, identity, nullptr, [&boxes](const config::AgentSpec& spec) -> const tools::ToolBox& {
        auto& box = boxes[&spec];
        if (!box) {
            box = std::make_unique<tools::ToolBox>(spec);
        }
        return *box;
    });
    SingleWorkflowResult out;

    std::mutex mutex;
    std::condition_variable cv;
    std::deque<StepDone> finished;
    std::size_t in_flight = 0;
    auto deliver = [&](StepDone d) {
        std::lock_guard lock(mutex);
        finished.push_back(std::move(d));
        cv.notify_one();
    };
    auto policy_of = [&](const config::StepTask& spec) -> const config::Policy& {
        return spec.policy.empty() ? policy : *step_policies.at(spec.policy);
    };
    auto launch_ready = [&] {
        for (std::size_t step : flow.take_ready(util::monotonic_ms())) {
            const config::StepTask& spec = flow.spec(step);
            Request req = flow.request(step, fmt::format("{}/{}", request_id, spec.id), seed);
            flow.started(step, util::monotonic_ms());
            ++in_flight;
            if (!spec.model.empty()) {
                const config::ModelConfig* model = providers.find_model(spec.model);
                set.for_model(*model).start(*model, std::move(req), [&deliver, step](provider::Outcome o) {
                    deliver(StepDone{step, std::move(o), std::nullopt});
                });
                continue;
            }
            route::RouteInput in{req.messages, req.task_type, spec.tags, spec.sensitive, req.key,
                                 req.params,   req.sim_hint,  req.seed,     req.tools};
            router.start(policy_of(spec), std::move(in), [&deliver, step](route::RouteResult r) {
                provider::Outcome o = r.outcome;
                deliver(StepDone{step, std::move(o), std::move(r)});
            });
        }
        for (auto& row : flow.take_rows()) {
            out.steps.push_back(std::move(row));
        }
    };

    launch_ready();
    while (in_flight > 0) {
        StepDone d;
        {
            std::unique_lock lock(mutex);
            cv.wait(lock, [&] { return !finished.empty(); });
            d = std::move(finished.front());
            finished.pop_front();
        }
        --in_flight;
        const config::StepTask& spec = flow.spec(d.step);
        std::string policy_name = d.route ? policy_of(spec).name : "";
        if (d.route) {
            route::RouteInput in{flow.step_task(d.step).messages, spec.type, spec.tags, spec.sensitive, "", {}, {}, 0};
            out.route_log.push_back(
                route::make_log_entry(fmt::format("{}/{}", request_id, spec.id), policy_name, in, *d.route));
        }
        flow.answered(d.step, d.outcome, d.route, policy_name);
        // Score what is complete; an agent step's program tools run here, one after another (a
        // single request needs no tool concurrency), which may complete more.
        for (bool more = true; more;) {
            more = false;
            for (std::size_t step : flow.take_to_score()) {
                StepAnswer a = flow.step_answer(step);
                eval::Candidate candidate{a.text, a.latency_ms, a.cost_usd, a.recorded_score, a.trajectory};
                flow.scored(step, score_task(flow.step_task(step), candidate), 0);
                more = true;
            }
            for (const auto& job : flow.take_tool_jobs()) {
                flow.tool_done(job, job.tools->run(job.call));
                more = true;
            }
        }
        launch_ready();
    }
    std::optional<TaskScore> score;
    if (auto output = flow.final_output()) {
        eval::Candidate candidate{*output, flow.critical_path_ms(), flow.spent_usd(), std::nullopt, flow.trajectory()};
        score = score_task(flow.final_task(), candidate);
    }
    out.result = flow.result(score ? &*score : nullptr, 0, "", policy.name);
    return out;
}

} // namespace orch::bench
