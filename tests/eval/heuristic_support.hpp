#pragma once
// Shared by the eval tests: build a heuristic from JSON parameters and run it on one output.
#include <orch/eval/heuristic.hpp>

#include <doctest/doctest.h>

#include <string>

namespace orch::eval::testing {

inline Verdict run(const std::string& kind, const nlohmann::json& params, std::string_view output,
                   bool negate = false) {
    auto h = make_heuristic(kind, params, negate);
    REQUIRE_MESSAGE(h.has_value(), (h.has_value() ? std::string() : h.error()));
    Verdict v = h.value()->evaluate(Candidate{output, 0, 0});
    CHECK(v.ok);
    return v;
}

// The construction error, or "" when the parameters were accepted.
inline std::string error_of(const std::string& kind, const nlohmann::json& params) {
    auto h = make_heuristic(kind, params);
    return h.has_value() ? std::string() : h.error();
}

inline bool has(const std::string& text, const std::string& part) {
    return text.find(part) != std::string::npos;
}

} // namespace orch::eval::testing

// Checks that `text` contains `part`, printing the whole text when it does not.
#define CHECK_HAS(text, part) CHECK_MESSAGE(::orch::eval::testing::has((text), (part)), (text))
