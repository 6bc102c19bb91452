#include <orch/core/error.hpp>
#include <orch/report/leaderboard.hpp>
#include <orch/util/strings.hpp>

#include <functional>
#include <orch/report/text.hpp>

#include <algorithm>
#include <fmt/format.h>
#include <ostream>
#include <tuple>

namespace orch::report {

namespace {

struct Accumulator {
    TargetStats stats;
    std::vector<double> scores;
    std::vector<double> latencies;
    std::vector<double> ttfts;

    void add(const store::ResultSummary& r) {
        stats.attempted++;
        stats.simulated = stats.simulated || r.simulated;
        stats.cost_usd += r.cost_usd;
        stats.judge_cost_usd += r.judge_cost_usd;
        stats.input_tokens += r.input_tokens;
        stats.output_tokens += r.output_tokens;
        stats.retries += r.retries;
        stats.cache_hits += r.cached ? 1 : 0;
        if (r.status == "error") {
            stats.errors++;
            return;
        }
        latencies.push_back(r.latency_ms);
        if (r.ttft_ms) {
            ttfts.push_back(*r.ttft_ms);
        }
        if (r.status == "unscored") {
            stats.unscored++;
            return;
        }
        stats.scored++;
        scores.push_back(r.score.value_or(0));
        stats.passed += r.passed.value_or(false) ? 1 : 0;
    }

    void merge(Accumulator&& o) {
        stats.attempted += o.stats.attempted;
        stats.simulated = stats.simulated || o.stats.simulated;
        stats.cost_usd += o.stats.cost_usd;
        stats.judge_cost_usd += o.stats.judge_cost_usd;
        stats.input_tokens += o.stats.input_tokens;
        stats.output_tokens += o.stats.output_tokens;
        stats.retries += o.stats.retries;
        stats.cache_hits += o.stats.cache_hits;
        stats.errors += o.stats.errors;
        stats.unscored += o.stats.unscored;
        stats.scored += o.stats.scored;
        stats.passed += o.stats.passed;
        scores.insert(scores.end(), o.scores.begin(), o.scores.end());
        latencies.insert(latencies.end(), o.latencies.begin(), o.latencies.end());
        ttfts.insert(ttfts.end(), o.ttfts.begin(), o.ttfts.end());
    }

    TargetStats finish() {
        stats.quality = util::mean_ci95(scores);
        auto n = static_cast<double>(stats.attempted);
        stats.pass_rate = n > 0 ? static_cast<double>(stats.passed) / n : 0;
        stats.cost_per_task = n > 0 ? stats.cost_usd / n : 0;
        stats.latency_n = static_cast<std::int64_t>(latencies.size());
        std::sort(latencies.begin(), latencies.end());
        if (!latencies.empty()) {
            stats.latency_min = latencies.front();
            stats.latency_max = latencies.back();
        }
        stats.latency_p25 = util::percentile_sorted(latencies, 25);
        stats.latency_p50 = util::percentile_sorted(latencies, 50);
        stats.latency_p75 = util::percentile_sorted(latencies, 75);
        stats.latency_p95 = util::percentile_sorted(latencies, 95);
        stats.ttft_n = static_cast<std::int64_t>(ttfts.size());
        stats.ttft_p50 = util::percentile(std::move(ttfts), 50);
        return stats;
    }
};

void sort_by_quality(std::vector<TargetStats>& v) {
    std::stable_sort(v.begin(), v.end(), [](const TargetStats& a, const TargetStats& b) {
        if (a.quality.mean != b.quality.mean) {
            return a.quality.mean > b.quality.mean;
        }
        return a.cost_per_task < b.cost_per_task;
    });
}

int status_rank(std::string_view status) {
    if (status == "scored") {
        return 0;
    }
    return status == "unscored" ? 1 : 2;
}

// What orders the worst results: score (unscored and errors count as 0), then status, then
// identity, so ties come out in a stable order.
struct WorstKey {
    double score = 0;
    int rank = 0;
    std::string suite;
    std::string task_id;
    std::int64_t repeat = 0;
    std::string target;
    std::int64_t id = 0;
};

auto worst_tuple(const store::ResultSummary& r) {
    double score = r.status == "scored" ? r.score.value_or(0) : 0;
    return std::make_tuple(score, status_rank(r.status), r.suite, r.task_id, r.repeat, r.target);
}

auto worst_tuple(const WorstKey& k) {
    return std::make_tuple(k.score, k.rank, std::string_view(k.suite), std::string_view(k.task_id),
                           k.repeat, std::string_view(k.target));
}

// True when a belongs before b in the worst list.
bool worse_than(const WorstKey& a, const WorstKey& b) { return worst_tuple(a) < worst_tuple(b); }

// Keeps the n worst results seen, as a heap whose front is the least bad of them; the whole
// rows are read from the store only for those kept.
class WorstResults {
  public:
    WorstResults(std::size_t n, std::size_t output_bytes) : m_n(n), m_output_bytes(output_bytes) {}

