#pragma once
// Golden files: rendered output compared byte for byte with tests/data/report/NAME.
// ORCH_UPDATE_GOLDEN=1 rewrites the files instead (check the diff by eye before committing).
#include "support/process.hpp"

#include <cstdlib>
#include <doctest/doctest.h>
#include <fstream>
#include <sstream>
#include <string>

namespace orch::test {

// Empty when equal, else the first differing line of each, numbered.
inline std::string first_difference(const std::string& expected, const std::string& actual) {
    if (expected == actual) {
        return "";
    }
    std::istringstream e(expected);
    std::istringstream a(actual);
    std::string le;
    std::string la;
    for (int line = 1;; ++line) {
        bool has_e = static_cast<bool>(std::getline(e, le));
        bool has_a = static_cast<bool>(std::getline(a, la));
        if (!has_e && !has_a) {
            return "the files differ only in their final newline";
        }
        if (!has_e || !has_a || le != la) {
            return "line " + std::to_string(line) +
                   ":\n  expected: " + (has_e ? le : "<end of file>") +
                   "\n  actual:   " + (has_a ? la : "<end of file>");
        }
    }
}

inline void check_golden(const std::string& name, const std::string& actual) {
    std::string path = source_path("tests/data/report/" + name);
    const char* update = std::getenv("ORCH_UPDATE_GOLDEN");
    if (update != nullptr && std::string(update) == "1") {
        std::ofstream(path, std::ios::binary) << actual;
        MESSAGE("golden file rewritten: " << path);
        return;
    }
    std::string expected = read_text(path);
    std::string difference = first_difference(expected, actual);
    INFO("golden file " << path << " (ORCH_UPDATE_GOLDEN=1 rewrites it)\n" << difference);
    CHECK(difference.empty());
}

} // namespace orch::test
