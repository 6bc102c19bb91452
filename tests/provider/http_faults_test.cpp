// Every fault class `orch sim serve` can inject, through the real HTTP provider (libcurl on
// 127.0.0.1), in both protocols, whole and streamed: the same class and the server's own
// message either way, and retried exactly when the class is worth retrying.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <doctest/doctest.h>
#include <orch/config/providers.hpp>
#include <orch/http/client.hpp>
#include <orch/provider/http_provider.hpp>
#include <orch/sim/answer_key.hpp>
#include <orch/sim/server.hpp>

#include <future>

using orch::ProviderErrorKind;

namespace {

const orch::config::ProvidersConfig& fleet() { return orch::test::fleet_without_failures(); }

const orch::config::ModelConfig& model(const std::string& name) {
    for (const auto& m : fleet().models) {
        if (m.name == name) {
            return m;
        }
    }
    FAIL("no model " << name);
    throw;
}

struct Fault {
    const char* spec;        // served to the first request only
    ProviderErrorKind kind;  // what the provider must call it
    const char* says;        // a piece of the server's message (or ours) the error must keep
    bool retried;            // whether a second attempt is made (and then succeeds)
};

// `says` for context and auth differ by protocol only in wording; both carry one of these.
const Fault k_faults[] = {
    {"429=0", ProviderErrorKind::rate_limited, "rate limit", true},
    {"500", ProviderErrorKind::server, "simulated", true},
    {"502", ProviderErrorKind::server, "Bad gateway", true},
    {"503", ProviderErrorKind::server, "verloaded", true},
    {"reset", ProviderErrorKind::transport, "", true},
    {"truncate", ProviderErrorKind::transport, "", true},
    {"malformed", ProviderErrorKind::bad_response, "", false},
    {"context", ProviderErrorKind::context_length, "context window", false},
    {"auth", ProviderErrorKind::auth, "authentication failed", false},
};

orch::provider::Outcome call_once(const std::string& protocol, bool stream, const std::string& faults,
                                  std::int64_t max_retries, int* requests_seen) {
    orch::sim::ServerOptions o;
    o.latency_scale = 0;
    o.threads = 8;
    o.faults = faults;
    auto server = std::make_unique<orch::sim::Server>(
        fleet(), orch::sim::AnswerKey::from_paths({orch::test::source_path("tasks")}), o);
    server->start();

    orch::config::ProviderConfig cfg;
    cfg.name = "http";
    cfg.protocol = protocol;
    cfg.base_url = "http://127.0.0.1:" + std::to_string(server->port()) + "/v1";
    cfg.stream = stream;
    cfg.max_retries = max_retries;
    cfg.timeout_s = 10;
    std::shared_ptr<orch::http::HttpClient> client = orch::http::make_curl_client();
    orch::provider::RetryPolicy fast;
    fast.base_delay_ms = 1;
    fast.max_delay_ms = 5;
    orch::provider::HttpProvider provider(
        cfg, protocol == "openai" ? orch::provider::make_openai_protocol() : orch::provider::make_anthropic_protocol(),
        client, fast);

    orch::Request req;
    req.messages = {{"user", "Say something of at least a few words, please."}};
    req.params.max_tokens = 64;
    req.key = "faults-test";
    std::promise<orch::provider::Outcome> done;
    provider.start(model("sim-small"), req, [&](orch::provider::Outcome out) { done.set_value(std::move(out)); });
    auto outcome = done.get_future().get();
    *requests_seen = static_cast<int>(server->requests());
    return outcome;
}

std::string lower(std::string s) {
    for (auto& c : s) {
        c = static_cast<char>(std::tolower(static_cast<unsigned char>(c)));
    }
    return s;
}

} // namespace

TEST_CASE("provider::every fault class is classified alike whole and streamed, in both protocols") {
    for (const char* protocol : {"openai", "anthropic"}) {
        for (bool stream : {false, true}) {
            for (const auto& f : k_faults) {
                CAPTURE(protocol);
                CAPTURE(stream);
                CAPTURE(f.spec);
                int seen = 0;
                // No retries: the error itself, as the server sent it.
                auto o = call_once(protocol, stream, std::string(f.spec) + "@1", 0, &seen);
                REQUIRE_FALSE(o.has_value());
                CHECK(o.error().kind == f.kind);
                CHECK(lower(o.error().message).find(lower(f.says)) != std::string::npos);
                CHECK(o.error().retries == 0);
                CHECK(seen == 1);
                if (std::string(f.spec) == "truncate" && stream) {
                    // A stream cut before its terminator says so, and how far it got.
                    CHECK(o.error().message.find("cut before its terminator") != std::string::npos);
                }
                // With one retry allowed: the retryable classes succeed on the second request;
                // the others fail at once, without a second request.
                o = call_once(protocol, stream, std::string(f.spec) + "@1", 1, &seen);
                if (f.retried) {
                    REQUIRE(o.has_value());
                    CHECK(o.value().retries == 1);
                    CHECK_FALSE(o.value().text.empty());
                    CHECK(seen == 2);
                } else {
                    REQUIRE_FALSE(o.has_value());
                    CHECK(o.error().kind == f.kind);
                    CHECK(seen == 1);
                }
            }
        }
    }
}

TEST_CASE("provider::a streamed request's error reply keeps the server's body") {
    for (const char* protocol : {"openai", "anthropic"}) {
        CAPTURE(protocol);
        int seen = 0;
        auto o = call_once(protocol, true, "context@1", 0, &seen);
        REQUIRE_FALSE(o.has_value());
        CHECK(o.error().http_status == 400);
        // The server's own words, not an empty "HTTP 400: ".
        std::string m = o.error().message;
        CHECK((m.find("maximum context length") != std::string::npos ||
               m.find("prompt is too long") != std::string::npos));
        o = call_once(protocol, true, "auth@1", 0, &seen);
        REQUIRE_FALSE(o.has_value());
        CHECK(o.error().http_status == 401);
        CHECK(lower(o.error().message).find("key") != std::string::npos);
    }
}
