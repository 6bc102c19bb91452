// The text heuristics, negation and the factory. The JSON kinds are in json_heuristics_test.cpp.
#include <orch/eval/heuristic.hpp>

#include "eval/heuristic_support.hpp"

#include <doctest/doctest.h>

using nlohmann::json;
using namespace orch::eval;
using namespace orch::eval::testing;

TEST_CASE("eval::heuristic_kinds") {
    SUBCASE("lists every kind, and each is recognised") {
        const auto& kinds = heuristic_kinds();
        CHECK(kinds.size() == 24);
        for (const std::string& k : kinds) {
            CHECK(is_heuristic_kind(k));
        }
        CHECK(is_heuristic_kind("tool_call"));
        CHECK_FALSE(is_heuristic_kind("levenshtein"));
    }
    SUBCASE("rejects an unknown kind, listing the known ones") {
        std::string e = error_of("equal", json::object());
        CHECK_HAS(e, "unknown evaluator kind \"equal\"");
        CHECK_HAS(e, "equals, contains");
    }
    SUBCASE("accepts null parameters as none") {
        CHECK(error_of("is_json", json()) == "");
    }
    SUBCASE("rejects parameters that are not a table") {
        CHECK(error_of("is_json", json::array({1})) ==
              "is_json: parameters: expected a table of parameters, got [1]");
    }
    SUBCASE("reports every problem at once, suggesting the name of a misspelt parameter") {
        CHECK(error_of("equals", R"({"valeu": "x"})"_json) ==
              "equals: value: missing; unknown parameter \"valeu\" (did you mean \"value\"?)");
    }
    SUBCASE("reports an unknown parameter with no close name plainly") {
        CHECK(error_of("equals", R"({"value": "x", "colour": 1})"_json) ==
              "equals: unknown parameter \"colour\"");
    }
}

TEST_CASE("eval::negate") {
    SUBCASE("turns a pass into a fail and says so") {
        Verdict v = run("contains", R"({"value": "error"})"_json, "an error occurred", true);
        CHECK(v.score == 0);
        CHECK(v.reason == "not: contains \"error\"");
    }
    SUBCASE("turns a graded score s into 1 - s") {
        Verdict v =
            run("must_preserve", R"({"facts": ["a1", "b2", "c3", "d4"]})"_json, "a1 b2 c3", true);
        CHECK(v.score == doctest::Approx(0.25));
        CHECK_HAS(v.reason, "not: 3 of 4 facts kept");
    }
}

TEST_CASE("eval::equals") {
    SUBCASE("passes when the output matches after trimming and collapsing whitespace") {
        Verdict v = run("equals", R"({"value": "new  york"})"_json, "  new\nyork \n");
        CHECK(v.score == 1);
        CHECK(v.reason == "equals \"new  york\"");
    }
    SUBCASE("fails when only case differs and ignore_case is not set") {
        Verdict v = run("equals", R"({"value": "billing"})"_json, "Billing");
        CHECK(v.score == 0);
        CHECK(v.reason == "expected \"billing\", got \"Billing\"");
    }
    SUBCASE("passes when only case differs and ignore_case is set") {
        CHECK(run("equals", R"({"value": "billing", "ignore_case": true})"_json, "BILLING").score ==
              1);
    }
    SUBCASE("names what it got when the label differs") {
        Verdict v = run("equals", R"({"value": "billing"})"_json, "bug");
        CHECK(v.score == 0);
        CHECK(v.reason == "expected \"billing\", got \"bug\"");
    }
    SUBCASE("ignores punctuation only when strip_punctuation is set") {
        CHECK(run("equals", R"({"value": "yes"})"_json, "Yes.").score == 0);
        CHECK(run("equals",
                  R"({"value": "yes", "strip_punctuation": true, "ignore_case": true})"_json,
                  "Yes.")
                  .score == 1);
    }
    SUBCASE("keeps inner whitespace when collapse_whitespace is false") {
        CHECK(
            run("equals", R"({"value": "a b", "collapse_whitespace": false})"_json, "a  b").score ==
            0);
    }
    SUBCASE("compares a number value with its JSON text") {
        CHECK(run("equals", R"({"value": 42})"_json, "42\n").score == 1);
        CHECK(run("equals", R"({"value": 42})"_json, "42.0").score == 0);
    }
    SUBCASE("is an error without a value or with a non-boolean option") {
        CHECK(error_of("equals", json::object()) == "equals: value: missing");
        CHECK(error_of("equals", R"({"value": "x", "ignore_case": "yes"})"_json) ==
              "equals: ignore_case: expected true or false, got \"yes\"");
    }
}

