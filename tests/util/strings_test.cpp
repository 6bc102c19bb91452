#include <doctest/doctest.h>
#include <orch/util/hash.hpp>
#include <orch/util/stats.hpp>
#include <orch/util/strings.hpp>

TEST_CASE("util::numbers_in") {
    SUBCASE("reads money with thousands separators and decimals") {
        auto v = orch::util::numbers_in("Total: $1,234.50 for 3 items, -2 left");
        REQUIRE(v.size() == 3);
        CHECK(v[0] == doctest::Approx(1234.5));
        CHECK(v[1] == doctest::Approx(3));
        CHECK(v[2] == doctest::Approx(-2));
    }
    SUBCASE("does not glue a list into one number") {
        auto v = orch::util::numbers_in("1,2,3");
        CHECK(v.size() == 3);
    }
}

TEST_CASE("util::sha256_hex") {
    SUBCASE("matches the published test vectors") {
        CHECK(orch::util::sha256_hex("") == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855");
        CHECK(orch::util::sha256_hex("abc") == "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad");
        CHECK(orch::util::sha256_hex(std::string(1000, 'a')).substr(0, 16) == "41edece42d63e8d9");
    }
}

TEST_CASE("util::stats") {
    SUBCASE("percentiles interpolate") {
        CHECK(orch::util::percentile({1, 2, 3, 4}, 50) == doctest::Approx(2.5));
        CHECK(orch::util::percentile({5}, 95) == doctest::Approx(5));
    }
    SUBCASE("a 95% interval contains the mean and narrows with more data") {
        auto small = orch::util::mean_ci95({0, 1, 0, 1});
        std::vector<double> many;
        for (int i = 0; i < 400; ++i) {
            many.push_back(i % 2);
        }
        auto big = orch::util::mean_ci95(many);
        CHECK(small.lo < 0.5);
        CHECK(small.hi > 0.5);
        CHECK(big.hi - big.lo < small.hi - small.lo);
    }
    SUBCASE("strip_code_fence removes one markdown fence") {
        CHECK(orch::util::strip_code_fence("```json\n{\"a\":1}\n```") == "{\"a\":1}");
        CHECK(orch::util::strip_code_fence("{\"a\":1}") == "{\"a\":1}");
    }
}
