#pragma once
// The check a cascade runs on a cheap model's answer before accepting it: any heuristic
// evaluator (through eval::make_heuristic), or the model's own stated confidence.
#include <orch/config/policy.hpp>
#include <orch/core/types.hpp>
#include <orch/util/result.hpp>

#include <memory>
#include <optional>
#include <string>
#include <string_view>

namespace orch::eval {
class Heuristic;
}

namespace orch::route {

struct CheckVerdict {
    bool passed = false;
    std::string reason;
};

class AnswerCheck {
  public:
    // Builds the check; the error is the evaluator's own message.
    static util::Result<std::shared_ptr<const AnswerCheck>, std::string>
    build(const config::CascadeCheck& spec);
    CheckVerdict run(const Completion& answer) const;

  private:
    config::CascadeCheck m_spec;
    std::shared_ptr<const eval::Heuristic> m_heuristic; // null for "confidence"
};

// The confidence an answer states about itself: the number after the last "confidence"
// ("Confidence: 0.82", "confidence = 85%"), as a fraction; nullopt when there is none.
std::optional<double> stated_confidence(std::string_view text);

} // namespace orch::route
