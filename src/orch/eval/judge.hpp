#pragma once
// Judge-model evaluators (SPEC §3): building the judge's prompt and reading its reply.
// Pure functions: the runner makes the calls. Candidate text is always fenced (util/fence)
// and the prompt tells the judge that fenced text is data, so an output cannot instruct
// the judge.
#include <orch/core/types.hpp>
#include <orch/util/result.hpp>

#include <nlohmann/json.hpp>
#include <string>
#include <string_view>
#include <vector>

namespace orch::eval {

bool is_judge_kind(const std::string& kind); // judge_rubric | judge_reference | judge_pairwise

struct JudgeSpec {
    std::string kind;
    std::vector<std::string> judges; // one model, or a panel
    std::string rubric;              // judge_rubric
    std::string criteria;            // judge_pairwise
    std::string reference;           // judge_reference (templated from the row)
    std::string baseline;            // judge_pairwise: the answer the candidate is compared with
    std::string system;              // overrides the judge's instructions (fencing stays)
    double scale_min = 1;
    double scale_max = 10;
    double pass = 0.5; // a normalised score at or above this counts as a pass (calibration)
};

// Validates parameters; the error names the parameter ("judge_rubric: judge: missing").
util::Result<JudgeSpec, std::string> parse_judge_spec(const std::string& kind, const nlohmann::json& params);

struct JudgePrompt {
    std::string variant; // "single", or for pairwise "ab" (candidate first) / "ba" (swapped)
    std::vector<Message> messages;
};

// The prompts to send to each judge: one for rubric/reference, two (swapped) for pairwise.
// `task` is what the candidate was asked (the task's user messages).
std::vector<JudgePrompt> build_judge_prompts(const JudgeSpec& spec, std::string_view task,
                                             std::string_view candidate);
// The reminder appended when a reply could not be read and the judge is asked once more.
std::string retry_reminder(const JudgeSpec& spec);

struct ScoreReading {
    bool ok = false;
    double score = 0; // normalised to [0, 1]
    std::string rationale;
    std::string how; // json | json_in_prose | score_line
};
// Reads a rubric/reference reply: JSON {"score": n, "rationale": …}, JSON inside prose, or a
// "Score: 7/10" line. Scores outside the scale are unreadable, never clamped.
ScoreReading read_score_reply(std::string_view reply, const JudgeSpec& spec);

enum class Preference { first, second, tie, unreadable };
struct PreferenceReading {
    Preference preference = Preference::unreadable;
    std::string rationale;
};
// Reads a pairwise reply: JSON {"winner": "A"|"B"|"tie"}, "Winner: A", or "[[A]]".
PreferenceReading read_pairwise_reply(std::string_view reply);

struct PairwiseVerdict {
    double score = 0.5; // candidate: 1 win, 0 loss, 0.5 tie or disagreement
    bool consistent = true; // both orders agreed
    std::string reason;
};
// Combines the judgements of both orders (candidate first, then candidate second): when the
// two disagree the result is a tie, reported as such, never a win for either.
PairwiseVerdict combine_pairwise(Preference candidate_first, Preference candidate_second);

} // namespace orch::eval
