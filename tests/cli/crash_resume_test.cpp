// Kill orch bench with SIGKILL at random moments, resume each time, and check that nothing
// was lost or duplicated. Runs against `orch sim serve` over HTTP. ORCH_LONG=1 (./scripts/test
// --long) runs the full-size variant.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <chrono>
#include <csignal>
#include <fcntl.h>
#include <cstdlib>
#include <doctest/doctest.h>
#include <random>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::TempDir;
using orch::test::sql;

namespace {


// Starts orch with args; returns its pid.
pid_t spawn_orch(const std::vector<std::string>& args) {
    pid_t pid = fork();
    if (pid == 0) {
        std::vector<char*> argv;
        argv.push_back(const_cast<char*>(ORCH_BINARY));
        for (const auto& a : args) {
            argv.push_back(const_cast<char*>(a.c_str()));
        }
        argv.push_back(nullptr);
        int devnull = open("/dev/null", O_WRONLY);
        dup2(devnull, 1);
        dup2(devnull, 2);
        execv(ORCH_BINARY, argv.data());
        _exit(127);
    }
    return pid;
}

} // namespace

TEST_CASE("crash::SIGKILL at random points then resume loses and duplicates nothing") {
    bool long_run = std::getenv("ORCH_LONG") != nullptr;
    const int tasks = long_run ? 3000 : 1000;
    const int kills = long_run ? 40 : 20;
    TempDir dir;
    std::string rows;
    for (int i = 0; i < tasks; ++i) {
        rows += "{\"id\": \"t" + std::to_string(i) + "\", \"text\": \"ticket number " + std::to_string(i) +
                " about a refund\", \"label\": \"billing\"}\n";
    }
    dir.write("tasks/data.jsonl", rows);
    dir.write("tasks/s.toml", "name = \"crash\"\ntype = \"classify\"\ndataset = \"data.jsonl\"\nreference = \"label\"\n"
                              "choices = [\"billing\", \"bug\"]\n[prompt]\nuser = \"{{text}}\"\n[[evaluators]]\n"
                              "kind = \"equals\"\nvalue = \"{{label}}\"\nignore_case = true\n");
    std::string fleet = dir.write("fleet.toml", orch::test::read_text(orch::test::source_path("providers.toml")));
    // 100 ms answers at -j 32: 2 targets x 1000 tasks take ~6 s of calls, more than the ~4 s the
    // 20 kills leave running (30-400 ms each), so most kills land mid-run.
    orch::test::SimServerProcess server(fleet, {"--suites", dir.file("tasks"), "--fixed-latency-ms", "100"});
    std::string providers = dir.write("providers.toml", orch::test::http_fleet_providers("openai", server.base_url()));
    std::string db = dir.file("crash.db");
    std::vector<std::string> base = {"--providers", providers, "--db", db, "bench", "--suite", dir.file("tasks"),
                                     "-t", "sim-small", "-t", "sim-mid", "-j", "32", "--no-cache"};

    std::mt19937 rng(12345);
    std::uniform_int_distribution<int> delay_ms(30, 400);
    int killed = 0;
    for (int i = 0; i < kills; ++i) {
        auto args = base;
        if (sql(db, "select count(*) from runs") == "1\n") {
            args.push_back("--resume");
            args.push_back("1");
        }
        pid_t pid = spawn_orch(args);
        std::this_thread::sleep_for(std::chrono::milliseconds(delay_ms(rng)));
        kill(pid, SIGKILL);
        int status = 0;
        waitpid(pid, &status, 0);
        killed += WIFSIGNALED(status) ? 1 : 0;
    }
    CHECK(killed >= kills / 2); // most invocations were still running when killed

    // Finish the run.
    auto args = base;
    args.push_back("--resume");
    args.push_back("1");
    pid_t pid = spawn_orch(args);
    int status = 0;
    waitpid(pid, &status, 0);
    REQUIRE(WIFEXITED(status));
    CHECK(WEXITSTATUS(status) == 0);

    const std::string expected = std::to_string(tasks * 2);
    CHECK(sql(db, "select count(*) from results") == expected + "\n");
    CHECK(sql(db, "select count(*) from (select distinct suite, task_id, target, repeat from results)") == expected + "\n");
    CHECK(sql(db, "select count(*) from runs") == "1\n");
    CHECK(sql(db, "select status from runs") == "completed\n");
    CHECK(sql(db, "pragma integrity_check") == "ok\n");
}
