// How provider failures are classified: HTTP statuses with their bodies, and errors sent inside
// a stream after an HTTP 200 (as Anthropic does for overload, and OpenAI-compatible gateways
// for rate limits), which must be retried or failed over exactly like the same HTTP error.
#include <doctest/doctest.h>
#include <orch/provider/http_provider.hpp>
#include <orch/provider/protocol.hpp>

using orch::ProviderErrorKind;
using orch::provider::classify_error_code;
using orch::provider::classify_http_error;
using orch::provider::SseEvent;

TEST_CASE("provider::a 429 is a rate limit unless the quota is exhausted") {
    auto limited = classify_http_error(429, {{"retry-after", "2"}},
                                       R"({"error":{"code":"rate_limit_exceeded"}})");
    CHECK(limited.kind == ProviderErrorKind::rate_limited);
    REQUIRE(limited.retry_after_s);
    CHECK(*limited.retry_after_s == doctest::Approx(2));
    auto quota = classify_http_error(429, {}, R"({"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}})");
    CHECK(quota.kind == ProviderErrorKind::auth);
    CHECK_FALSE(orch::is_retryable(quota.kind));
    CHECK(quota.message.find("quota exhausted") != std::string::npos);
}

TEST_CASE("provider::error codes sent in a stream map to the same classes as HTTP errors") {
    CHECK(classify_error_code("rate_limit_exceeded", "m").kind == ProviderErrorKind::rate_limited);
    CHECK(classify_error_code("rate_limit_error", "m").kind == ProviderErrorKind::rate_limited);
    CHECK(classify_error_code("overloaded_error", "m").kind == ProviderErrorKind::server);
    CHECK(classify_error_code("context_length_exceeded", "m").kind == ProviderErrorKind::context_length);
    CHECK(classify_error_code("insufficient_quota", "m").kind == ProviderErrorKind::auth);
    CHECK(classify_error_code("authentication_error", "m").kind == ProviderErrorKind::auth);
    CHECK(classify_error_code("something_new", "m").kind == ProviderErrorKind::bad_response);
    CHECK(classify_error_code("overloaded_error", "Overloaded").message.find("Overloaded") != std::string::npos);
}

TEST_CASE("provider::stream decoders keep the code of an error event") {
    SUBCASE("OpenAI: a data line with an error object") {
        auto d = orch::provider::make_openai_protocol()->stream_decoder();
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"content":"Pa"}}]})"});
        d->on_event(SseEvent{"", R"({"error":{"message":"Rate limit reached","code":"rate_limit_exceeded"}})"});
        auto r = d->reply();
        CHECK_FALSE(r.ok);
        CHECK(r.error_code == "rate_limit_exceeded");
        CHECK(r.error.find("Rate limit reached") != std::string::npos);
        CHECK(r.text == "Pa"); // the partial answer is kept
    }
    SUBCASE("Anthropic: an error event with a type") {
        auto d = orch::provider::make_anthropic_protocol()->stream_decoder();
        d->on_event(SseEvent{"error", R"({"type":"error","error":{"type":"overloaded_error","message":"Overloaded"}})"});
        auto r = d->reply();
        CHECK_FALSE(r.ok);
        CHECK(r.error_code == "overloaded_error");
    }
    SUBCASE("a stream without an error event has no code") {
        auto d = orch::provider::make_openai_protocol()->stream_decoder();
        d->on_event(SseEvent{"", R"({"choices":[{"delta":{"content":"Paris"}}]})"});
        d->on_event(SseEvent{"", "[DONE]"});
        auto r = d->reply();
        CHECK(r.ok);
        CHECK(r.error_code.empty());
    }
}
