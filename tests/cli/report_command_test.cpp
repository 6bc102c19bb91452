// `orch report` run as a process over a real bench run: formats, files, errors, and the HTML
// report rendered by headless Chromium.
#include "report/xml_check.hpp"
#include "support/process.hpp"

#include <doctest/doctest.h>
#include <filesystem>
#include <memory>

using orch::test::run_orch;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;

namespace {

// One bench over the default suites, shared by every test here (it is read-only for them).
struct BenchDb {
    TempDir dir;
    std::string db = dir.file("bench.db");
    BenchDb() {
        auto r = run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db,
                           "bench", "--suite", orch::test::source_path("tasks"), "--seed", "11"});
        REQUIRE(r.exit_code == 0);
    }
};

const BenchDb& bench_db() {
    static auto db = std::make_unique<BenchDb>();
    return *db;
}

orch::test::ProcessResult report(std::vector<std::string> args) {
    args.insert(args.begin(), {"--db", bench_db().db, "report"});
    return run_orch(args);
}

std::size_t lines(const std::string& s) {
    return static_cast<std::size_t>(std::count(s.begin(), s.end(), '\n'));
}

} // namespace

TEST_CASE("cli::report formats") {
    SUBCASE("table is the default and matches what bench printed") {
        auto r = report({});
        CHECK(r.exit_code == 0);
        CHECK(r.out.find("[SIMULATED fleet]") != std::string::npos);
        CHECK(r.out.find("TTFT p50") != std::string::npos);
        CHECK(r.out.find("Worst results (10, lowest score first)") != std::string::npos);
        CHECK(report({"1"}).out == r.out);
    }
    SUBCASE("md") {
        auto r = report({"--format", "md"});
        CHECK(r.exit_code == 0);
        CHECK(r.out.rfind("# orch report\n", 0) == 0);
        CHECK(r.out.find("SIMULATED") != std::string::npos);
        CHECK(r.out.find("| sim-frontier (sim) |") != std::string::npos);
    }
    SUBCASE("json, also by --json") {
        auto r = report({"--format", "json"});
        CHECK(r.exit_code == 0);
        auto j = nlohmann::json::parse(r.out);
        CHECK(j["schema"] == "orch.report/1");
        CHECK(j["runs"][0]["simulated"] == true);
        CHECK(j["runs"][0]["targets"].size() == 4);
        CHECK(j["runs"][0]["worst"].size() == 10);
        CHECK(report({"--json"}).out == r.out);
        CHECK(nlohmann::json::parse(report({"--json", "--worst", "3"}).out)["runs"][0]["worst"]
                  .size() == 3);
    }
    SUBCASE("csv, per target and per result") {
        auto r = report({"--format", "csv"});
        CHECK(r.exit_code == 0);
        CHECK(lines(r.out) == 1 + 4);
        auto per = report({"--format", "csv", "--per-task"});
        CHECK(per.exit_code == 0);
        auto rows =
            run_shell("sqlite3 " + shell_quote(bench_db().db) + " 'select count(*) from results'")
                .out;
        CHECK(per.out.rfind("run_id,simulated,target,model,suite,task_id", 0) == 0);
        // Fields never hold a raw newline (reasons are joined with "; "), so lines are rows.
        CHECK(lines(per.out) == 1 + std::stoul(rows));
    }
    SUBCASE("junit is valid XML with one testsuite per target × suite") {
        auto r = report({"--format", "junit"});
        CHECK(r.exit_code == 0);
        CHECK(orch::test::xml_problem(r.out) == "");
        CHECK(r.out.find("<testsuites name=\"orch (SIMULATED)\"") != std::string::npos);
        auto suites = run_shell("sqlite3 " + shell_quote(bench_db().db) +
                                " 'select count(distinct target || suite) from results'")
                          .out;
        std::size_t n = 0;
        for (auto at = r.out.find("<testsuite "); at != std::string::npos;
             at = r.out.find("<testsuite ", at + 1)) {
            ++n;
        }
        CHECK(n == std::stoul(suites));
        if (run_shell("command -v xmllint").exit_code != 0) {
            MESSAGE("SKIPPED: xmllint is not installed (Debian package libxml2-utils)");
        } else {
            TempDir dir;
            std::string path = dir.write("junit.xml", r.out);
            auto lint = run_shell("xmllint --noout " + shell_quote(path) + " 2>&1");
            INFO(lint.out);
            CHECK(lint.exit_code == 0);
        }
    }
    SUBCASE("several runs: one section each") {
        TempDir dir;
        std::string db = dir.file("two.db");
        std::filesystem::copy_file(bench_db().db, db);
        REQUIRE(run_orch({"--providers", orch::test::source_path("providers.toml"), "--db", db,
                          "bench", "--suite", orch::test::source_path("tasks"), "-t", "sim-small"})
                    .exit_code == 0);
        auto j = nlohmann::json::parse(run_orch({"--db", db, "report", "1", "2", "--json"}).out);
        REQUIRE(j["runs"].size() == 2);
        CHECK(j["runs"][1]["targets"].size() == 1);
        auto table = run_orch({"--db", db, "report", "1", "2"});
        CHECK(table.out.find("Run 1 ") != std::string::npos);
        CHECK(table.out.find("Run 2 ") != std::string::npos);
    }
}

