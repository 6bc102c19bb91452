#include <orch/learn/features.hpp>

#include <algorithm>
#include <doctest/doctest.h>

using namespace orch::learn;

TEST_CASE("learn::features") {
    FeatureConfig config;
    const char* prompt = "Which of the following is NOT a prime?\nA. 2\nB. 3\nC. 4\nD. 5\nAnswer:";
    SparseVector v = extract_features(config, prompt, "mmlu_math");

    SUBCASE("indices are sorted, unique and inside the feature space") {
        REQUIRE_FALSE(v.index.empty());
        CHECK(std::is_sorted(v.index.begin(), v.index.end()));
        CHECK(std::adjacent_find(v.index.begin(), v.index.end()) == v.index.end());
        CHECK(v.index.back() < feature_dim(config));
        CHECK(feature_dim(config) == (1u << 16) + dense_feature_names(config).size());
    }
    SUBCASE("the same text gives the same vector; the task type changes it") {
        SparseVector again = extract_features(config, prompt, "mmlu_math");
        CHECK(again.index == v.index);
        CHECK(again.value == v.value);
        SparseVector other = extract_features(config, prompt, "mmlu_law");
        CHECK(other.index != v.index);
    }
    SUBCASE("shape features: negation, list items, digits") {
        auto dense = [&](const SparseVector& x, const std::string& name) {
            const auto& names = dense_feature_names(config);
            auto at = std::find(names.begin(), names.end(), name) - names.begin();
            auto index =
                static_cast<std::uint32_t>((1u << config.hash_bits) + static_cast<unsigned>(at));
            auto it = std::find(x.index.begin(), x.index.end(), index);
            // Dense features carry k_dense_weight; this gives them back on their own scale.
            return it == x.index.end() ? 0.0
                                       : x.value[static_cast<std::size_t>(it - x.index.begin())] / k_dense_weight;
        };
        CHECK(dense(v, "negation") == 1);
        CHECK(dense(v, "list_items") == 1); // four items, scaled to at most 1
        CHECK(dense(v, "digit_share") > 0);
        SparseVector plain = extract_features(config, "tell me a story", "chat");
        CHECK(dense(plain, "negation") == 0);
        CHECK(dense(plain, "code") == 0);
        CHECK(dense(extract_features(config, "fix: def f(x): return x", "code"), "code") == 1);
    }
    SUBCASE("word-problem features: sentences, numbers, percent, fractions, money, units") {
        auto dense = [&](const SparseVector& x, const std::string& name) {
            const auto& names = dense_feature_names(config);
            auto at = static_cast<std::uint32_t>(std::find(names.begin(), names.end(), name) - names.begin());
            REQUIRE(at < names.size());
            auto it = std::find(x.index.begin(), x.index.end(), (1u << config.hash_bits) + at);
            return it == x.index.end() ? 0.0 : x.value[static_cast<std::size_t>(it - x.index.begin())];
        };
        SparseVector w = extract_features(config,
                                          "A shirt costs $20. It is 25% off for 3 days. Half of 2.5 kg is sold. "
                                          "How many dollars?",
                                          "gsm8k");
        SparseVector plain = extract_features(config, "hello there", "chat");
        for (const char* name : {"sentences", "distinct_numbers", "largest_number", "decimals", "percent", "fractions",
                                 "money", "units"}) {
            CAPTURE(name);
            CHECK(dense(w, name) > 0);
            CHECK(dense(plain, name) == 0);
        }
    }
    SUBCASE("answer features only when asked for, and only with a response") {
        FeatureConfig cascade = config;
        cascade.answer_checks = true;
        CHECK(dense_feature_names(cascade).size() > dense_feature_names(config).size());
        SparseVector without = extract_features(cascade, prompt, "t");
        SparseVector with =
            extract_features(cascade, prompt, "t", std::string_view("I cannot tell."));
        CHECK(with.index.size() > without.index.size());
        SparseVector ignored =
            extract_features(config, prompt, "t", std::string_view("I cannot tell."));
        CHECK(ignored.index == extract_features(config, prompt, "t").index);
    }
}
