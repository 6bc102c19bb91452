#include <doctest/doctest.h>
#include <orch/route/privacy.hpp>

#include <string>
#include <vector>

using orch::route::detect_sensitive;
using orch::route::redact;
using orch::route::SensitiveKind;

namespace {

// "kind:matched text" for every span, in order.
std::vector<std::string> found(const std::string& text) {
    std::vector<std::string> out;
    for (const auto& s : detect_sensitive(text)) {
        out.push_back(orch::route::to_string(s.kind) + ":" + text.substr(s.begin, s.end - s.begin));
    }
    return out;
}

using V = std::vector<std::string>;

} // namespace

TEST_CASE("route::privacy detects") {
    SUBCASE("emails, without the sentence's punctuation") {
        CHECK(found("Write to j.alvarez+billing@old-corp.example.co.uk.") ==
              V{"email:j.alvarez+billing@old-corp.example.co.uk"});
        CHECK(found("mail me at ana@example.com, or bob@test.io") ==
              V{"email:ana@example.com", "email:bob@test.io"});
        CHECK(found("not an email: @handle, a@b, user@localhost, x@y.1").empty());
    }
    SUBCASE("phones in US and international formats") {
        CHECK(found("Call (555) 123-4567 today") == V{"phone:(555) 123-4567"});
        CHECK(found("cell 555-123-4567") == V{"phone:555-123-4567"});
        CHECK(found("or 555.123.4567") == V{"phone:555.123.4567"});
        CHECK(found("toll free 1-800-555-0199.") == V{"phone:1-800-555-0199"});
        CHECK(found("New phone number: +44 7700 900461 (it used to be +44 7700 900123).") ==
              V{"phone:+44 7700 900461", "phone:+44 7700 900123"});
        CHECK(found("Berlin office +49 30 1234567") == V{"phone:+49 30 1234567"});
        CHECK(found("Paris: +33 1 23 45 67 89") == V{"phone:+33 1 23 45 67 89"});
        CHECK(found("+1 (555) 010-9999") == V{"phone:+1 (555) 010-9999"});
        CHECK(found("London 020 7946 0958") == V{"phone:020 7946 0958"});
        CHECK(found("dial 0044 20 7946 0958") == V{"phone:0044 20 7946 0958"});
        CHECK(found("my mobile is 5551234567") == V{"phone:5551234567"});
    }
    SUBCASE("no phone in years, amounts, dates, ids, times or addresses") {
        CHECK(found("In 2019 2020 and 2021 sales grew").empty());
        CHECK(found("revenue of 1234567.89 and 12,345,678,901").empty());
        CHECK(found("on 2026-03-14 at 10:30, and 14/07/1988").empty());
        CHECK(found("ticket #5551234567 and invoice INV-5551234567").empty());
        CHECK(found("server 192.168.100.200 is down").empty());
        CHECK(found("order 5551234567 shipped").empty()); // bare digits need a phone keyword
    }
    SUBCASE("Luhn-valid card numbers only") {
        CHECK(found("card 4111 1111 1111 1111 exp 12/27") == V{"card:4111 1111 1111 1111"});
        CHECK(found("card 4111-1111-1111-1111") == V{"card:4111-1111-1111-1111"});
        CHECK(found("amex 378282246310005") == V{"card:378282246310005"});
        CHECK(found("mc 5555555555554444, then 2026") == V{"card:5555555555554444"});
        CHECK(found("card 4111 1111 1111 1112").empty()); // fails Luhn
        CHECK(found("card 4111 1111 1111 1111 2026") == V{"card:4111 1111 1111 1111"});
        CHECK(found("id 1111 1111 1111 1117")
                  .empty()); // Luhn-valid, but no card network starts with 1
    }
    SUBCASE("IBANs with a valid mod-97 checksum only") {
        CHECK(found("pay to DE89 3704 0044 0532 0130 00 please") ==
              V{"iban:DE89 3704 0044 0532 0130 00"});
        CHECK(found("IBAN GB82WEST12345698765432.") == V{"iban:GB82WEST12345698765432"});
        CHECK(found("pay to DE89 3704 0044 0532 0130 01 please").empty());
        CHECK(found("GB82WEST12345698765433").empty());
        CHECK(found("FR14 2004 1010 0505 0001 3M02 606 EUR") ==
              V{"iban:FR14 2004 1010 0505 0001 3M02 606"});
    }
    SUBCASE("US social security and UK national insurance numbers") {
        CHECK(found("SSN 123-45-6789.") == V{"national_id:123-45-6789"});
        CHECK(found("ssn 000-12-3456 and 666-12-3456 and 900-12-3456").empty());
        CHECK(found("part 123-45-67890").empty());
        CHECK(found("NI number QQ 12 34 56 C") == V{"national_id:QQ 12 34 56 C"});
        CHECK(found("NINO AB123456C") == V{"national_id:AB123456C"});
        CHECK(found("code GB123456A").empty()); // GB is never a NINO prefix
    }
    SUBCASE("secrets: vendor keys, tokens after a keyword, private keys") {
        CHECK(found("key sk-proj-AbCdEf0123456789GhIjKl") ==
              V{"secret:sk-proj-AbCdEf0123456789GhIjKl"});
        CHECK(found("sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm") ==
              V{"secret:sk-ant-api03-Zx9Yw8Vu7Ts6Rq5Po4Nm"});
        CHECK(found("aws AKIAIOSFODNN7EXAMPLE here") == V{"secret:AKIAIOSFODNN7EXAMPLE"});
        CHECK(found("ghp_1234567890abcdefghijABCDEFGHIJ123456") ==
              V{"secret:ghp_1234567890abcdefghijABCDEFGHIJ123456"});
        CHECK(found("slack xoxb-1234567890-abcdefghij") == V{"secret:xoxb-1234567890-abcdefghij"});
        CHECK(found("api_key=Zq3vX9pL2mN8rT5wY7bK1c") == V{"secret:Zq3vX9pL2mN8rT5wY7bK1c"});
        CHECK(found("\"token\": \"f8Kx2Pq9Lm3Nv7Rt5Wz1Yb4\"") ==
              V{"secret:f8Kx2Pq9Lm3Nv7Rt5Wz1Yb4"});
        CHECK(found("Authorization: Bearer abc123DEF456ghi789JKL0") ==
              V{"secret:abc123DEF456ghi789JKL0"});
        CHECK(found("password: hunter2!") == V{"secret:hunter2!"});
        std::string pem =
            "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\nIBAAK\n-----END RSA PRIVATE KEY-----";
        CHECK(found("key:\n" + pem + "\nthanks") == V{"secret:" + pem});
    }
    SUBCASE("no secret in ordinary words about keys and tokens") {
        CHECK(found("the token is valid; api_key=changeme; token: aaaaaaaaaaaaaaaaaaaa").empty());
        CHECK(found("a task-force of 12 people, ask-me-anything").empty());
        CHECK(found("-----BEGIN PUBLIC KEY-----\nMIIB\n-----END PUBLIC KEY-----").empty());
    }
    SUBCASE("no false positive on an order with an amount and a date") {
        CHECK(found("Order 12345 costs $1,299.00 on 2026-03-14").empty());
        CHECK(found("Invoice INV-2026-0042 for €4.500,00, due 14.03.2026, ref 2026/03/14").empty());
    }
    SUBCASE("spans come in text order and never overlap") {
        auto spans = detect_sensitive(
            "api_key=sk-abcdefghij0123456789XYZ and DE89370400440532013000, ana@example.com");
        REQUIRE(spans.size() == 3);
        CHECK(spans[0].kind == SensitiveKind::secret);
        CHECK(spans[1].kind == SensitiveKind::iban);
        CHECK(spans[2].kind == SensitiveKind::email);
        for (size_t i = 1; i < spans.size(); ++i) {
            CHECK(spans[i - 1].end <= spans[i].begin);
        }
    }
}

