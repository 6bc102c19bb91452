#include <orch/core/error.hpp>
#include <orch/learn/csv.hpp>

#include <doctest/doctest.h>
#include <sstream>

using orch::learn::CsvReader;

namespace {

std::vector<std::vector<std::string>> read_all(const std::string& text) {
    std::istringstream in(text);
    CsvReader csv(in, "t.csv");
    std::vector<std::vector<std::string>> out;
    std::vector<std::string> fields;
    while (csv.next(fields)) {
        out.push_back(fields);
    }
    return out;
}

} // namespace

TEST_CASE("learn::csv_reader") {
    SUBCASE("reads plain fields and empty ones") {
        auto rows = read_all("a,b,c\n1,,3\n");
        REQUIRE(rows.size() == 2);
        CHECK(rows[1] == std::vector<std::string>{"1", "", "3"});
    }
    SUBCASE("a quoted field holds commas, line breaks and doubled quotes") {
        auto rows = read_all("prompt,ok\n\"Is 1,5 \"\"x\"\"?\nA. yes\",True\nnext,False\n");
        REQUIRE(rows.size() == 3);
        CHECK(rows[1][0] == "Is 1,5 \"x\"?\nA. yes");
        CHECK(rows[1][1] == "True");
        CHECK(rows[2] == std::vector<std::string>{"next", "False"});
    }
    SUBCASE("CRLF line ends, a byte-order mark, blank lines and no final newline") {
        auto rows = read_all("\xEF\xBB\xBFprompt,m\r\n\r\nx,1\r\n\ny,0");
        REQUIRE(rows.size() == 3);
        CHECK(rows[0][0] == "prompt");
        CHECK(rows[1] == std::vector<std::string>{"x", "1"});
        CHECK(rows[2] == std::vector<std::string>{"y", "0"});
    }
    SUBCASE("reports the line a record starts on") {
        std::istringstream in("h\n\"two\nlines\"\nthird\n");
        CsvReader csv(in, "t.csv");
        std::vector<std::string> f;
        REQUIRE(csv.next(f));
        CHECK(csv.line() == 1);
        REQUIRE(csv.next(f));
        CHECK(csv.line() == 2);
        REQUIRE(csv.next(f));
        CHECK(csv.line() == 4);
        CHECK(f[0] == "third");
        CHECK_FALSE(csv.next(f));
    }
    SUBCASE("an unterminated quote is a located error") {
        std::istringstream in("h\nok\n\"never closed,\n1\n");
        CsvReader csv(in, "t.csv");
        std::vector<std::string> f;
        REQUIRE(csv.next(f));
        REQUIRE(csv.next(f));
        try {
            csv.next(f);
            FAIL("expected an error");
        } catch (const orch::Error& e) {
            CHECK(std::string(e.what()) == "t.csv:3: unterminated quoted field");
            CHECK(e.exit_code() == 2);
        }
    }
}
