#pragma once
// Judging one result: the judge calls its judge evaluators need, retrying an unreadable reply
// once, and the verdicts once every call has answered. The runner makes the calls; this
// class only decides what to ask and how to read the answers. Not thread-safe: the runner
// drives it from its main loop.
#include <orch/config/suite.hpp>
#include <orch/eval/heuristic.hpp>
#include <orch/eval/judge.hpp>
#include <orch/provider/provider.hpp>
#include <orch/store/store.hpp>

#include <map>
#include <string>
#include <vector>

namespace orch::bench {

struct JudgeCallSpec {
    std::size_t evaluator = 0; // index into the task's evaluators
    std::size_t judge = 0;     // index into the evaluator's judges
    std::string judge_model;
    std::string variant;       // single | ab | ba
    int attempt = 0;           // 1 = the retry after an unreadable reply
    Request request;
};

class PendingJudgement {
  public:
    PendingJudgement(const config::Task& task, std::string output, std::uint64_t seed, std::string result_key);

    bool has_judges() const { return !m_judges.empty(); }
    // The calls to start now (all of them: judges and orders are independent).
    std::vector<JudgeCallSpec> initial_calls() const;
    // Records a reply; returns a retry call when the reply was unreadable the first time.
    std::vector<JudgeCallSpec> on_reply(const JudgeCallSpec& call, const provider::Outcome& outcome);
    bool complete() const { return m_outstanding == 0; }

    // Verdicts per judge evaluator index (valid once complete).
    std::map<std::size_t, eval::Verdict> verdicts() const;
    const std::vector<store::JudgeCall>& calls() const { return m_calls; }
    double cost_usd() const { return m_cost; }

  private:
    struct Reading {
        bool done = false;
        bool readable = false;
        bool failed = false; // the call itself failed
        double score = 0;
        eval::Preference preference = eval::Preference::unreadable;
        std::string raw;
        std::string error;
    };
    struct EvaluatorState {
        eval::JudgeSpec spec;
        // [judge][variant index] (variant 0 = single or ab, 1 = ba)
        std::vector<std::vector<Reading>> readings;
    };
    JudgeCallSpec make_call(std::size_t evaluator, std::size_t judge, std::size_t variant, int attempt) const;

    std::string m_output;
    std::uint64_t m_seed;
    std::string m_key;
    std::string m_task_text;
    std::map<std::size_t, EvaluatorState> m_judges;
    int m_outstanding = 0;
    std::vector<store::JudgeCall> m_calls;
    double m_cost = 0;
};

} // namespace orch::bench
