#include <orch/bench/estimate.hpp>

#include <algorithm>

namespace orch::bench {

namespace {

std::int64_t reference_output_tokens(const config::Task& task) {
    std::string text = task.reference.is_string() ? task.reference.get<std::string>()
                       : task.reference.is_null() ? std::string(64, 'x')
                                                  : task.reference.dump();
    std::int64_t n = estimate_tokens(text);
    if (task.type == "reason" || task.type == "code") {
        n += 24; // the working shown before the final answer
    }
    return std::max<std::int64_t>(1, n);
}

} // namespace

RunEstimate estimate_run(const BenchPlan& plan, const BenchOptions& options,
                         const std::map<std::pair<std::string, std::string>, double>& history) {
    RunEstimate est;
    for (const auto& target : plan.targets) {
        const config::ModelConfig* model = target.model;
        if (model == nullptr) {
            est.unestimated.push_back(target.name); // a policy's choice depends on the answers
            continue;
        }
        TargetEstimate t;
        t.target = model->name;
        for (const auto& suite : plan.suites) {
            config::DatasetReader reader(suite);
            config::Task task;
            config::Problems ignored; // the plan checked every row
            while (reader.next(task, ignored)) {
                std::int64_t in = estimate_tokens(task.messages);
                std::int64_t out = 0;
                if (auto it = history.find({model->name, task.type}); it != history.end()) {
                    out = static_cast<std::int64_t>(it->second + 0.5);
                    t.from_history += options.repeats;
                } else {
                    out = reference_output_tokens(task);
                }
                if (task.params.max_tokens) {
                    out = std::min(out, *task.params.max_tokens);
                }
                t.calls += options.repeats;
                t.input_tokens += in * options.repeats;
                t.output_tokens += out * options.repeats;
                t.cost_usd += model->cost_usd(in, out) * static_cast<double>(options.repeats);
            }
        }
        est.cost_usd += t.cost_usd;
        est.targets.push_back(t);
    }
    return est;
}

} // namespace orch::bench
