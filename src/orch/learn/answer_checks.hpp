#pragma once
// Checks on a model's own answer to a word problem, for cascades (the cheap model answers
// first; these checks say whether to escalate). An answer that states no final number,
// states a fractional one, contradicts its own working, gets its arithmetic wrong, hedges or
// runs long is much more often wrong. No model call, no reference answer.
#include <cstddef>
#include <optional>
#include <string_view>

namespace orch::learn {

struct AnswerChecks {
    // The number after the last final-answer marker ("####", "answer is", "answer:",
    // "\boxed{"); nullopt when there is no marker or no number after it.
    std::optional<double> final_answer;
    bool final_is_integer = false;
    // The final number also appears in the working before the marker (as a result "= X",
    // a "<<…=X>>" annotation, or a plain number): the answer is consistent with the working.
    bool final_in_working = false;
    // The final number equals the last result computed in the working.
    bool final_is_last_result = false;
    int calculations = 0;       // "a op b = c" statements and "<<a op b=c>>" annotations checked
    int calculation_errors = 0; // of which the stated result is wrong
    std::size_t length = 0;     // characters
    int hedges = 0;             // "however", "cannot", "approximately", "round", "assume", …
    bool repeats = false;       // a substantial line is repeated (looping)
};

AnswerChecks check_answer(std::string_view response);

// The value of an arithmetic expression: numbers (with thousands commas and a leading "$"),
// + - * / x ×, ^, parentheses; nullopt when it is not one (or divides by zero).
std::optional<double> evaluate_arithmetic(std::string_view expression);

} // namespace orch::learn
