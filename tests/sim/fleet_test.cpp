#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/config/providers.hpp>
#include <orch/sim/fleet.hpp>

namespace {

const orch::config::ProvidersConfig& fleet() {
    static auto cfg = orch::config::load_providers(orch::test::source_path("providers.toml"));
    return cfg;
}

orch::Request reason_request(const std::string& key, std::uint64_t seed, double difficulty = 0.6) {
    orch::Request r;
    r.messages = {{"user", "A crate holds 12 boxes of 8 pens. How many pens in 3 crates?"}};
    r.task_type = "reason";
    r.key = key;
    r.seed = seed;
    r.sim_hint = orch::SimHint{"reason", 288, nlohmann::json::array(), difficulty, {}};
    return r;
}

double accuracy(const std::string& model, const std::string& type, nlohmann::json reference,
                nlohmann::json choices = nlohmann::json::array()) {
    const auto* m = fleet().find_model(model);
    int right = 0;
    const int n = 400;
    for (int i = 0; i < n; ++i) {
        orch::Request r;
        r.messages = {{"user", "task"}};
        r.task_type = type;
        r.key = "k" + std::to_string(i);
        r.seed = 7;
        r.sim_hint = orch::SimHint{type, reference, choices, 0.6, {}};
        right += orch::sim::simulate(*m, r).correct ? 1 : 0;
    }
    return right / static_cast<double>(n);
}

} // namespace

TEST_CASE("sim::simulate") {
    const auto* frontier = fleet().find_model("sim-frontier");
    const auto* small = fleet().find_model("sim-small");
    REQUIRE(frontier != nullptr);
    REQUIRE(small != nullptr);

    SUBCASE("is deterministic for a model, key and seed") {
        auto a = orch::sim::simulate(*small, reason_request("t1", 42));
        auto b = orch::sim::simulate(*small, reason_request("t1", 42));
        CHECK(a.text == b.text);
        CHECK(a.latency_ms == b.latency_ms);
        CHECK(a.usage.output_tokens == b.usage.output_tokens);
    }
    SUBCASE("a different seed changes some answers") {
        int differ = 0;
        for (int i = 0; i < 50; ++i) {
            auto a = orch::sim::simulate(*small, reason_request("t" + std::to_string(i), 1));
            auto b = orch::sim::simulate(*small, reason_request("t" + std::to_string(i), 2));
            differ += a.text != b.text;
        }
        CHECK(differ > 5);
    }
    SUBCASE("a wrong reasoning answer is a plausible nearby number") {
        for (int i = 0; i < 100; ++i) {
            auto a = orch::sim::simulate(*small, reason_request("w" + std::to_string(i), 3, 0.9));
            if (!a.correct && !a.failed) {
                CHECK(a.text.find("Answer: 288") == std::string::npos);
                CHECK(a.text.find("Answer: ") != std::string::npos);
                return;
            }
        }
        FAIL("the small model never erred on hard reasoning");
    }
    SUBCASE("skill shapes accuracy: the frontier model reasons better than the small one") {
        double f = accuracy("sim-frontier", "reason", 288);
        double s = accuracy("sim-small", "reason", 288);
        CHECK(f > 0.85);
        CHECK(s < 0.5);
    }
    SUBCASE("the small model classifies nearly as well as the frontier model") {
        nlohmann::json choices = {"billing", "bug", "other"};
        double f = accuracy("sim-frontier", "classify", "bug", choices);
        double s = accuracy("sim-small", "classify", "bug", choices);
        CHECK(s > 0.8);
        CHECK(f - s < 0.1);
    }
    SUBCASE("a wrong label comes from the answer space") {
        orch::Request r;
        r.messages = {{"user", "t"}};
        r.seed = 1;
        for (int i = 0; i < 200; ++i) {
            r.key = std::to_string(i);
            r.sim_hint = orch::SimHint{"classify", "bug", {"billing", "bug", "other"}, 0.95, {}};
            auto a = orch::sim::simulate(*small, r);
            if (!a.correct && !a.failed) {
                std::string lower = a.text;
                for (auto& c : lower) {
                    c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
                }
                CHECK((lower == "billing" || lower == "other"));
                return;
            }
        }
        FAIL("no wrong label seen");
    }
    SUBCASE("input beyond the context window fails as context_length") {
        const auto* local = fleet().find_model("sim-local");
        orch::Request r = reason_request("big", 1);
        r.messages = {{"user", std::string(100000, 'x')}};
        auto a = orch::sim::simulate(*local, r);
        CHECK(a.failed);
        CHECK(a.failure == orch::ProviderErrorKind::context_length);
    }
    SUBCASE("reports latency from the profile: the small model is faster") {
        double fsum = 0, ssum = 0;
        for (int i = 0; i < 100; ++i) {
            fsum += orch::sim::simulate(*frontier, reason_request(std::to_string(i), 5)).latency_ms;
            ssum += orch::sim::simulate(*small, reason_request(std::to_string(i), 5)).latency_ms;
        }
        CHECK(ssum < fsum / 2);
    }
}
