#include "support/process.hpp"

#include <doctest/doctest.h>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>

using orch::test::TempDir;

namespace {

// The message of the config error thrown while loading text as providers.toml.
std::string load_error(const std::string& text) {
    TempDir dir;
    std::string path = dir.write("providers.toml", text);
    try {
        orch::config::load_providers(path);
    } catch (const orch::Error& e) {
        CHECK(e.kind() == orch::ErrorKind::config);
        std::string msg = e.what();
        // Messages name the file by the path given; make them comparable.
        size_t pos = 0;
        while ((pos = msg.find(path, pos)) != std::string::npos) {
            msg.replace(pos, path.size(), "providers.toml");
        }
        return msg;
    }
    return "";
}

const char* k_valid = R"(
[providers.sim]
protocol = "sim"

[models.small]
provider = "sim"
input_per_mtok = 0.1
output_per_mtok = 0.4
[models.small.sim]
skill = { classify = 0.9 }
)";

} // namespace

TEST_CASE("config::load_providers") {
    SUBCASE("loads the default providers.toml with at least four simulated models") {
        auto cfg = orch::config::load_providers(orch::test::source_path("providers.toml"));
        CHECK(cfg.models.size() >= 4);
        const auto* frontier = cfg.find_model("sim-frontier");
        REQUIRE(frontier != nullptr);
        CHECK(frontier->sim.has_value());
        CHECK(frontier->input_per_mtok > cfg.find_model("sim-small")->input_per_mtok);
        CHECK(cfg.find_provider("simlocal")->is_private());
        CHECK(cfg.content_hash.size() == 64);
    }
    SUBCASE("providers.example.toml loads: a working entry for each real runtime and API") {
        auto cfg = orch::config::load_providers(orch::test::source_path("providers.example.toml"));
        for (const char* name : {"llama-server", "ollama", "vllm", "lmstudio", "openai", "anthropic", "openrouter"}) {
            CAPTURE(name);
            const auto* p = cfg.find_provider(name);
            REQUIRE(p != nullptr);
            bool has_model = false;
            for (const auto& m : cfg.models) {
                has_model = has_model || m.provider == name;
            }
            CHECK(has_model);
            // Local runtimes are private and on loopback; cloud APIs take a key from the environment.
            if (p->is_private()) {
                CHECK(p->base_url.rfind("http://127.0.0.1:", 0) == 0);
            } else {
                CHECK_FALSE(p->api_key_env.empty());
                CHECK(p->base_url.rfind("https://", 0) == 0);
            }
        }
        CHECK(cfg.find_provider("anthropic")->protocol == "anthropic");
    }
    SUBCASE("loads a minimal valid file") {
        CHECK(load_error(k_valid).empty());
    }
    SUBCASE("locates a TOML syntax error at its line and column") {
        std::string msg = load_error("[providers.sim]\nprotocol = \"sim\"\nmax_concurrency = = 3\n");
        CHECK(msg.find("providers.toml:3:") == 0);
        CHECK(msg.find("invalid TOML") != std::string::npos);
    }
    SUBCASE("names file, line, key and the expected type for a wrong type") {
        std::string text = k_valid;
        text.replace(text.find("0.1"), 3, "\"x\"");
        std::string msg = load_error(text);
        CHECK(msg == "providers.toml:7:18: models.small.input_per_mtok: expected a number, got the "
                     "string \"x\"");
    }
    SUBCASE("rejects an unknown key so a typo never passes silently") {
        std::string text = std::string(k_valid) + "\n[providers.other]\nprotocol = \"sim\"\nmax_concurency = 3\n";
        std::string msg = load_error(text);
        CHECK(msg.find("providers.toml:14:1: providers.other.max_concurency: unknown key") == 0);
    }
    SUBCASE("reports every problem at once") {
        std::string msg = load_error(R"(
[providers.a]
protocol = "carrier-pigeon"
tier = "edge"
[models.m]
provider = "nowhere"
input_per_mtok = -1
output_per_mtok = 1
)");
        CHECK(msg.find("providers.a.protocol: expected one of") != std::string::npos);
        CHECK(msg.find("providers.a.tier: expected one of \"cloud\", \"local\"") != std::string::npos);
        CHECK(msg.find("models.m.input_per_mtok: expected a number from 0") != std::string::npos);
        CHECK(msg.find("models.m.provider: no provider named \"nowhere\"") != std::string::npos);
        CHECK(msg.find("(4 problems)") != std::string::npos);
    }
    SUBCASE("refuses an API key written in the file") {
        std::string msg = load_error(std::string(k_valid) + "\n[providers.openai]\nprotocol = \"openai\"\n"
                                                            "base_url = \"https://x\"\napi_key = \"sk-123\"\n");
        CHECK(msg.find("providers.openai.api_key: keys never go in files") != std::string::npos);
        CHECK(msg.find("sk-123") == std::string::npos);
    }
    SUBCASE("a sim model needs a profile") {
        std::string msg = load_error("[providers.sim]\nprotocol = \"sim\"\n[models.x]\nprovider = \"sim\"\n"
                                     "input_per_mtok = 1\noutput_per_mtok = 1\n");
        CHECK(msg.find("models.x.sim: missing") != std::string::npos);
    }
    SUBCASE("a missing file is a located error") {
        std::string msg;
        try {
            orch::config::load_providers("/nonexistent/providers.toml");
        } catch (const orch::Error& e) {
            msg = e.what();
        }
        CHECK(msg == "/nonexistent/providers.toml: cannot open the file");
    }
}