    void offer(const store::ResultSummary& r) {
        bool perfect = r.status == "scored" && r.score.value_or(0) >= 1 && r.passed.value_or(false);
        if (m_n == 0 || perfect) {
            return;
        }
        if (m_heap.size() == m_n && !(worst_tuple(r) < worst_tuple(m_heap.front()))) {
            return;
        }
        auto [score, rank, suite, task, repeat, target] = worst_tuple(r);
        push({score, rank, std::string(suite), std::string(task), repeat, std::string(target), r.id});
    }

    void merge(WorstResults&& o) {
        for (auto& k : o.m_heap) {
            if (m_heap.size() < m_n || worse_than(k, m_heap.front())) {
                push(std::move(k));
            }
        }
    }

    std::vector<store::ResultRow> take(store::Store& store) {
        std::sort(m_heap.begin(), m_heap.end(), worse_than);
        std::vector<std::int64_t> ids;
        for (const auto& k : m_heap) {
            ids.push_back(k.id);
        }
        auto rows = store.results_by_id(ids);
        for (auto& row : rows) {
            row.output = clip(row.output, m_output_bytes);
        }
        return rows;
    }

  private:
    void push(WorstKey key) {
        if (m_heap.size() == m_n) {
            std::pop_heap(m_heap.begin(), m_heap.end(), worse_than);
            m_heap.pop_back();
        }
        m_heap.push_back(std::move(key));
        std::push_heap(m_heap.begin(), m_heap.end(), worse_than);
    }

    std::size_t m_n;
    std::size_t m_output_bytes;
    std::vector<WorstKey> m_heap;
};

// Accumulators by name, found by a view without building a string each row.
template <typename T> T& slot(std::map<std::string, T, std::less<>>& m, std::string_view name) {
    auto it = m.find(name);
    if (it == m.end()) {
        it = m.emplace(std::string(name), T{}).first;
    }
    return it->second;
}

// A workflow suite under one target, from its task results.
struct WorkflowAcc {
    std::int64_t tasks = 0;
    std::int64_t failed = 0;
    std::vector<double> critical;
    std::vector<double> sequential;
    std::map<std::string, std::int64_t, std::less<>> began; // failed tasks by first failing step

    void add(const store::ResultSummary& r) {
        tasks++;
        if (r.status != "error") {
            critical.push_back(r.latency_ms);
            sequential.push_back(r.sequential_ms.value_or(r.latency_ms));
        }
        if (!r.passed.value_or(false)) {
            failed++;
            slot(began, r.failed_step)++;
        }
    }

    void merge(WorkflowAcc&& o) {
        tasks += o.tasks;
        failed += o.failed;
        critical.insert(critical.end(), o.critical.begin(), o.critical.end());
        sequential.insert(sequential.end(), o.sequential.begin(), o.sequential.end());
        for (const auto& [step, n] : o.began) {
            slot(began, step) += n;
        }
    }
};

using WorkflowAccs = std::map<std::string, std::map<std::string, WorkflowAcc, std::less<>>, std::less<>>;

struct StepAcc {
    StepStats stats;
    std::vector<double> latencies;
    double score_sum = 0;
    double start_sum = 0;
    std::map<std::string, std::int64_t> models;

