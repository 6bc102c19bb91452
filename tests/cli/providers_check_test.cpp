// orch providers check: one call per provider, over real HTTP against `orch sim serve`, showing
// which answer, which reject the key and which cannot be reached.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <nlohmann/json.hpp>

using orch::test::read_text;
using orch::test::run_orch;
using orch::test::SimServerProcess;
using orch::test::source_path;
using orch::test::TempDir;

namespace {

// The default simulated fleet plus four HTTP providers: two that answer (OpenAI, and Anthropic
// streaming), one whose key variable is unset, and one at a port nothing listens on.
std::string check_providers(const std::string& base_url) {
    std::string text = read_text(source_path("providers.toml"));
    auto model = [](const std::string& name, const std::string& provider, const std::string& id,
                    double in, double out) {
        return "[models." + name + "]\nprovider = \"" + provider + "\"\nid = \"" + id +
               "\"\ninput_per_mtok = " + std::to_string(in) + "\noutput_per_mtok = " + std::to_string(out) +
               "\n\n";
    };
    text += "\n[providers.live]\nprotocol = \"openai\"\nbase_url = \"" + base_url + "\"\n\n";
    text += "[providers.live-anthropic]\nprotocol = \"anthropic\"\nbase_url = \"" + base_url +
            "\"\nstream = true\n\n";
    text += "[providers.nokey]\nprotocol = \"openai\"\nbase_url = \"" + base_url +
            "\"\napi_key_env = \"ORCH_CHECK_TEST_UNSET_KEY\"\n\n";
    text += "[providers.down]\nprotocol = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\nconnect_timeout_s = 2\n\n";
    text += model("live-small", "live", "sim-small", 0.1, 0.4);
    text += model("live-mid", "live", "sim-mid", 1.0, 4.0); // dearer: not the one called
    text += model("live-claude", "live-anthropic", "sim-mid", 1.0, 4.0);
    text += model("nokey-small", "nokey", "sim-small", 0.1, 0.4);
    text += model("down-small", "down", "sim-small", 0.1, 0.4);
    return text;
}

const nlohmann::json& row(const nlohmann::json& j, const std::string& provider) {
    for (const auto& r : j.at("providers")) {
        if (r.at("provider") == provider) {
            return r;
        }
    }
    FAIL("no row for " << provider);
    static nlohmann::json none;
    return none;
}

} // namespace

TEST_CASE("cli::providers check reports reachability, auth and latency per provider") {
    TempDir dir;
    std::string fleet = dir.write("fleet.toml", read_text(source_path("providers.toml")));
    SimServerProcess server(fleet, {"--latency-scale", "0.05"});
    std::string providers = dir.write("providers.toml", check_providers(server.base_url()));

    auto r = run_orch({"--providers", providers, "providers", "check", "--json"}, "", "",
                      {"ORCH_CHECK_TEST_UNSET_KEY="});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 3); // some provider failed
    CHECK(r.err.find("2 of 6 providers in use failed") != std::string::npos);
    auto j = nlohmann::json::parse(r.out);
    CHECK(j.at("failed") == 2);

    const auto& live = row(j, "live");
    CHECK(live.at("ok") == true);
    CHECK(live.at("model") == "live-small"); // the cheapest model of the provider
    CHECK(live.at("simulated") == false);
    CHECK(live.at("latency_ms").get<double>() > 0);

    const auto& claude = row(j, "live-anthropic");
    CHECK(claude.at("ok") == true);
    CHECK(claude.at("ttft_ms").is_number()); // streamed: time to first token recorded

    const auto& nokey = row(j, "nokey");
    CHECK(nokey.at("ok") == false);
    CHECK(nokey.at("error_kind") == "auth");
    CHECK(nokey.at("message").get<std::string>().find("ORCH_CHECK_TEST_UNSET_KEY") != std::string::npos);

    const auto& down = row(j, "down");
    CHECK(down.at("ok") == false);
    CHECK(down.at("error_kind") == "transport");

    const auto& sim = row(j, "simcloud");
    CHECK(sim.at("ok") == true);
    CHECK(sim.at("simulated") == true);

    SUBCASE("only the providers asked for; all answer: exit 0 and a table") {
        auto one = run_orch({"--providers", providers, "providers", "check", "--provider", "live",
                             "--provider", "live-anthropic"});
        INFO(one.out << one.err);
        CHECK(one.exit_code == 0);
        CHECK(one.out.find("live-small") != std::string::npos);
        CHECK(one.out.find("nokey") == std::string::npos);
        CHECK(one.out.find("2 of 2 providers in use answered") != std::string::npos);
    }
    SUBCASE("an unknown provider name is a usage error") {
        auto bad = run_orch({"--providers", providers, "providers", "check", "--provider", "nosuch"});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("--provider nosuch") != std::string::npos);
    }
}

TEST_CASE("cli::providers check warns about a provider no model uses and does not fail for it") {
    TempDir dir;
    std::string fleet = dir.write("fleet.toml", read_text(source_path("providers.toml")));
    SimServerProcess server(fleet, {"--latency-scale", "0"});
    // The default fleet plus one provider that answers and one that nothing uses (and that
    // could not be reached if it were called).
    std::string text = read_text(source_path("providers.toml"));
    text += "\n[providers.live]\nprotocol = \"openai\"\nbase_url = \"" + server.base_url() + "\"\n\n";
    text += "[models.live-small]\nprovider = \"live\"\nid = \"sim-small\"\ninput_per_mtok = 0.1\n"
            "output_per_mtok = 0.4\n\n";
    text += "[providers.spare]\nprotocol = \"openai\"\nbase_url = \"http://127.0.0.1:1/v1\"\n";
    std::string providers = dir.write("providers.toml", text);
    int spare_line = 0;
    {
        int n = 0;
        size_t pos = 0;
        size_t at = text.find("[providers.spare]");
        while ((pos = text.find('\n', pos)) != std::string::npos && pos < at) {
            ++n;
            ++pos;
        }
        spare_line = n + 1;
    }

    auto r = run_orch({"--providers", providers, "providers", "check"});
    INFO(r.out << r.err);
    CHECK(r.exit_code == 0);
    CHECK(r.out.find("3 of 3 providers in use answered (1 not used by any model: not called)") != std::string::npos);
    CHECK(r.err.find("warning: " + providers + ":" + std::to_string(spare_line)) != std::string::npos);
    CHECK(r.err.find("providers.spare: no model uses this provider") != std::string::npos);

    auto j = run_orch({"--providers", providers, "providers", "check", "--json"});
    CHECK(j.exit_code == 0);
    auto out = nlohmann::json::parse(j.out);
    CHECK(out.at("failed") == 0);
    CHECK(out.at("unused") == 1);
    CHECK(row(out, "spare").at("unused") == true);
    CHECK(row(out, "spare").at("error_kind").is_null());

    SUBCASE("a provider in use that fails still fails the check") {
        std::string broken = text + "\n[models.spare-small]\nprovider = \"spare\"\nid = \"x\"\n"
                                    "input_per_mtok = 0.01\noutput_per_mtok = 0.01\n";
        std::string path = dir.write("broken.toml", broken);
        auto b = run_orch({"--providers", path, "providers", "check"});
        CHECK(b.exit_code == 3);
        CHECK(b.err.find("1 of 4 providers in use failed") != std::string::npos);
    }
}
