// Every input saved under tests/data/fuzz/<target>/ (seeds, and crashes once fixed) runs
// through its target on every test run, so a fixed crash stays fixed.
#include "fuzz/fuzz_targets.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <filesystem>

TEST_CASE("fuzz::regression inputs") {
    namespace fs = std::filesystem;
    std::size_t inputs = 0;
    for (const auto& t : orch::fuzz::targets()) {
        fs::path dir = orch::test::source_path("tests/data/fuzz") + "/" + t.name;
        if (!fs::is_directory(dir)) {
            continue;
        }
        for (const auto& entry : fs::directory_iterator(dir)) {
            std::string bytes = orch::test::read_text(entry.path().string());
            CAPTURE(entry.path().string());
            CHECK_NOTHROW(t.run(reinterpret_cast<const std::uint8_t*>(bytes.data()), bytes.size()));
            ++inputs;
        }
    }
    CHECK(inputs >= 8);
}
