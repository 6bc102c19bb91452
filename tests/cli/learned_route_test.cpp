// A policy learned by `orch tune` is used directly by `orch route`.
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <filesystem>

using orch::test::run_orch;
using orch::test::TempDir;

namespace {
const char* k_providers = R"(
[providers.sim]
protocol = "sim"
[models."gpt-4-1106-preview"]
provider = "sim"
input_per_mtok = 24.7
output_per_mtok = 24.7
[models."gpt-4-1106-preview".sim]
skill = { default = 0.9 }
[models."mistralai/Mixtral-8x7B-Instruct-v0.1"]
provider = "sim"
input_per_mtok = 0.24
output_per_mtok = 0.24
[models."mistralai/Mixtral-8x7B-Instruct-v0.1".sim]
skill = { default = 0.6 }
)";
} // namespace

TEST_CASE("cli::route with a policy learned by orch tune") {
    std::string data = std::string(ORCH_SOURCE_DIR) + "/../shared/data/routellm/mmlu";
    if (!std::filesystem::is_directory(data)) {
        MESSAGE("skipped: the RouteLLM data is not at " << data);
        return;
    }
    TempDir dir;
    std::string db = dir.file("l.db");
    std::string providers = dir.write("providers.toml", k_providers);
    REQUIRE(run_orch({"--db", db, "import", "routellm", data + "/mmlu_anatomy.csv", data + "/mmlu_virology.csv"})
                .exit_code == 0);
    REQUIRE(run_orch({"--db", db, "tune", "--run", "1", "-o", dir.file("learned.toml")}).exit_code == 0);

    SUBCASE("--explain shows the learned score and the model it picks, without calling one") {
        auto r = run_orch({"--providers", providers, "--db", db, "route", "--policy", dir.file("learned.toml"),
                           "--type", "mmlu_anatomy", "--explain", "Which bone forms the back of the skull?"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("learned score") != std::string::npos);
        CHECK(r.out.find("chain: ") != std::string::npos);
    }
    SUBCASE("routing answers through the model the scorer chose") {
        auto r = run_orch({"--providers", providers, "--db", db, "route", "--policy", dir.file("learned.toml"),
                           "--type", "mmlu_virology", "--json", "Which virus family includes influenza?"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("\"rule\": \"learned\"") != std::string::npos);
    }
    SUBCASE("a missing scorer file is a located config error") {
        std::filesystem::remove(dir.file("learned.scorer.json"));
        auto r = run_orch({"--providers", providers, "--db", db, "route", "--policy", dir.file("learned.toml"),
                           "--explain", "hi"});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("scorer: scorer file not found") != std::string::npos);
    }
}
