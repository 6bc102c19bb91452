#include <orch/eval/text_similarity.hpp>

#include <doctest/doctest.h>

using namespace orch::eval;

TEST_CASE("eval::levenshtein") {
    SUBCASE("counts insertions, deletions and substitutions") {
        CHECK(levenshtein_distance("kitten", "sitting") == 3);
        CHECK(levenshtein_distance("", "abc") == 3);
        CHECK(levenshtein_distance("abc", "abc") == 0);
    }
    SUBCASE("counts a multi-byte character as one") {
        CHECK(levenshtein_distance("café", "cafe") == 1);
        CHECK(count_code_points("café") == 4);
    }
    SUBCASE("turns the distance into a ratio of the longer length") {
        CHECK(levenshtein_ratio("", "") == 1.0);
        CHECK(levenshtein_ratio("abcd", "abcf") == doctest::Approx(0.75));
        CHECK(levenshtein_ratio("abc", "") == 0.0);
    }
}

TEST_CASE("eval::rouge_l_f1") {
    SUBCASE("is 1 for the same words regardless of case and punctuation") {
        CHECK(rouge_l_f1("The cat, sat.", "the cat sat") == doctest::Approx(1.0));
    }
    SUBCASE("balances precision and recall") {
        // LCS 2 ("a c"): precision 2/2, recall 2/4, F1 = 2 * 1 * 0.5 / 1.5.
        CHECK(rouge_l_f1("a c", "a b c d") == doctest::Approx(2.0 / 3.0));
    }
    SUBCASE("is 0 when either side has no words, 1 when neither has") {
        CHECK(rouge_l_f1("", "a") == 0.0);
        CHECK(rouge_l_f1("x y", "a b") == 0.0);
        CHECK(rouge_l_f1("...", "") == 1.0);
    }
}
