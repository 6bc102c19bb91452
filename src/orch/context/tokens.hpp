#pragma once
// Token counts per model, calibrated from what providers report. Before a call the harness only
// has characters; each model's tokenizer turns them into a different number of tokens. The
// rough estimate (core's estimate_tokens: ~4 characters a token, plus a few tokens of framing
// per message) has its text part scaled by what this model's calls have reported so far (their
// reported input tokens, less the framing, over the rough count of their text, over every call
// observed); the figure is refined as a run goes and kept in the store between runs.
#include <orch/core/types.hpp>

#include <cstdint>
#include <map>
#include <mutex>
#include <string>
#include <vector>

namespace orch::context {

// One model's evidence: the rough count of the text of the calls observed, and what their
// providers reported for it (their input tokens less the framing).
struct Calibration {
    std::string model;
    std::int64_t estimated = 0;
    std::int64_t reported = 0;
    std::int64_t calls = 0;
    double factor() const; // reported / estimated; 1 with no evidence
};

// The rough estimate in its two parts: the text, and the framing of each message and call.
struct RoughCount {
    std::int64_t text = 0;
    std::int64_t framing = 0;
};
RoughCount rough_count(const std::vector<Message>& messages);

class TokenCounter {
  public:
    TokenCounter() = default;
    // Starts from the evidence stored by earlier runs.
    void load(const std::vector<Calibration>& stored);

    // The calibrated estimate of these messages for `model` (the rough one when it has no
    // evidence yet).
    std::int64_t estimate(const std::string& model, const std::vector<Message>& messages) const;
    double factor(const std::string& model) const;
    // A call's reported input tokens for these messages.
    void observe(const std::string& model, const std::vector<Message>& messages, std::int64_t reported);
    // What was observed since the last call, per model (to add to the stored evidence).
    std::vector<Calibration> take_observed();

  private:
    mutable std::mutex m_mutex;
    std::map<std::string, Calibration> m_total;
    std::map<std::string, Calibration> m_new;
};

} // namespace orch::context
