#pragma once
// Sensitive content in a request (SPEC §5 "privacy"): hand-written scanners, linear in the
// input, no regex engine. They aim at what would hurt if it left the building, with checks
// that keep plain numbers quiet: cards must pass Luhn, IBANs mod-97, phones need a phone's
// shape (a +country code, separators in a national layout, or a "phone"/"tel" keyword).
#include <cstddef>
#include <string>
#include <string_view>
#include <vector>

namespace orch::route {

enum class SensitiveKind { email, phone, card, iban, national_id, secret };

std::string to_string(SensitiveKind kind);   // "email", "national_id", ...
std::string placeholder(SensitiveKind kind); // "[EMAIL]", "[NATIONAL_ID]", ...

// A byte range [begin, end) of the text.
struct SensitiveSpan {
    SensitiveKind kind = SensitiveKind::email;
    std::size_t begin = 0;
    std::size_t end = 0;
};

// Every sensitive span, sorted by position and never overlapping (where two scanners claim
// the same bytes, the more specific wins: secret, iban, card, national id, email, phone).
//   email        local@domain.tld
//   phone        +44 20 7946 0958, (555) 123-4567, 555-123-4567, 1-800-555-0199, 020 7946 0958,
//                or 10-11 bare digits after "phone", "tel", "call", "mobile", "cell", "fax"
//   card         13-19 digits, single spaces or dashes between groups, Luhn-valid, starting 2-6
//   iban         country code, check digits, 11-30 letters/digits (spaces allowed), mod-97 valid
//   national_id  US SSN 123-45-6789 (area not 000/666/9xx), UK NINO QQ 12 34 56 C
//   secret       sk-… / sk-ant-…, AKIA + 16, ghp_/gho_/ghu_/ghs_/ghr_/github_pat_…, xoxb-/xoxp-…,
//                JWTs, -----BEGIN … PRIVATE KEY----- blocks, and long high-entropy values
//                after api_key= / token: / secret= / password= / Bearer
std::vector<SensitiveSpan> detect_sensitive(std::string_view text);

// The text with each span replaced by its placeholder. `spans` as detect_sensitive returns
// them (sorted, not overlapping).
std::string redact(std::string_view text, const std::vector<SensitiveSpan>& spans);

// detect_sensitive then redact.
std::string redact(std::string_view text);

} // namespace orch::route
