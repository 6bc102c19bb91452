#include <doctest/doctest.h>
#include <orch/core/error.hpp>
#include <orch/sim/faults.hpp>

#include <string>

using orch::sim::FaultKind;
using orch::sim::FaultPlan;

namespace {

// The message of the config error a bad spec throws ("" when it parses).
std::string parse_error(const std::string& spec) {
    try {
        FaultPlan::parse(spec);
    } catch (const orch::Error& e) {
        CHECK(e.kind() == orch::ErrorKind::config);
        return e.what();
    }
    return "";
}

} // namespace

TEST_CASE("sim::FaultPlan") {
    SUBCASE("an empty spec injects nothing") {
        auto plan = FaultPlan::parse("");
        CHECK(plan.empty());
        for (std::uint64_t seq = 1; seq <= 100; ++seq) {
            CHECK_FALSE(plan.pick(seq, 42).has_value());
        }
    }
    SUBCASE("reads every kind, with arguments defaulted or as written") {
        auto plan =
            FaultPlan::parse("429:0.1, 429=2.5:0.1,500:0,502:0,503:0,hang:0,hang=3:0,reset:0,"
                             "truncate:0,malformed:0,context:0,slow:0,slow=250:0,auth:0");
        const auto& items = plan.items();
        REQUIRE(items.size() == 14);
        CHECK(items[0].fault.kind == FaultKind::rate_limited);
        CHECK(items[0].fault.arg == 1);
        CHECK(items[0].rate == doctest::Approx(0.1));
        CHECK(items[1].fault.arg == 2.5);
        CHECK(items[1].text == "429=2.5:0.1");
        CHECK(items[2].fault.kind == FaultKind::internal_error);
        CHECK(items[3].fault.kind == FaultKind::bad_gateway);
        CHECK(items[4].fault.kind == FaultKind::unavailable);
        CHECK(items[5].fault.arg == 30);
        CHECK(items[6].fault.arg == 3);
        CHECK(items[7].fault.kind == FaultKind::reset);
        CHECK(items[8].fault.kind == FaultKind::truncate);
        CHECK(items[9].fault.kind == FaultKind::malformed);
        CHECK(items[10].fault.kind == FaultKind::context_length);
        CHECK(items[11].fault.arg == 2000);
        CHECK(items[12].fault.arg == 250);
        CHECK(items[13].fault.kind == FaultKind::unauthorized);
        CHECK(orch::sim::to_string(FaultKind::context_length) == "context");
        CHECK(orch::sim::to_string(FaultKind::rate_limited) == "429");
    }
    SUBCASE("a scheduled item hits exactly its requests") {
        auto plan = FaultPlan::parse("503@2-4,reset@7");
        CHECK_FALSE(plan.pick(1, 42).has_value());
        for (std::uint64_t seq : {2, 3, 4}) {
            auto f = plan.pick(seq, 42);
            REQUIRE(f.has_value());
            CHECK(f->kind == FaultKind::unavailable);
        }
        CHECK_FALSE(plan.pick(5, 42).has_value());
        CHECK_FALSE(plan.pick(6, 42).has_value());
        REQUIRE(plan.pick(7, 42).has_value());
        CHECK(plan.pick(7, 42)->kind == FaultKind::reset);
        CHECK_FALSE(plan.pick(8, 42).has_value());
    }
    SUBCASE("random items are deterministic for a seed and close to their rate") {
        auto plan = FaultPlan::parse("429:0.2");
        int hits = 0;
        int same = 0;
        int other_seed_differs = 0;
        for (std::uint64_t seq = 1; seq <= 5000; ++seq) {
            bool hit = plan.pick(seq, 7).has_value();
            hits += hit ? 1 : 0;
            same += hit == FaultPlan::parse("429:0.2").pick(seq, 7).has_value() ? 1 : 0;
            other_seed_differs += hit != plan.pick(seq, 8).has_value() ? 1 : 0;
        }
        CHECK(hits > 900);
        CHECK(hits < 1100);
        CHECK(same == 5000);
        CHECK(other_seed_differs > 500);
    }
    SUBCASE("a request gets at most one fault: scheduled first, then random in the order written") {
        auto plan = FaultPlan::parse("500:1,503:1,reset@2");
        CHECK(plan.pick(1, 1)->kind == FaultKind::internal_error);
        CHECK(plan.pick(2, 1)->kind == FaultKind::reset);
        CHECK(plan.pick(3, 1)->kind == FaultKind::internal_error);
    }
    SUBCASE("adding an item does not reshuffle the draws of the items before it") {
        auto one = FaultPlan::parse("502:0.3");
        auto two = FaultPlan::parse("502:0.3,503:0.3");
        for (std::uint64_t seq = 1; seq <= 500; ++seq) {
            auto a = one.pick(seq, 9);
            auto b = two.pick(seq, 9);
            if (a) {
                REQUIRE(b.has_value());
                CHECK(b->kind == FaultKind::bad_gateway);
            } else if (b) {
                CHECK(b->kind == FaultKind::unavailable);
            }
        }
    }
    SUBCASE("an unknown kind names the item and the kinds expected") {
        CHECK(parse_error("429:0.1,42x:0.1") ==
              "--faults: item 2 \"42x:0.1\": unknown fault kind \"42x\"; expected one of 429, 500, "
              "502, "
              "503, hang, reset, truncate, malformed, context, slow, auth, tool-args, tool-unknown, tool-loop");
    }
    SUBCASE("other bad items say what was expected") {
        CHECK(parse_error("429").find("item 1 \"429\": expected KIND[=ARG]:RATE") !=
              std::string::npos);
        CHECK(parse_error("503:1.5").find("rate \"1.5\": expected a probability from 0 to 1") !=
              std::string::npos);
        CHECK(parse_error("503:lots").find("rate \"lots\"") != std::string::npos);
        CHECK(parse_error("503@0").find("requests \"0\": expected N or N-M") != std::string::npos);
        CHECK(parse_error("503@5-2").find("requests \"5-2\"") != std::string::npos);
        CHECK(parse_error("503@x").find("requests \"x\"") != std::string::npos);
        CHECK(parse_error("500=3:0.1").find("fault \"500\" takes no argument") !=
              std::string::npos);
        CHECK(parse_error("hang=soon@1").find("argument \"soon\": expected a number of seconds") !=
              std::string::npos);
        CHECK(parse_error("slow=-5:0.1").find("milliseconds") != std::string::npos);
        CHECK(parse_error("503:0.1,").find("item 2 \"\"") != std::string::npos);
    }
    SUBCASE("every bad item is reported at once, one a line") {
        std::string err = parse_error("nope:0.1,503:0.1,500:2");
        CHECK(err.find("item 1 \"nope:0.1\"") != std::string::npos);
        CHECK(err.find("\n--faults: item 3 \"500:2\"") != std::string::npos);
        CHECK(err.find("item 2") == std::string::npos);
    }
}
