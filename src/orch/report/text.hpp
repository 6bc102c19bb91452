#pragma once
// Text helpers shared by every report format: money and time as people read them, and the
// escaping each output language needs. Model output is untrusted text: every renderer passes
// it through one of the escapes below, never raw.
#include <string>
#include <string_view>

namespace orch::report {

// "$0", "$0.0000405" (three significant digits below a cent), "$0.0130", "$12.50"; a negative
// amount as "-$0.0130".
std::string money(double usd);
// "850ms", "12.3s", "-40ms".
std::string ms(double milliseconds);
// "95.7%".
std::string percent(double fraction);
// Signed, for deltas: "+0.041", "-0.114".
std::string signed_fixed(double value, int decimals);
// Signed money for deltas: "+$0.00126", "-$0.0130".
std::string signed_money(double usd);

// The text with every invalid UTF-8 sequence replaced by U+FFFD, so that any byte string a
// model returned can be embedded in XML, HTML or JSON.
std::string valid_utf8(std::string_view s);
// One line for a table cell: whitespace runs collapsed to one space, cut to max_chars
// characters (UTF-8 aware, "…" appended when cut); control characters become U+FFFD.
std::string one_line(std::string_view s, std::size_t max_chars);
// The text cut to at most max_bytes bytes on a character boundary, "…" appended when cut.
std::string clip(std::string_view s, std::size_t max_bytes);

// HTML text and attribute values: & < > " ' escaped; invalid UTF-8 replaced.
std::string html_escape(std::string_view s);
// XML 1.0 text and attribute values: & < > " ' escaped, and characters XML 1.0 forbids
// (control characters other than tab, newline, carriage return) replaced by U+FFFD.
std::string xml_escape(std::string_view s);
// A CSV field (RFC 4180): quoted when it holds a comma, quote, CR or LF.
std::string csv_field(std::string_view s);
// A Markdown table cell: one line, | and markup characters escaped so that model output
// cannot break the table or inject HTML.
std::string md_cell(std::string_view s, std::size_t max_chars = 120);

// x rounded to the given number of decimals (for stable JSON numbers).
double round_to(double x, int decimals);

} // namespace orch::report