TEST_CASE("eval::contains") {
    SUBCASE("passes when the value appears anywhere") {
        Verdict v = run("contains", R"({"value": "refund"})"_json, "We issued a refund today.");
        CHECK(v.score == 1);
        CHECK(v.reason == "contains \"refund\"");
    }
    SUBCASE("is case-sensitive unless ignore_case is set") {
        Verdict v = run("contains", R"({"value": "refund"})"_json, "REFUND issued");
        CHECK(v.score == 0);
        CHECK(v.reason == "does not contain \"refund\"");
        CHECK(run("contains", R"({"value": "refund", "ignore_case": true})"_json, "REFUND issued")
                  .score == 1);
    }
    SUBCASE("is an error without a value, with a list, or with an empty value") {
        CHECK(error_of("contains", json::object()) == "contains: value: missing");
        CHECK(error_of("contains", R"({"value": ["a"]})"_json) ==
              "contains: value: expected a string, got [\"a\"]");
        CHECK_HAS(error_of("contains", R"({"value": ""})"_json),
                  "contains: value: an empty string");
        CHECK(error_of("contains", R"({"value": "a", "values": ["b"]})"_json) ==
              "contains: unknown parameter \"values\" (did you mean \"value\"?)");
    }
}

TEST_CASE("eval::contains_all") {
    SUBCASE("passes when every value is present") {
        Verdict v =
            run("contains_all", R"({"values": ["Oslo", "Bergen"]})"_json, "From Oslo to Bergen");
        CHECK(v.score == 1);
        CHECK(v.reason == "contains all 2 values");
    }
    SUBCASE("scores 0 and lists the missing values when any is absent") {
        Verdict v =
            run("contains_all", R"({"values": ["Oslo", "Bergen", "Tromsø"]})"_json, "From Oslo");
        CHECK(v.score == 0);
        CHECK(v.reason == "missing 2 of 3: \"Bergen\", \"Tromsø\"");
    }
    SUBCASE("is an error without values or with an empty list") {
        CHECK(error_of("contains_all", json::object()) == "contains_all: values: missing");
        CHECK(error_of("contains_all", R"({"values": []})"_json) ==
              "contains_all: values: expected a non-empty array of strings, got []");
    }
}

TEST_CASE("eval::contains_any") {
    SUBCASE("passes when one value is present, naming it") {
        Verdict v =
            run("contains_any", R"({"values": ["yes", "affirmative"], "ignore_case": true})"_json,
                "Affirmative, captain");
        CHECK(v.score == 1);
        CHECK(v.reason == "contains \"affirmative\"");
    }
    SUBCASE("fails when none is present") {
        Verdict v = run("contains_any", R"({"values": ["yes", "sure"]})"_json, "no");
        CHECK(v.score == 0);
        CHECK(v.reason == "contains none of \"yes\", \"sure\"");
    }
    SUBCASE("is an error when values is not a list of strings") {
        CHECK(error_of("contains_any", R"({"values": "yes"})"_json) ==
              "contains_any: values: expected a non-empty array of strings, got \"yes\"");
    }
}

TEST_CASE("eval::not_contains") {
    SUBCASE("passes when none of the values is present") {
        Verdict v = run("not_contains", R"({"values": ["password", "ssn"]})"_json, "all clear");
        CHECK(v.score == 1);
        CHECK_HAS(v.reason, "contains none of");
    }
    SUBCASE("fails naming the values found, from value and values together") {
        Verdict v = run("not_contains", R"({"value": "ssn", "values": ["password"]})"_json,
                        "your ssn and password");
        CHECK(v.score == 0);
        CHECK(v.reason == "contains \"ssn\", \"password\"");
    }
    SUBCASE("is an error with neither value nor values") {
        CHECK(error_of("not_contains", json::object()) ==
              "not_contains: value: missing (give value or values)");
    }
}

TEST_CASE("eval::starts_with") {
    SUBCASE("passes ignoring leading whitespace of the output") {
        Verdict v = run("starts_with", R"({"value": "Dear"})"_json, "\n  Dear customer,");
        CHECK(v.score == 1);
        CHECK(v.reason == "starts with \"Dear\"");
    }
    SUBCASE("fails showing how the output starts") {
        Verdict v = run("starts_with", R"({"value": "Dear"})"_json, "dear customer");
        CHECK(v.score == 0);
        CHECK_HAS(v.reason, "expected to start with \"Dear\", got \"dear customer\"");
        CHECK(run("starts_with", R"({"value": "Dear", "ignore_case": true})"_json, "dear customer")
                  .score == 1);
    }
    SUBCASE("is an error without a value") {
        CHECK(error_of("starts_with", R"({"ignore_case": true})"_json) ==
              "starts_with: value: missing");
    }
}

