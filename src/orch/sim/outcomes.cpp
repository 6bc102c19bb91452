#include <orch/core/error.hpp>
#include <orch/sim/outcomes.hpp>
#include <orch/util/rng.hpp>

#include <array>
#include <cmath>
#include <fmt/format.h>
#include <nlohmann/json.hpp>

namespace orch::sim {

namespace {

constexpr std::array<const char*, 4> k_types = {"math", "extract", "chat", "code"};

struct Profile {
    const char* name;
    double cost_usd;              // per call, before a ±20% spread by prompt length
    std::array<double, 4> skill;  // logit of passing, by task type (k_types order)
    double hard_penalty;          // subtracted on hard prompts ("proof" in math)
    double easy_bonus;            // added on easy extract prompts ("table")
};

// Prices do not rank quality: the specialist is the best on extract at a tenth of mid's price.
constexpr std::array<Profile, 6> k_profiles = {{
    {"gen-frontier", 0.0100, {2.6, 1.6, 2.4, 2.4}, 0.6, 0.2},
    {"gen-mid", 0.0020, {1.6, 1.2, 2.0, 1.4}, 2.6, 0.3},
    {"gen-small", 0.0004, {0.6, 0.6, 1.4, 0.4}, 3.5, 0.4},
    {"gen-specialist", 0.0002, {-0.5, 2.4, 0.2, -0.8}, 3.5, 1.5},
    {"gen-local", 0.0000, {-0.2, 0.0, 0.9, -0.4}, 4.0, 0.2},
    {"gen-budget", 0.0001, {0.2, 0.3, 1.1, 0.0}, 3.8, 0.3},
}};

constexpr std::array<const char*, 12> k_words = {"apple", "river", "number", "house",
                                                 "green", "quick", "story", "light",
                                                 "stone", "paper", "cloud", "metal"};

double sigmoid(double x) { return 1 / (1 + std::exp(-x)); }

} // namespace

std::vector<std::string> outcome_models(int models) {
    if (models < 2 || models > static_cast<int>(k_profiles.size())) {
        throw Error(ErrorKind::config,
                    fmt::format("--models: expected 2 to {}, got {}", k_profiles.size(), models));
    }
    std::vector<std::string> out;
    for (int m = 0; m < models; ++m) {
        out.emplace_back(k_profiles[static_cast<std::size_t>(m)].name);
    }
    return out;
}

std::vector<std::string> generate_outcomes(const OutcomeOptions& o) {
    std::vector<std::string> names = outcome_models(o.models);
    util::Rng rng(o.seed);
    std::vector<std::string> lines;
    lines.reserve(o.prompts);
    for (std::size_t i = 0; i < o.prompts; ++i) {
        std::size_t type = rng.below(k_types.size());
        bool hard = type == 0 && rng.uniform() < 0.35;
        bool easy = type == 1 && rng.uniform() < 0.5;
        std::size_t words = 4 + rng.below(12);
        std::string prompt = fmt::format("{} task {}:", k_types[type], i);
        for (std::size_t w = 0; w < words; ++w) {
            prompt += ' ';
            prompt += k_words[rng.below(k_words.size())];
        }
        if (hard) {
            prompt += " proof";
        }
        if (easy) {
            prompt += " table";
        }
        double length_factor = 0.8 + 0.4 * static_cast<double>(words - 4) / 11.0;
        nlohmann::json scores = nlohmann::json::object();
        nlohmann::json costs = nlohmann::json::object();
        double shared = rng.uniform(); // the one draw every model shares with `equal`
        for (std::size_t m = 0; m < names.size(); ++m) {
            const Profile& p = k_profiles[m];
            double logit = p.skill[type] - (hard ? p.hard_penalty : 0) + (easy ? p.easy_bonus : 0);
            double pass = o.equal ? (shared < 0.7 ? 1 : 0) : (rng.uniform() < sigmoid(logit) ? 1 : 0);
            scores[names[m]] = pass;
            costs[names[m]] = std::round(p.cost_usd * length_factor * 1e8) / 1e8;
        }
        nlohmann::json row = {{"id", fmt::format("g{:06}", i)},
                              {"task_type", k_types[type]},
                              {"prompt", prompt},
                              {"scores", scores},
                              {"cost_usd", costs}};
        lines.push_back(row.dump() + "\n");
    }
    return lines;
}

} // namespace orch::sim