TEST_CASE("route::privacy redaction") {
    SUBCASE("replaces every span with its placeholder and keeps the rest") {
        std::string text =
            "I'm ana@example.com, +44 7700 900461, card 4111 1111 1111 1111, IBAN "
            "DE89 3704 0044 0532 0130 00, SSN 123-45-6789, key AKIAIOSFODNN7EXAMPLE.";
        CHECK(redact(text) ==
              "I'm [EMAIL], [PHONE], card [CARD], IBAN [IBAN], SSN [NATIONAL_ID], key [SECRET].");
    }
    SUBCASE("a text with nothing sensitive is unchanged") {
        std::string text = "Order 12345 costs $1,299.00 on 2026-03-14";
        CHECK(redact(text) == text);
    }
    SUBCASE("keeps the keyword of an assignment, hides its value") {
        CHECK(redact("api_key=Zq3vX9pL2mN8rT5wY7bK1c\n") == "api_key=[SECRET]\n");
    }
    SUBCASE("placeholders name every kind") {
        CHECK(orch::route::placeholder(SensitiveKind::national_id) == "[NATIONAL_ID]");
        CHECK(orch::route::placeholder(SensitiveKind::phone) == "[PHONE]");
    }
    SUBCASE("scans a large input quickly (linear scanners)") {
        std::string big;
        for (int i = 0; i < 20000; ++i) {
            big += "Order 12345 costs $1,299.00 on 2026-03-14 -- 4111 1111 1111 1112 a@b ";
        }
        big += "ana@example.com";
        auto spans = detect_sensitive(big);
        REQUIRE(spans.size() == 1);
        CHECK(spans[0].kind == SensitiveKind::email);
    }
}