TEST_CASE("eval::regex") {
    SUBCASE("passes on a partial match and shows the matched text") {
        Verdict v = run("regex", R"({"pattern": "\\d+"})"_json, "order 1234 shipped");
        CHECK(v.score == 1);
        CHECK(v.reason == "matched /\\d+/: \"1234\"");
    }
    SUBCASE("with full set, needs the whole trimmed output to match") {
        CHECK(run("regex", R"({"pattern": "\\d+", "full": true})"_json, "1234\n").score == 1);
        Verdict v = run("regex", R"({"pattern": "\\d+", "full": true})"_json, "order 1234");
        CHECK(v.score == 0);
        CHECK(v.reason == "does not fully match /\\d+/");
    }
    SUBCASE("fails when nothing matches, and honours ignore_case") {
        Verdict v = run("regex", R"({"pattern": "^yes"})"_json, "Yes");
        CHECK(v.score == 0);
        CHECK(v.reason == "no match for /^yes/");
        CHECK(run("regex", R"({"pattern": "^yes", "ignore_case": true})"_json, "Yes").score == 1);
    }
    SUBCASE("is an error when the pattern is not valid RE2") {
        CHECK(error_of("regex", R"({"pattern": "(a"})"_json) ==
              "regex: pattern: invalid RE2 syntax: missing ): (a");
        // Backreferences are not RE2: they would make matching super-linear.
        CHECK_HAS(error_of("regex", R"({"pattern": "(a)\\1"})"_json), "invalid RE2 syntax");
        CHECK(error_of("regex", json::object()) == "regex: pattern: missing");
    }
}

TEST_CASE("eval::numeric") {
    SUBCASE("takes the number after the last \"answer\", with currency and separators") {
        Verdict v = run("numeric", R"({"value": 1234.5})"_json,
                        "Step 1: 1000 + 234.5\nAnswer: $1,234.50\nCheck: 3 items");
        CHECK(v.score == 1);
        CHECK(v.reason == "got 1234.5 after \"answer\", expected 1234.5");
    }
    SUBCASE("reads \"final answer is\" case-insensitively") {
        CHECK(run("numeric", R"({"value": "1,234.50"})"_json,
                  "The FINAL ANSWER is $1,234.50 in total.")
                  .score == 1);
    }
    SUBCASE("skips \"answered\" and \"answers\" when looking for the answer line") {
        CHECK(run("numeric", R"({"value": 7})"_json, "Answer: 7, as 2 answers agreed").score == 1);
        CHECK(
            run("numeric", R"({"value": 12})"_json, "I answered 3 questions; 12 in total").score ==
            1);
    }
    SUBCASE("falls back to the last number in the output") {
        Verdict v = run("numeric", R"({"value": 42})"_json, "6 times 7 is 42");
        CHECK(v.score == 1);
        CHECK_HAS(v.reason, "(last number)");
    }
    SUBCASE("fails outside the tolerance and passes inside it") {
        Verdict v = run("numeric", R"({"value": 42})"_json, "Answer: 41.9");
        CHECK(v.score == 0);
        CHECK(v.reason == "expected 42, got 41.9 after \"answer\"");
        CHECK(run("numeric", R"({"value": 42, "tolerance": 0.2})"_json, "Answer: 41.9").score == 1);
        CHECK(
            run("numeric", R"({"value": 1000, "rel_tolerance": 0.01})"_json, "Answer: 995").score ==
            1);
    }
    SUBCASE("scores 0 when the output has no number") {
        Verdict v = run("numeric", R"({"value": 42})"_json, "I do not know.");
        CHECK(v.score == 0);
        CHECK(v.reason == "no number in the output (expected 42)");
    }
    SUBCASE("is an error when the value is missing or not a number") {
        CHECK(error_of("numeric", json::object()) == "numeric: value: missing");
        CHECK(error_of("numeric", R"({"value": "forty"})"_json) ==
              "numeric: value: expected a number, got \"forty\"");
        CHECK(error_of("numeric", R"({"value": 1, "tolerance": -1})"_json) ==
              "numeric: tolerance: expected a number of 0 or more");
    }
}

TEST_CASE("eval::similarity") {
    SUBCASE("scores the Levenshtein ratio without a threshold") {
        Verdict v = run("similarity", R"({"value": "kitten"})"_json, "sitting");
        CHECK(v.score == doctest::Approx(1.0 - 3.0 / 7.0));
        CHECK(v.reason == "similarity 0.571");
    }
    SUBCASE("passes at or above the threshold, ignoring case when asked") {
        Verdict v = run("similarity",
                        R"({"value": "Hello World", "threshold": 0.9, "ignore_case": true})"_json,
                        "  hello world ");
        CHECK(v.score == 1);
        CHECK(v.reason == "similarity 1 meets the threshold 0.9");
    }
    SUBCASE("fails below the threshold and shows the ratio") {
        Verdict v = run("similarity", R"({"value": "kitten", "threshold": 0.8})"_json, "sitting");
        CHECK(v.score == 0);
        CHECK(v.reason == "similarity 0.571 is below the threshold 0.8");
    }
    SUBCASE("is an error with a threshold outside 0..1") {
        CHECK(error_of("similarity", R"({"value": "a", "threshold": 80})"_json) ==
              "similarity: threshold: expected a number from 0 to 1, got 80");
    }
}

TEST_CASE("eval::rouge_l") {
    SUBCASE("scores the F1 of the longest common word subsequence") {
        Verdict v =
            run("rouge_l", R"({"value": "The cat sat on the mat"})"_json, "the cat was on the mat");
        // LCS = the cat on the mat (5 of 6 words each way).
        CHECK(v.score == doctest::Approx(5.0 / 6.0));
        CHECK(v.reason == "ROUGE-L F1 0.833");
    }
    SUBCASE("passes and fails against a threshold") {
        CHECK(run("rouge_l", R"({"value": "the cat sat", "threshold": 0.5})"_json, "The cat sat!")
                  .score == 1);
        Verdict v = run("rouge_l", R"({"value": "the cat sat", "threshold": 0.5})"_json,
                        "dogs bark loudly");
        CHECK(v.score == 0);
        CHECK(v.reason == "ROUGE-L F1 0 is below the threshold 0.5");
    }
    SUBCASE("is an error without a reference") {
        CHECK(error_of("rouge_l", R"({"threshold": 0.5})"_json) == "rouge_l: value: missing");
    }
}

TEST_CASE("eval::length") {
    SUBCASE("passes within the bounds and reports the counts") {
        Verdict v =
            run("length", R"({"min_words": 2, "max_chars": 20})"_json, " three  words here ");
        CHECK(v.score == 1);
        CHECK(v.reason == "16 characters, 3 words, within bounds");
    }
    SUBCASE("fails naming each bound broken") {
        Verdict v = run("length", R"({"max_words": 2, "max_chars": 5})"_json, "three words here");
        CHECK(v.score == 0);
        CHECK(v.reason == "16 characters, more than max_chars 5; 3 words, more than max_words 2");
        CHECK(run("length", R"({"min_chars": 10})"_json, "short").reason ==
              "5 characters, fewer than min_chars 10");
    }
    SUBCASE("counts characters, not bytes") {
        CHECK(run("length", R"({"max_chars": 5})"_json, "héllo").score == 1);
    }
    SUBCASE("is an error with no bound, a negative bound or min above max") {
        CHECK(error_of("length", json::object()) ==
              "length: parameters: give at least one of min_chars, max_chars, min_words, "
              "max_words");
        CHECK(error_of("length", R"({"max_words": -1})"_json) ==
              "length: max_words: expected a whole number of 0 or more, got -1");
        CHECK(error_of("length", R"({"min_words": 5, "max_words": 2})"_json) ==
              "length: min_words: more than max_words");
    }
}

TEST_CASE("eval::must_preserve") {
    SUBCASE("scores the fraction of facts kept and lists the missing") {
        Verdict v = run("must_preserve", R"({"facts": ["Dana Kim", "INV-2093", "$48,500"]})"_json,
                        "dana   kim approved 48500 USD for the renewal.");
        CHECK(v.score == doctest::Approx(2.0 / 3.0));
        CHECK(v.reason == "2 of 3 facts kept; missing: INV-2093");
    }
    SUBCASE("keeps an amount written another way") {
        Verdict v = run("must_preserve", R"({"facts": ["48500", "1,200.50", 7]})"_json,
                        "Budget $48,500; fee 1200.5; 7 seats");
        CHECK(v.score == 1);
        CHECK(v.reason == "all 3 facts kept");
    }
    SUBCASE("respects case when ignore_case is false") {
        Verdict v = run("must_preserve", R"({"facts": ["ACME"], "ignore_case": false})"_json,
                        "Acme signed");
        CHECK(v.score == 0);
        CHECK(v.reason == "0 of 1 facts kept; missing: ACME");
    }
    SUBCASE("is an error without facts or with an empty list") {
        CHECK(error_of("must_preserve", json::object()) == "must_preserve: facts: missing");
        CHECK(error_of("must_preserve", R"({"facts": []})"_json) ==
              "must_preserve: facts: expected a non-empty array of strings, got []");
    }
}

TEST_CASE("eval::refusal") {
    SUBCASE("passes on a refusal near the start, with typographic apostrophes") {
        Verdict v = run("refusal", json::object(), "I’m sorry, but I can’t help with that.");
        CHECK(v.score == 1);
        CHECK_HAS(v.reason, "refuses:");
        CHECK(run("refusal", json::object(), "As an AI language model, I won't do that.").score ==
              1);
    }
    SUBCASE("fails on an answer, so not = true requires an answer") {
        Verdict v = run("refusal", json::object(), "The capital of France is Paris.");
        CHECK(v.score == 0);
        CHECK(v.reason == "no refusal phrase in the first 200 characters");
        Verdict answered = run("refusal", json::object(), "Paris.", true);
        CHECK(answered.score == 1);
        CHECK(answered.reason == "not: no refusal phrase in the first 200 characters");
    }
    SUBCASE("ignores a refusal phrase after the first 200 characters") {
        std::string output = std::string(250, 'x') + " I cannot";
        CHECK(run("refusal", json::object(), output).score == 0);
    }
    SUBCASE("is an error with any parameter") {
        CHECK(error_of("refusal", R"({"phrases": ["no"]})"_json) ==
              "refusal: unknown parameter \"phrases\"");
    }
}

TEST_CASE("eval::latency") {
    auto h = make_heuristic("latency", R"({"max_ms": 2000})"_json);
    REQUIRE(h.has_value());
    SUBCASE("passes at or under the limit") {
        Verdict v = h.value()->evaluate(Candidate{"x", 2000, 0});
        CHECK(v.score == 1);
        CHECK(v.reason == "latency 2000 ms, within 2000 ms");
    }
    SUBCASE("fails over the limit") {
        Verdict v = h.value()->evaluate(Candidate{"x", 2500.5, 0});
        CHECK(v.score == 0);
        CHECK(v.reason == "latency 2500.5 ms, over the limit of 2000 ms");
    }
    SUBCASE("is an error without max_ms or with a string") {
        CHECK(error_of("latency", json::object()) == "latency: max_ms: missing");
        CHECK(error_of("latency", R"({"max_ms": "fast"})"_json) ==
              "latency: max_ms: expected a number, got \"fast\"");
    }
}

TEST_CASE("eval::cost") {
    auto h = make_heuristic("cost", R"({"max_usd": 0.01})"_json);
    REQUIRE(h.has_value());
    SUBCASE("passes under the limit") {
        Verdict v = h.value()->evaluate(Candidate{"x", 0, 0.0042});
        CHECK(v.score == 1);
        CHECK(v.reason == "cost $0.0042, within $0.01");
    }
    SUBCASE("fails over the limit") {
        Verdict v = h.value()->evaluate(Candidate{"x", 0, 0.02});
        CHECK(v.score == 0);
        CHECK(v.reason == "cost $0.02, over the limit of $0.01");
    }
    SUBCASE("is an error with a negative limit") {
        CHECK(error_of("cost", R"({"max_usd": -1})"_json) ==
              "cost: max_usd: expected a number of 0 or more");
    }
}

TEST_CASE("eval::recorded scores a replayed answer as it was recorded, and nothing else") {
    auto h = make_heuristic("recorded", json::object());
    REQUIRE(h.has_value());
    Verdict replayed = h.value()->evaluate(Candidate{"4", 0, 0, 0.75});
    CHECK(replayed.ok);
    CHECK(replayed.score == doctest::Approx(0.75));
    CHECK_HAS(replayed.reason, "recorded score 0.75");
    // A live answer has no recorded score: an error, never a silent 0.
    Verdict live = h.value()->evaluate(Candidate{"4", 0, 0});
    CHECK_FALSE(live.ok);
    CHECK_HAS(live.reason, "did not come from a replay provider");
    auto negated = make_heuristic("recorded", json::object(), true);
    REQUIRE(negated.has_value());
    CHECK(negated.value()->evaluate(Candidate{"", 0, 0, 1.0}).score == doctest::Approx(0.0));
}