TEST_CASE("cli::report files and errors") {
    TempDir dir;
    SUBCASE("-o writes the file, its extension choosing the format") {
        std::string path = dir.file("r.html");
        auto r = report({"-o", path});
        CHECK(r.exit_code == 0);
        CHECK(r.out.empty());
        CHECK(r.err.find("html report written to") != std::string::npos);
        CHECK(orch::test::read_text(path).rfind("<!DOCTYPE html>", 0) == 0);
        CHECK_FALSE(std::filesystem::exists(path + ".partial"));
        std::string xml = dir.file("r.xml");
        CHECK(report({"-o", xml}).exit_code == 0);
        CHECK(orch::test::read_text(xml).rfind("<?xml", 0) == 0);
    }
    SUBCASE("an unknown run is a usage error and writes nothing") {
        std::string path = dir.file("none.json");
        auto r = report({"42", "-o", path});
        CHECK(r.exit_code == 2);
        CHECK(r.err.find("no run 42") != std::string::npos);
        CHECK_FALSE(std::filesystem::exists(path));
        CHECK_FALSE(std::filesystem::exists(path + ".partial"));
    }
    SUBCASE("options that do not fit the format") {
        CHECK(report({"--format", "md", "--per-task"}).exit_code == 2);
        CHECK(report({"--format", "json", "--curve", "c.json"}).exit_code == 2);
        CHECK(report({"--format", "pdf"}).exit_code == 2);
        auto bad = report({"--format", "html", "--curve", dir.write("c.json", "{\"share\": 1}")});
        CHECK(bad.exit_code == 2);
        CHECK(bad.err.find("c.json: expected a JSON object") != std::string::npos);
        CHECK(bad.out.empty());
    }
}

TEST_CASE("cli::report html renders in headless Chromium") {
    TempDir dir;
    std::string curve =
        dir.write("curve.json", R"({"share": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
        "learned": [0, 0.31, 0.52, 0.66, 0.76, 0.84, 0.9, 0.94, 0.97, 0.99, 1],
        "random": [0, 0.1, 0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1],
        "oracle": [0, 0.55, 0.85, 1, 1, 1, 1, 1, 1, 1, 1]})");
    std::string html = dir.file("report.html");
    auto r = report({"--format", "html", "--curve", curve, "-o", html});
    REQUIRE(r.exit_code == 0);
    std::string page = orch::test::read_text(html);
    CHECK(page.find("<script") == std::string::npos);
    CHECK(page.find("Routing curve") != std::string::npos);

    if (!std::filesystem::exists("/usr/bin/chromium")) {
        MESSAGE("SKIPPED: /usr/bin/chromium is not installed (Debian package chromium); the HTML "
                "was not rendered");
        return;
    }
    std::string png = dir.file("report.png");
    std::string profile = dir.file("chromium-profile");
    std::string cmd =
        "timeout 120 /usr/bin/chromium --headless --no-sandbox --disable-gpu --no-first-run "
        "--disable-background-networking --disable-component-update --disable-sync "
        "--user-data-dir=" +
        shell_quote(profile) + " --screenshot=" + shell_quote(png) + " --window-size=1400,2000 " +
        shell_quote("file://" + html) + " 2>&1";
    auto shot = run_shell(cmd);
    INFO(shot.out);
    REQUIRE(std::filesystem::exists(png));
    auto bytes = std::filesystem::file_size(png);
    INFO("screenshot is " << bytes << " bytes");
    CHECK(bytes > 60 * 1024); // a blank or broken page compresses to a few KB
    // A PNG, 1400 pixels wide.
    std::string head = orch::test::read_text(png).substr(0, 24);
    REQUIRE(head.size() == 24);
    CHECK(head.substr(1, 3) == "PNG");
    auto be32 = [&](std::size_t at) {
        return (static_cast<unsigned>(static_cast<unsigned char>(head[at])) << 24) |
               (static_cast<unsigned>(static_cast<unsigned char>(head[at + 1])) << 16) |
               (static_cast<unsigned>(static_cast<unsigned char>(head[at + 2])) << 8) |
               static_cast<unsigned>(static_cast<unsigned char>(head[at + 3]));
    };
    CHECK(be32(16) == 1400);
    CHECK(be32(20) == 2000);
}
