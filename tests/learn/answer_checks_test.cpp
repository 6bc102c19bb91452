#include <orch/learn/answer_checks.hpp>

#include <doctest/doctest.h>

using orch::learn::check_answer;
using orch::learn::evaluate_arithmetic;

TEST_CASE("learn::answer_checks") {
    SUBCASE("evaluates the arithmetic models write") {
        CHECK(evaluate_arithmetic("9*2").value() == doctest::Approx(18));
        CHECK(evaluate_arithmetic("80,000 + 50,000").value() == doctest::Approx(130000));
        CHECK(evaluate_arithmetic("(3 + 4) x 2 - 1").value() == doctest::Approx(13));
        CHECK(evaluate_arithmetic("2/3 \\* 60").value() == doctest::Approx(40));
        CHECK(evaluate_arithmetic("$5 \xC3\x97 3").value() == doctest::Approx(15));
        CHECK(evaluate_arithmetic("2^3").value() == doctest::Approx(8));
        CHECK_FALSE(evaluate_arithmetic("42")); // no operator: not a calculation
        CHECK_FALSE(evaluate_arithmetic("5 / 0"));
        CHECK_FALSE(evaluate_arithmetic("50% of 10"));
        CHECK_FALSE(evaluate_arithmetic("3 apples + 2"));
    }
    SUBCASE("a clean GSM8K-style answer") {
        auto c = check_answer(
            "She has 16 - 3 = <<16-3=13>>13 eggs.\nShe sells 13 - 4 = 9 eggs for 9 * $2 = "
            "$<<9*2=18>>18.\n#### 18");
        REQUIRE(c.final_answer);
        CHECK(*c.final_answer == 18);
        CHECK(c.final_is_integer);
        CHECK(c.final_in_working);
        CHECK(c.final_is_last_result);
        CHECK(c.calculations == 3);
        CHECK(c.calculation_errors == 0);
        CHECK(c.hedges == 0);
    }
    SUBCASE("wrong arithmetic, a fractional answer, no final answer, hedging, looping") {
        auto wrong = check_answer("2 + 2 = <<2+2=5>>5 and 3 * 3 = 10\nThe answer is 10");
        CHECK(wrong.calculation_errors == 2);
        CHECK(*wrong.final_answer == 10);
        auto fractional = check_answer("10 / 4 = 2.5\n#### 2.5");
        CHECK_FALSE(fractional.final_is_integer);
        CHECK(fractional.calculation_errors == 0);
        auto none = check_answer(
            "The house's value after repairs is 80,000 + 50,000 = $<<80000+50000=130000>>130,00");
        CHECK_FALSE(none.final_answer);
        auto hedged =
            check_answer("However, you can't have half a bolt, so approximately 3.\n#### 3");
        CHECK(hedged.hedges >= 3);
        auto loop = check_answer(
            "Then we add the two numbers together.\nThen we add the two numbers together.\n");
        CHECK(loop.repeats);
    }
    SUBCASE("a rounded result agrees to the precision written") {
        auto c = check_answer("80 / 120 = 0.67 hours, 2/3 * 60 = 40 minutes. #### 40");
        CHECK(c.calculations == 2);
        CHECK(c.calculation_errors == 0);
    }
}