TEST_CASE("config::ModelConfig::cost_usd") {
    orch::config::ModelConfig m;
    m.input_per_mtok = 3.0;
    m.output_per_mtok = 15.0;
    m.cached_input_per_mtok = 0.3;
    SUBCASE("prices input and output per million tokens") {
        CHECK(m.cost_usd(1'000'000, 0) == doctest::Approx(3.0));
        CHECK(m.cost_usd(1000, 1000) == doctest::Approx(0.018));
    }
    SUBCASE("bills cached input at the cached price") {
        CHECK(m.cost_usd(1'000'000, 0, 1'000'000) == doctest::Approx(0.3));
    }
}

// toml++ 3.3 runs into __builtin_unreachable() deciding whether a non-ASCII character such as
// 'р' or 'é' is whitespace (found by fuzz_providers_toml). Such text is invalid TOML outside
// strings and comments: a located error, the same in every build.
TEST_CASE("config::non-ASCII text outside strings and comments is a located error") {
    CHECK(load_error("\xd1\x80") ==
          "providers.toml:1:1: invalid TOML: Error while parsing root table: expected keys, tables, whitespace or "
          "comments, saw '\xd1\x80'");
    CHECK(load_error("[providers.sim]\nprotocol = \"sim\" \xc3\xa9\n").find("providers.toml:2:") == 0);
    CHECK(load_error("[providers.sim]\nprotocol = sim\xc3\xa9\n").find("providers.toml:2:") == 0);
    // The Unicode whitespace it knows is still recognised (and refused: TOML allows space and tab).
    CHECK(load_error(std::string(k_valid) + "\xe3\x80\x80# an ideographic space\n") ==
          "providers.toml:11:1: invalid TOML: Error while parsing root table: expected space or tab, saw '\\u3000'");
    // Inside strings (every kind, with escapes and quotes) and comments it is just text.
    std::string fine = std::string(k_valid) +
                       "# caf\xc3\xa9 \"\n"
                       "[providers.x]\nprotocol = \"sim\"\n"
                       "[providers.x.headers]\n"
                       "a = \"caf\xc3\xa9 \\\" still \xc3\xa9\"\n"
                       "b = 'caf\xc3\xa9'\n"
                       "c = \"\"\"\ncaf\xc3\xa9 \"\" \xc3\xa9\n\"\"\"\n"
                       "d = '''\xc3\xa9''''\n"
                       "e = \"\"\"\xc3\xa9\"\"\"\"\" # \xc3\xa9\n";
    CHECK(load_error(fine) == "");
}
