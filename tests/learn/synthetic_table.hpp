#pragma once
// A synthetic run to learn from: an easy task type the weak model handles (better than the
// strong one), and a hard one where a word ("tricky") makes the weak model fail most times.
#include <orch/learn/run_table.hpp>
#include <orch/util/rng.hpp>

#include <fmt/format.h>

namespace orch::test {

inline learn::RunTable synthetic_table(std::size_t n, std::uint64_t seed = 1) {
    learn::RunTable t;
    t.run_id = 1;
    t.models = {"strong", "weak"};
    util::Rng rng(seed);
    const char* fillers[] = {"apple", "river", "number", "house",
                             "green", "quick", "table",  "story"};
    for (std::size_t i = 0; i < n; ++i) {
        learn::Example e;
        e.suite = "synthetic";
        e.task_id = fmt::format("s/{:06}", i);
        e.task_type = i % 2 == 0 ? "easy" : "hard";
        bool tricky = rng.uniform() < 0.3;
        e.prompt =
            fmt::format("Question {}: {} {} {}{}?", i, fillers[rng.below(8)], fillers[rng.below(8)],
                        fillers[rng.below(8)], tricky ? " tricky" : "");
        double p_weak = e.task_type == "easy" ? 0.97 : (tricky ? 0.15 : 0.6);
        double p_strong = e.task_type == "easy" ? 0.9 : 0.85;
        double w = rng.uniform() < p_weak ? 1 : 0;
        double s = rng.uniform() < p_strong ? 1 : 0;
        e.outcomes["weak"] = {w, 0.0001, w > 0 ? "#### 4" : "I cannot tell", 1};
        e.outcomes["strong"] = {s, 0.01, "", 1};
        t.examples.push_back(std::move(e));
    }
    return t;
}

} // namespace orch::test
