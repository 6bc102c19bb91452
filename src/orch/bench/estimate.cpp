#include <orch/bench/estimate.hpp>
#include <orch/config/agent.hpp>
#include <orch/config/context.hpp>
#include <orch/tools/toolbox.hpp>

#include <algorithm>
#include <memory>

namespace orch::bench {

namespace {

std::string reference_text(const nlohmann::json& reference) {
    return reference.is_string() ? reference.get<std::string>()
           : reference.is_null() ? std::string(64, 'x')
                                 : reference.dump();
}

std::int64_t reference_output_tokens(const std::string& type, const nlohmann::json& reference) {
    std::int64_t n = estimate_tokens(reference_text(reference));
    if (type == "reason" || type == "code") {
        n += 24; // the working shown before the final answer
    }
    return std::max<std::int64_t>(1, n);
}

// One call's tokens and cost, added `repeats` times.
void add_call(TargetEstimate& t, const config::ModelConfig& model, const std::string& type,
              const nlohmann::json& reference, const GenParams& params, std::int64_t in,
              const std::map<std::pair<std::string, std::string>, double>& history, std::int64_t repeats) {
    std::int64_t out = 0;
    if (auto it = history.find({model.name, type}); it != history.end()) {
        out = static_cast<std::int64_t>(it->second + 0.5);
        t.from_history += repeats;
    } else {
        out = reference_output_tokens(type, reference);
    }
    if (params.max_tokens) {
        out = std::min(out, *params.max_tokens);
    }
    t.calls += repeats;
    t.input_tokens += in * repeats;
    t.output_tokens += out * repeats;
    t.cost_usd += model.cost_usd(in, out) * static_cast<double>(repeats);
}

// A workflow task: each step's call, its inputs taken to be what the steps upstream should
// answer (their references), so a step that reads a long brief is priced as reading it.
void add_workflow(TargetEstimate& t, const config::ModelConfig& model, const config::Task& task,
                  const std::map<std::pair<std::string, std::string>, double>& history, std::int64_t repeats) {
    nlohmann::json outputs = nlohmann::json::object();
    for (const auto& step : task.steps) {
        std::vector<std::string> missing;
        std::int64_t in = estimate_tokens(config::render_step(task, step, outputs, missing));
        add_call(t, model, step.type, step.reference, step.params, in, history, repeats);
        outputs[step.id] = {{"output", reference_text(step.reference)}, {"json", step.reference}};
    }
}

// An agent task: the turns of its golden trajectory, each reading the conversation so far (the
// tools offered, the calls before it and what the fixtures answer them), then the answer. A
// program tool's result is taken to be 64 characters; a model that errs takes more turns.
void add_agent(TargetEstimate& t, const config::ModelConfig& model, const config::Task& task, const tools::ToolBox& box,
               const std::map<std::pair<std::string, std::string>, double>& history, std::int64_t repeats) {
    std::int64_t offered = 0;
    for (const auto& spec : box.specs()) {
        offered += estimate_tokens(spec.name) + estimate_tokens(spec.description) + estimate_tokens(spec.parameters.dump());
    }
    std::vector<Message> messages = task.messages;
    for (const auto& turn : task.trajectory.is_array() ? task.trajectory : nlohmann::json::array()) {
        Message asked{"assistant", ""};
        for (const auto& c : turn) {
            asked.tool_calls.push_back(ToolCall{"", c.value("name", ""),
                                                c.contains("arguments") ? c["arguments"].dump() : "{}"});
        }
        std::int64_t in = estimate_tokens(messages) + offered;
        std::int64_t out = estimate_tokens(std::vector<Message>{asked});
        t.calls += repeats;
        t.input_tokens += in * repeats;
        t.output_tokens += out * repeats;
        t.cost_usd += model.cost_usd(in, out) * static_cast<double>(repeats);
        messages.push_back(asked);
        for (const auto& c : asked.tool_calls) {
            messages.push_back(Message{"tool", box.runs_program(c) ? std::string(64, 'x') : box.run(c).content});
        }
    }
    add_call(t, model, task.type, task.reference, task.params, estimate_tokens(messages) + offered, history, repeats);
}

// A conversation task: the thread read as the runner reads it, a compaction each time the
// context passes the threshold (its summary taken to be a quarter of what it folds, or the
// model's recorded mean for compactions), the answer over what is left, and the session's
// memory write.
void add_conversation(TargetEstimate& t, const config::ModelConfig& model, const config::Task& task,
                      const std::map<std::pair<std::string, std::string>, double>& history, std::int64_t repeats) {
    const config::ContextSpec& spec = *task.context;
    const config::Conversation& thread = *task.conversation;
    auto known = history.find({model.name, "compact"});
    auto compaction = [&](std::int64_t in, std::int64_t folded) {
        std::int64_t out = known != history.end() ? static_cast<std::int64_t>(known->second + 0.5)
                                                  : std::max<std::int64_t>(1, folded / 4);
        t.calls += repeats;
        t.input_tokens += in * repeats;
        t.output_tokens += out * repeats;
        t.cost_usd += model.cost_usd(in, out) * static_cast<double>(repeats);
        return out;
    };
    std::int64_t prompt = estimate_tokens(config::k_default_compact_prompt) + 8;
    std::int64_t request = estimate_tokens(task.messages);
    std::int64_t threshold = spec.threshold(model.context_window);
    std::int64_t summary = 0;
    std::vector<std::int64_t> context; // each message's tokens
    std::int64_t total = 0;
    auto keep = static_cast<std::size_t>(spec.keep_recent);
    bool compacting = spec.strategy == "compact";
    for (const auto& m : thread.history) {
        context.push_back(estimate_tokens(m.content) + 4);
        total += context.back();
        if (compacting && context.size() > keep && request + summary + total > threshold) {
            std::int64_t folded = 0;
            for (std::size_t i = 0; i + keep < context.size(); ++i) {
                folded += context[i];
            }
            summary = compaction(prompt + summary + folded, summary + folded);
            context.erase(context.begin(), context.end() - static_cast<long>(keep));
            total -= folded;
        }
    }
    std::int64_t in = request + summary + total;
    if (!compacting) {
        in = std::min(in, threshold);
    }
    add_call(t, model, task.type, task.reference, task.params, in, history, repeats);
    if (compacting && !thread.session.empty()) {
        compaction(prompt + summary + total + request, summary + total + request);
    }
}

} // namespace

RunEstimate estimate_run(const BenchPlan& plan, const BenchOptions& options,
                         const std::map<std::pair<std::string, std::string>, double>& history) {
    RunEstimate est;
    std::map<const config::AgentSpec*, std::unique_ptr<tools::ToolBox>> boxes; // one per agent suite
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
                if (!task.steps.empty()) {
                    add_workflow(t, *model, task, history, options.repeats);
                    continue;
                }
                if (task.context) {
                    add_conversation(t, *model, task, history, options.repeats);
                    continue;
                }
                if (task.agent) {
                    auto& box = boxes[task.agent.get()];
                    if (!box) {
                        box = std::make_unique<tools::ToolBox>(*task.agent);
                    }
                    add_agent(t, *model, task, *box, history, options.repeats);
                    continue;
                }
                add_call(t, *model, task.type, task.reference, task.params, estimate_tokens(task.messages), history,
                         options.repeats);
            }
        }
        est.cost_usd += t.cost_usd;
        est.targets.push_back(t);
    }
    return est;
}

} // namespace orch::bench
