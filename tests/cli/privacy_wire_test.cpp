// Sensitive input never reaches an external provider, checked at the wire: the simulated
// server's request log is read line by line.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>
#include <sstream>

using orch::test::run_orch;
using orch::test::TempDir;

TEST_CASE("route::privacy at the wire") {
    TempDir dir;
    std::string fleet = dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    std::string log = dir.file("requests.jsonl");
    orch::test::SimServerProcess server(fleet, {"--latency-scale", "0", "--log", log});
    std::string providers = dir.write("providers.toml", R"(
[providers.ext]
protocol = "openai"
base_url = ")" + server.base_url() + R"("
privacy = "external"
[providers.home]
protocol = "openai"
base_url = ")" + server.base_url() + R"("
tier = "local"
privacy = "private"
[models.cloud]
provider = "ext"
id = "sim-frontier"
input_per_mtok = 3
output_per_mtok = 15
[models.onprem]
provider = "home"
id = "sim-local"
input_per_mtok = 0
output_per_mtok = 0
[policies.redacting]
[[policies.redacting.rules]]
name = "mask"
action = "privacy"
models = ["cloud"]
redact = true
[policies.keep-home]
[[policies.keep-home.rules]]
name = "home"
action = "privacy"
models = ["cloud", "onprem"]
[policies.cloud-only]
[[policies.cloud-only.rules]]
name = "all"
action = "fallback"
models = ["cloud"]
)");
    const std::string card = "4111 1111 1111 1111";
    const std::string email = "jane.doe@example.com";
    const std::string prompt = "Please update my card to " + card + " and mail the receipt to " + email + ".";
    auto route = [&](const std::string& policy) {
        return run_orch({"--providers", providers, "--db", dir.file("r.db"), "route", "--policy", policy, prompt});
    };
    // Every logged request: (model, body).
    auto requests = [&] {
        std::vector<std::pair<std::string, std::string>> out;
        std::istringstream in(orch::test::read_text(log));
        std::string line;
        while (std::getline(in, line)) {
            auto j = nlohmann::json::parse(line, nullptr, false);
            if (j.is_object() && j.contains("body") && j["body"].is_string()) {
                out.emplace_back(j.value("model", ""), j["body"].get<std::string>());
            }
        }
        return out;
    };

    SUBCASE("redacted before it leaves for an external model") {
        auto r = route("redacting");
        CHECK(r.exit_code == 0);
        auto reqs = requests();
        REQUIRE(reqs.size() == 1);
        CHECK(reqs[0].first == "sim-frontier");
        CHECK(reqs[0].second.find("4111") == std::string::npos);
        CHECK(reqs[0].second.find(email) == std::string::npos);
        CHECK(reqs[0].second.find("[CARD]") != std::string::npos);
    }
    SUBCASE("sent only to the private model when the rule has one") {
        auto r = route("keep-home");
        CHECK(r.exit_code == 0);
        for (const auto& [model, body] : requests()) {
            CHECK(model == "sim-local");
            CHECK(body.find(card) != std::string::npos);
        }
        CHECK_FALSE(requests().empty());
    }
    SUBCASE("refused with exit 5 and nothing on the wire when no private model is allowed") {
        auto r = route("cloud-only");
        CHECK(r.exit_code == 5);
        CHECK(r.out.empty());
        CHECK(requests().empty());
    }
}
