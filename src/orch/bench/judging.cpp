#include <orch/bench/judging.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::bench {

PendingJudgement::PendingJudgement(const config::Task& task, std::string output, std::uint64_t seed,
                                   std::string result_key)
    : m_output(std::move(output)), m_seed(seed), m_key(std::move(result_key)) {
    for (const auto& m : task.messages) {
        if (m.role == "user") {
            m_task_text += (m_task_text.empty() ? "" : "\n\n") + m.content;
        }
    }
    for (std::size_t i = 0; i < task.evaluators.size(); ++i) {
        const auto& e = task.evaluators[i];
        if (!eval::is_judge_kind(e.kind)) {
            continue;
        }
        auto spec = eval::parse_judge_spec(e.kind, e.params); // checked when the run was planned
        if (!spec) {
            continue;
        }
        EvaluatorState st;
        st.spec = std::move(spec.value());
        std::size_t variants = st.spec.kind == "judge_pairwise" ? 2 : 1;
        st.readings.assign(st.spec.judges.size(), std::vector<Reading>(variants));
        m_outstanding += static_cast<int>(st.spec.judges.size() * variants);
        m_judges.emplace(i, std::move(st));
    }
}

JudgeCallSpec PendingJudgement::make_call(std::size_t evaluator, std::size_t judge, std::size_t variant,
                                          int attempt) const {
    const EvaluatorState& st = m_judges.at(evaluator);
    auto prompts = eval::build_judge_prompts(st.spec, m_task_text, m_output);
    JudgeCallSpec c;
    c.evaluator = evaluator;
    c.judge = judge;
    c.judge_model = st.spec.judges[judge];
    c.variant = prompts[variant].variant;
    c.attempt = attempt;
    c.request.messages = std::move(prompts[variant].messages);
    if (attempt > 0) {
        c.request.messages.push_back({"user", eval::retry_reminder(st.spec)});
    }
    c.request.params.temperature = 0.0;
    c.request.params.max_tokens = 300;
    c.request.task_type = st.spec.kind;
    c.request.key = fmt::format("judge/{}/{}/{}/{}/{}", m_key, evaluator, c.judge_model, c.variant, attempt);
    c.request.seed = m_seed;
    return c;
}

std::vector<JudgeCallSpec> PendingJudgement::initial_calls() const {
    std::vector<JudgeCallSpec> out;
    for (const auto& [index, st] : m_judges) {
        for (std::size_t j = 0; j < st.readings.size(); ++j) {
            for (std::size_t v = 0; v < st.readings[j].size(); ++v) {
                out.push_back(make_call(index, j, v, 0));
            }
        }
    }
    return out;
}

std::vector<JudgeCallSpec> PendingJudgement::on_reply(const JudgeCallSpec& call, const provider::Outcome& outcome) {
    EvaluatorState& st = m_judges.at(call.evaluator);
    std::size_t v = call.variant == "ba" ? 1 : 0;
    Reading& r = st.readings[call.judge][v];
    store::JudgeCall record;
    record.evaluator = st.spec.kind;
    record.judge_model = call.judge_model;
    std::string prompt_text;
    for (const auto& m : call.request.messages) {
        prompt_text += m.role + ":" + m.content + "\x1e";
    }
    record.prompt_hash = util::sha256_hex(prompt_text);
    if (!outcome) {
        r.done = true;
        r.failed = true;
        r.error = fmt::format("judge {} unreachable: {}", call.judge_model, outcome.error().message);
        record.status = "error";
        record.raw_reply = outcome.error().message;
        record.latency_ms = outcome.error().latency_ms;
        m_calls.push_back(std::move(record));
        --m_outstanding;
        return {};
    }
    const Completion& c = outcome.value();
    m_cost += c.cost_usd;
    record.raw_reply = c.text;
    record.input_tokens = c.usage.input_tokens;
    record.output_tokens = c.usage.output_tokens;
    record.cost_usd = c.cost_usd;
    record.latency_ms = c.latency_ms;
    r.raw = c.text;
    if (st.spec.kind == "judge_pairwise") {
        auto p = eval::read_pairwise_reply(c.text);
        r.readable = p.preference != eval::Preference::unreadable;
        r.preference = p.preference;
        if (r.readable) {
            record.score = p.preference == eval::Preference::first ? 1.0 : p.preference == eval::Preference::second ? 0.0 : 0.5;
        }
    } else {
        auto s = eval::read_score_reply(c.text, st.spec);
        r.readable = s.ok;
        r.score = s.score;
        if (s.ok) {
            record.score = s.score;
        }
    }
    record.status = r.readable ? "scored" : "unscored";
    m_calls.push_back(std::move(record));
    if (!r.readable && call.attempt == 0) {
        return {make_call(call.evaluator, call.judge, v, 1)}; // one more chance, then unscored
    }
    r.done = true;
    --m_outstanding;
    return {};
}

std::map<std::size_t, eval::Verdict> PendingJudgement::verdicts() const {
    std::map<std::size_t, eval::Verdict> out;
    for (const auto& [index, st] : m_judges) {
        std::vector<double> scores;
        std::vector<std::string> problems;
        std::vector<std::string> notes;
        for (std::size_t j = 0; j < st.readings.size(); ++j) {
            const auto& rs = st.readings[j];
            const std::string& judge = st.spec.judges[j];
            bool failed = false;
            for (const auto& r : rs) {
                if (r.failed) {
                    problems.push_back(r.error);
                    failed = true;
                } else if (!r.readable) {
                    problems.push_back(fmt::format("judge {} reply unreadable after a retry: \"{}\"", judge,
                                                   util::truncate(r.raw, 160)));
                    failed = true;
                }
            }
            if (failed) {
                continue;
            }
            if (st.spec.kind == "judge_pairwise") {
                auto v = eval::combine_pairwise(rs[0].preference, rs[1].preference);
                scores.push_back(v.score);
                notes.push_back(fmt::format("{}: {}", judge, v.reason));
            } else {
                scores.push_back(rs[0].score);
                notes.push_back(fmt::format("{}: {:.2f}", judge, rs[0].score));
            }
        }
        eval::Verdict verdict;
        if (scores.empty()) {
            verdict.ok = false;
            verdict.reason = util::join(problems, "; ");
        } else {
            double sum = 0;
            int pass = 0;
            for (double s : scores) {
                sum += s;
                pass += s >= st.spec.pass ? 1 : 0;
            }
            verdict.score = sum / static_cast<double>(scores.size());
            verdict.reason = util::join(notes, "; ");
            if (st.spec.judges.size() > 1) {
                double agreement = static_cast<double>(std::max(pass, static_cast<int>(scores.size()) - pass)) /
                                   static_cast<double>(scores.size());
                verdict.reason = fmt::format("panel of {}: mean {:.2f}, agreement {:.0f}%{} ({})", st.spec.judges.size(),
                                             verdict.score, agreement * 100,
                                             problems.empty() ? "" : fmt::format(", {} unscored", problems.size()),
                                             verdict.reason);
            }
        }
        out[index] = std::move(verdict);
    }
    return out;
}

} // namespace orch::bench