    void add(const store::StepRow& r) {
        stats.step_type = r.step_type;
        stats.runs++;
        stats.cost_usd += r.cost_usd;
        start_sum += r.start_ms;
        if (!r.model.empty()) {
            models[r.model]++;
        }
        if (r.status == "skipped") {
            stats.skipped++;
            return;
        }
        latencies.push_back(r.latency_ms);
        if (r.status == "error") {
            stats.errors++;
        } else if (r.status == "scored") {
            stats.scored++;
            score_sum += r.score.value_or(0);
            stats.passed += r.passed.value_or(false) ? 1 : 0;
        } else if (r.status == "unscored") {
            stats.unscored++;
        }
    }

    // The step's figures, its shares taken of its workflow's summed cost and step time.
    StepStats finish(const std::string& step, double suite_cost, double suite_latency, const WorkflowAcc& flow) {
        StepStats s = stats;
        s.step = step;
        auto n = static_cast<double>(s.runs);
        s.quality = s.scored > 0 ? score_sum / static_cast<double>(s.scored) : 0;
        s.pass_rate = n > 0 ? static_cast<double>(s.passed) / n : 0;
        s.start_mean_ms = n > 0 ? start_sum / n : 0;
        s.cost_share = suite_cost > 0 ? s.cost_usd / suite_cost : 0;
        double latency_sum = 0;
        for (double v : latencies) {
            latency_sum += v;
        }
        s.latency_share = suite_latency > 0 ? latency_sum / suite_latency : 0;
        s.latency_p50 = util::percentile(latencies, 50);
        s.models.assign(models.begin(), models.end());
        std::stable_sort(s.models.begin(), s.models.end(),
                         [](const auto& a, const auto& b) { return a.second > b.second; });
        auto began = flow.began.find(step);
        s.failures_began = began == flow.began.end() ? 0 : began->second;
        return s;
    }
};

bool overlapping(const std::vector<store::StepRow>& steps) {
    for (std::size_t i = 0; i < steps.size(); ++i) {
        for (std::size_t j = i + 1; j < steps.size(); ++j) {
            const auto& a = steps[i];
            const auto& b = steps[j];
            if (a.status != "skipped" && b.status != "skipped" && a.start_ms < b.end_ms && b.start_ms < a.end_ms) {
                return true;
            }
        }
    }
    return false;
}

// Each workflow's per-step table, and per suite the timeline of one task: the step rows are
// streamed in task order, so one task's steps are at hand at a time.
void add_workflow_steps(store::Store& store, std::int64_t run_id, const WorkflowAccs& flows, Leaderboard& board) {
    using Key = std::tuple<std::string, std::string, std::string>; // target, suite, step
    std::map<Key, StepAcc> accs;
    std::map<std::pair<std::string, std::string>, std::pair<double, double>> totals; // cost, latency
    std::map<std::string, std::size_t, std::less<>> rank; // targets in leaderboard order
    for (std::size_t i = 0; i < board.targets.size(); ++i) {
        rank[board.targets[i].target] = i;
    }
    auto target_rank = [&](std::string_view t) {
        auto it = rank.find(t);
        return it == rank.end() ? rank.size() : it->second;
    };
    std::map<std::string, std::pair<std::size_t, Timeline>> picked; // suite -> (target rank, task)
    Timeline current;
    auto consider = [&] {
        if (current.steps.empty()) {
            return;
        }
        std::size_t r = target_rank(current.target);
        auto it = picked.find(current.suite);
        bool better = it == picked.end() || r < it->second.first ||
                      (r == it->second.first && !overlapping(it->second.second.steps) && overlapping(current.steps));
        if (better) {
            std::stable_sort(current.steps.begin(), current.steps.end(),
                             [](const store::StepRow& a, const store::StepRow& b) { return a.start_ms < b.start_ms; });
            picked[current.suite] = {r, current};
        }
        current.steps.clear();
    };
    store.for_each_step(run_id, [&](const store::StepRow& row) {
        if (row.step_type == "agent_turn" || row.step_id.rfind("context:", 0) == 0) {
            return; // an agent's turns (its step's own row sums them), a conversation's calls
        }
        accs[{row.target, row.suite, row.step_id}].add(row);
        auto& total = totals[{row.target, row.suite}];
        total.first += row.cost_usd;
        total.second += row.status == "skipped" ? 0 : row.latency_ms;
        if (row.target != current.target || row.suite != current.suite || row.task_id != current.task_id ||
            row.repeat != current.repeat) {
            consider();
            current.target = row.target;
            current.suite = row.suite;
            current.task_id = row.task_id;
            current.repeat = row.repeat;
        }
        store::StepRow kept = row;
        kept.output.clear();
        kept.evaluations = nlohmann::json::array();
        current.steps.push_back(std::move(kept));
    });
    consider();
    for (auto& w : board.workflows) {
        const auto& total = totals[{w.target, w.suite}];
        const WorkflowAcc& flow = flows.at(w.target).at(w.suite);
        for (auto it = accs.lower_bound(Key{w.target, w.suite, ""});
             it != accs.end() && std::get<0>(it->first) == w.target && std::get<1>(it->first) == w.suite; ++it) {
            w.steps.push_back(it->second.finish(std::get<2>(it->first), total.first, total.second, flow));
        }
        std::stable_sort(w.steps.begin(), w.steps.end(),
                         [](const StepStats& a, const StepStats& b) { return a.start_mean_ms < b.start_mean_ms; });
    }
    for (auto& [suite, entry] : picked) {
        board.timelines.push_back(std::move(entry.second));
    }
}

std::string json_string_or_dump(const nlohmann::json& j) {
    return j.is_string() ? j.get<std::string>() : j.dump();
}

} // namespace

Leaderboard build_leaderboard(store::Store& store, std::int64_t run_id,
                              const LeaderboardOptions& options) {
    Leaderboard board;
    auto run = store.run(run_id);
    if (!run) {
        throw Error(ErrorKind::config,
                    fmt::format("no run {} in the database (see 'orch runs list')", run_id));
    }
    board.run = *run;
    board.simulated = run->simulated;
    // The run is read in 4 stretches at once, each with its own tallies, merged in order once
    // all are read: a fixed count, so sums come out the same on any machine.
    struct Part {
        std::map<std::string, Accumulator, std::less<>> per_target;
        std::map<std::string, std::map<std::string, Accumulator, std::less<>>, std::less<>> per_type;
        WorstResults worst;
        WorkflowAccs flows; // target -> workflow suite -> its tasks
    };
    constexpr std::size_t n_parts = 4;
    std::vector<Part> parts;
    for (std::size_t i = 0; i < n_parts; ++i) {
        parts.push_back({{}, {}, WorstResults(options.worst, options.worst_output_bytes), {}});
    }
    store.for_each_result_summary(run_id, n_parts, [&](std::size_t i, const store::ResultSummary& r) {
        Part& part = parts[i];
        slot(part.per_target, r.target).add(r);
        slot(slot(part.per_type, r.task_type), r.target).add(r);
        part.worst.offer(r);
        if (r.sequential_ms) {
            slot(slot(part.flows, r.target), r.suite).add(r);
        }
    });
    Part& all = parts.front();
    for (std::size_t i = 1; i < parts.size(); ++i) {
        for (auto& [name, acc] : parts[i].per_target) {
            slot(all.per_target, name).merge(std::move(acc));
        }
        for (auto& [type, targets] : parts[i].per_type) {
            for (auto& [name, acc] : targets) {
                slot(slot(all.per_type, type), name).merge(std::move(acc));
            }
        }
        all.worst.merge(std::move(parts[i].worst));
        for (auto& [target, suites] : parts[i].flows) {
            for (auto& [suite, acc] : suites) {
                slot(slot(all.flows, target), suite).merge(std::move(acc));
            }
        }
    }
    for (auto& [name, acc] : all.per_target) {
        acc.stats.target = name;
        board.targets.push_back(acc.finish());
        // The run, or any of its results, came from the simulated fleet.
        board.simulated = board.simulated || board.targets.back().simulated;
    }
    sort_by_quality(board.targets);
    for (auto& [type, targets] : all.per_type) {
        auto& v = board.by_type[type];
        for (auto& [name, acc] : targets) {
            acc.stats.target = name;
            v.push_back(acc.finish());
        }
        sort_by_quality(v);
    }
    board.worst = all.worst.take(store);
    board.worst_output_bytes = options.worst_output_bytes;
    for (const auto& t : board.targets) {
        auto flow = all.flows.find(t.target);
        if (flow == all.flows.end()) {
            continue;
        }
        for (auto& [suite, acc] : flow->second) {
            WorkflowStats w;
            w.target = t.target;
            w.suite = suite;
            w.tasks = acc.tasks;
            w.failed = acc.failed;
            w.latency_p50 = util::percentile(acc.critical, 50);
            w.latency_p95 = util::percentile(acc.critical, 95);
            w.sequential_p50 = util::percentile(acc.sequential, 50);
            board.workflows.push_back(std::move(w));
        }
    }
    if (!board.workflows.empty()) {
        add_workflow_steps(store, run_id, all.flows, board);
    }
    auto agents = store.agent_summaries(run_id);
    auto contexts = store.context_summaries(run_id);
    for (const auto& t : board.targets) {
        for (const auto& a : agents) {
            if (a.target == t.target) {
                board.agents.push_back(a);
            }
        }
        for (const auto& c : contexts) {
            if (c.target == t.target) {
                board.contexts.push_back(c);
            }
        }
    }
    return board;
}

std::array<std::string, 10> context_cells(const store::ContextSummary& c) {
    auto share = [](double n, double d) { return d > 0 ? percent(n / d) : std::string("-"); };
    return {c.target,
            std::to_string(c.tasks),
            share(static_cast<double>(c.passed), static_cast<double>(c.tasks)),
            c.tasks > 0 ? fmt::format("{:.2f}", static_cast<double>(c.compactions) / static_cast<double>(c.tasks)) : "-",
            std::to_string(c.rejected),
            std::to_string(c.kept_previous),
            std::to_string(c.truncated),
            share(static_cast<double>(c.facts_kept), static_cast<double>(c.facts_planted)),
            share(c.compaction_cost_usd, c.cost_usd),
            c.estimates > 0 ? fmt::format("{:.1f}%", c.abs_estimate_error_pct / static_cast<double>(c.estimates)) : "-"};
}

AgentRates agent_rates(const store::AgentSummary& a) {
    auto ratio = [](double n, std::int64_t d) { return d > 0 ? std::optional(n / static_cast<double>(d)) : std::nullopt; };
    AgentRates r;
    r.success = ratio(static_cast<double>(a.solved), a.tasks);
    r.validity = ratio(static_cast<double>(a.tool_calls - a.invalid_calls), a.tool_calls);
    r.turns_per_task = ratio(static_cast<double>(a.turns), a.tasks);
    r.calls_per_task = ratio(static_cast<double>(a.tool_calls), a.tasks);
    r.cost_per_solved_usd = ratio(a.cost_usd, a.solved);
    return r;
}

std::array<std::string, 8> agent_cells(const store::AgentSummary& a) {
    AgentRates r = agent_rates(a);
    auto cell = [](const std::optional<double>& v, const std::function<std::string(double)>& show) {
        return v ? show(*v) : std::string("-");
    };
    auto two = [](double v) { return fmt::format("{:.2f}", v); };
    return {a.target,
            std::to_string(a.tasks),
            cell(r.success, percent),
            cell(r.validity, percent),
            cell(r.turns_per_task, two),
            cell(r.calls_per_task, two),
            std::to_string(a.at_limit),
            cell(r.cost_per_solved_usd, money)};
}

std::vector<std::string> transcript_lines(const store::ResultRow& row, std::size_t width) {
    std::vector<std::string> out;
    if (!row.trajectory.is_object() || !row.trajectory.contains("calls")) {
        return out;
    }
    for (const auto& c : row.trajectory["calls"]) {
        const nlohmann::json args = c.value("arguments", nlohmann::json::object());
        std::string told = c.contains("error") ? "error: " + c.value("error", "") : c.value("result", "");
        std::string line = fmt::format("turn {}: {} {}{} → {}", c.value("turn", 0), c.value("name", ""),
                                       args.is_string() ? args.get<std::string>() : args.dump(),
                                       c.value("valid", true) ? "" : " (invalid)", told);
        out.push_back(util::truncate(line, width));
    }
    if (std::string stop = row.trajectory.value("stop", ""); !stop.empty() && stop != "answer") {
        out.push_back(fmt::format("stopped at {} after {} turns", stop, row.trajectory.value("turns", 0)));
    }
    return out;
}

std::vector<std::string> result_reasons(const store::ResultRow& row) {
    std::vector<std::string> reasons;
    if (row.status == "error") {
        reasons.push_back(fmt::format("error ({}): {}",
                                      row.error_kind.empty() ? "provider" : row.error_kind,
                                      row.error.empty() ? "no detail recorded" : row.error));
        return reasons;
    }
    std::vector<std::string> all;
    if (row.evaluations.is_array()) {
        for (const auto& e : row.evaluations) {
            if (!e.is_object()) {
                continue;
            }
            std::string kind = e.contains("kind") ? json_string_or_dump(e["kind"]) : "evaluator";
            std::string reason = e.contains("reason") ? json_string_or_dump(e["reason"]) : "";
            bool ok = !e.contains("ok") || !e["ok"].is_boolean() || e["ok"].get<bool>();
            std::string line =
                fmt::format("{}: {}", kind, reason.empty() ? "no reason given" : reason);
            if (!ok) {
                line = fmt::format("{} could not run: {}", kind, reason);
            }
            all.push_back(line);
            double score =
                e.contains("score") && e["score"].is_number() ? e["score"].get<double>() : 0;
            if (!ok || score < 1) {
                reasons.push_back(line);
            }
        }
    }
    if (reasons.empty()) {
        reasons = all;
    }
    if (reasons.empty() && !row.error.empty()) {
        reasons.push_back(row.error);
    }
    return reasons;
}

std::string result_label(const store::ResultRow& row) {
    return fmt::format("{}/{}#{}", row.suite, row.task_id, row.repeat);
}

std::string route_rule(const store::ResultRow& row) {
    if (row.route.is_object() && row.route.contains("rule")) {
        return json_string_or_dump(row.route["rule"]);
    }
    return "";
}

namespace {

std::string suite_names(const store::RunInfo& run) {
    std::string s;
    if (run.suites.is_object()) {
        for (auto it = run.suites.begin(); it != run.suites.end(); ++it) {
            s += (s.empty() ? "" : ", ") + it.key();
        }
    }
    return s;
}

std::string score_text(const store::ResultRow& r) {
    if (r.status == "error") {
        return "error";
    }
    if (r.status == "unscored") {
        return "unscored";
    }
    return fmt::format("{:.3f}", r.score.value_or(0));
}

} // namespace

std::array<std::string, 12> step_cells(const StepStats& s) {
    std::string models;
    for (const auto& [model, n] : s.models) {
        models += fmt::format("{}{} {}", models.empty() ? "" : ", ", model, n);
    }
    return {s.step,
            s.step_type,
            s.checked() ? percent(s.pass_rate) : "-",
            s.scored > 0 ? fmt::format("{:.3f}", s.quality) : "-",
            std::to_string(s.errors),
            std::to_string(s.skipped),
            money(s.cost_usd),
            percent(s.cost_share),
            ms(s.latency_p50),
            percent(s.latency_share),
            std::to_string(s.failures_began),
            models.empty() ? "-" : models};
}

std::string workflow_summary(const WorkflowStats& w) {
    return fmt::format("{} tasks, {} failed; end to end p50 {} (p95 {}) against {} one step after another",
                       w.tasks, w.failed, ms(w.latency_p50), ms(w.latency_p95), ms(w.sequential_p50));
}

std::vector<std::string> policy_verdicts(const Leaderboard& board) {
    const TargetStats* strongest = nullptr;
    for (const auto& t : board.targets) {
        if (t.target.rfind("policy:", 0) != 0 && t.scored > 0 &&
            (strongest == nullptr || t.quality.mean > strongest->quality.mean)) {
            strongest = &t;
        }
    }
    std::vector<std::string> out;
    if (strongest == nullptr) {
        return out;
    }
    for (const auto& t : board.targets) {
        if (t.target.rfind("policy:", 0) != 0 || t.scored == 0) {
            continue;
        }
        std::string cost = strongest->cost_per_task > 0
                               ? fmt::format("at {:.0f}% of its cost", 100.0 * t.cost_per_task / strongest->cost_per_task)
                               : fmt::format("at {} a task against its {}", money(t.cost_per_task),
                                             money(strongest->cost_per_task));
        out.push_back(fmt::format("{}: quality {:.3f} vs {:.3f} for {} {} (pass {} vs {})", t.target,
                                  t.quality.mean, strongest->quality.mean, strongest->target, cost,
                                  percent(t.pass_rate), percent(strongest->pass_rate)));
    }
    return out;
}

void print_table(const Leaderboard& board, std::ostream& out, const TableStyle& style) {
    const auto& run = board.run;
    auto bold = [&](const std::string& s) { return style.color ? "\x1b[1m" + s + "\x1b[0m" : s; };
    out << bold(fmt::format("Run {}", run.id))
        << fmt::format("  {}  status {}  seed {}  repeats {}{}\n", run.started_at, run.status,
                       run.seed, run.repeats, board.simulated ? "  [SIMULATED fleet]" : "");
    out << fmt::format("suites: {}\n", suite_names(run));
    if (board.simulated) {
        out << k_simulated_note << "\n";
    }
    out << "\n";

    out << bold(fmt::format("{:<18} {:>6}  {:<21} {:>6} {:>8} {:>6}", "target", "tasks",
                            "quality (95% CI)", "pass", "unscored", "errors"))
        << "\n";
    for (const auto& t : board.targets) {
        out << fmt::format("{:<18} {:>6}  {:<21} {:>6} {:>8} {:>6}{}\n", t.target, t.attempted,
                           // Nothing scored (every task an error or unscored): no quality.
                           t.scored == 0 ? std::string("-")
                                         : fmt::format("{:.3f} [{:.3f}, {:.3f}]", t.quality.mean,
                                                       std::max(0.0, t.quality.lo),
                                                       std::min(1.0, t.quality.hi)),
                           percent(t.pass_rate), t.unscored, t.errors,
                           t.simulated ? "  (sim)" : "");
    }
    out << "\n";
    out << bold(fmt::format("{:<18} {:>11} {:>13} {:>11} {:>9} {:>10} {:>8} {:>8} {:>8} {:>6}",
                            "target", "cost/task", "cost/1k tasks", "generation", "judging",
                            "total", "p50", "p95", "TTFT p50", "cached"))
        << "\n";
    for (const auto& t : board.targets) {
        out << fmt::format("{:<18} {:>11} {:>13} {:>11} {:>9} {:>10} {:>8} {:>8} {:>8} {:>6}\n",
                           t.target, money(t.cost_per_task), money(t.cost_per_task * 1000),
                           money(t.cost_usd), money(t.judge_cost_usd), money(t.total_cost_usd()),
                           t.latency_n > 0 ? ms(t.latency_p50) : "-",
                           t.latency_n > 0 ? ms(t.latency_p95) : "-",
                           t.ttft_n > 0 ? ms(t.ttft_p50) : "-", t.cache_hits);
    }

    out << "\n" << bold("Quality by task type (mean score; cost per task)") << "\n";
    std::vector<std::string> targets;
    for (const auto& t : board.targets) {
        targets.push_back(t.target);
    }
    std::string header = fmt::format("{:<12}", "type");
    for (const auto& name : targets) {
        header += fmt::format(" {:>22}", name);
    }
    out << bold(header) << "  best quality / cheapest ≥ 0.9\n";
    for (const auto& [type, stats] : board.by_type) {
        std::string line = fmt::format("{:<12}", type);
        std::string best = stats.empty() ? "" : stats.front().target;
        std::string cheapest = "-";
        double cheapest_cost = 1e300;
        for (const auto& name : targets) {
            auto it = std::find_if(stats.begin(), stats.end(),
                                   [&](const TargetStats& s) { return s.target == name; });
            if (it == stats.end()) {
                line += fmt::format(" {:>22}", "-");
                continue;
            }
            line += fmt::format(
                " {:>22}", fmt::format("{:.3f}; {}", it->quality.mean, money(it->cost_per_task)));
            if (it->quality.mean >= 0.9 && it->cost_per_task < cheapest_cost) {
                cheapest_cost = it->cost_per_task;
                cheapest = name;
            }
        }
        out << line << "  " << best << " / " << cheapest << "\n";
    }

    for (const auto& w : board.workflows) {
        out << "\n" << bold(fmt::format("Workflow {} under {}", w.suite, w.target)) << ": "
            << workflow_summary(w) << "\n";
        out << bold(fmt::format("  {:<14} {:<10} {:>6} {:>7} {:>6} {:>5} {:>10} {:>6} {:>8} {:>6}  {}", "step",
                                "type", "pass", "quality", "errors", "skip", "cost", "share", "p50", "share",
                                "failures began · models"))
            << "\n";
        for (const StepStats& s : w.steps) {
            auto c = step_cells(s);
            out << fmt::format("  {:<14} {:<10} {:>6} {:>7} {:>6} {:>5} {:>10} {:>6} {:>8} {:>6}  {} · {}\n",
                               one_line(c[0], 14), c[1], c[2], c[3], c[4], c[5], c[6], c[7], c[8], c[9], c[10], c[11]);
        }
    }

    std::string agent_suite;
    for (const auto& a : board.agents) {
        if (a.suite != agent_suite) {
            agent_suite = a.suite;
            out << "\n" << bold(fmt::format("Agent {}", a.suite)) << "\n";
            out << bold(fmt::format("  {:<18} {:>6} {:>8} {:>11} {:>10} {:>10} {:>8} {:>11}", k_agent_columns[0],
                                    k_agent_columns[1], k_agent_columns[2], k_agent_columns[3], k_agent_columns[4],
                                    k_agent_columns[5], k_agent_columns[6], k_agent_columns[7]))
                << "\n";
        }
        auto c = agent_cells(a);
        out << fmt::format("  {:<18} {:>6} {:>8} {:>11} {:>10} {:>10} {:>8} {:>11}\n", c[0], c[1], c[2], c[3], c[4],
                           c[5], c[6], c[7]);
    }

    std::string context_suite;
    for (const auto& c : board.contexts) {
        if (c.suite != context_suite) {
            context_suite = c.suite;
            out << "\n" << bold(fmt::format("Context {}", c.suite)) << "\n";
            std::string head = fmt::format("  {:<18}", k_context_columns[0]);
            for (std::size_t i = 1; i < k_context_columns.size(); ++i) {
                head += fmt::format(" {:>{}}", k_context_columns[i], std::string(k_context_columns[i]).size());
            }
            out << bold(head) << "\n";
        }
        auto cells = context_cells(c);
        std::string line = fmt::format("  {:<18}", cells[0]);
        for (std::size_t i = 1; i < cells.size(); ++i) {
            line += fmt::format(" {:>{}}", cells[i], std::string(k_context_columns[i]).size());
        }
        out << line << "\n";
    }

    if (!board.worst.empty()) {
        out << "\n"
            << bold(fmt::format("Worst results ({}, lowest score first)", board.worst.size()))
            << "\n";
        for (const auto& r : board.worst) {
            std::string where = r.failed_step.empty() ? ""
                                : r.trajectory.is_object() ? fmt::format("  (stopped at {})", r.failed_step)
                                                           : fmt::format("  (first failing step: {})", r.failed_step);
            out << fmt::format("{:>8}  {:<18} {}{}\n", score_text(r), r.target, result_label(r), where);
            for (const auto& reason : result_reasons(r)) {
                out << fmt::format("{:>10}reason: {}\n", "", one_line(reason, 110));
            }
            for (const auto& line : transcript_lines(r, 110)) {
                out << fmt::format("{:>10}{}\n", "", one_line(line, 110));
            }
            if (r.status != "error") {
                out << fmt::format("{:>10}output: {}\n", "", one_line(r.output, 110));
            }
        }
    }
}

} // namespace orch::report
