// A soak: mixed traffic through real HTTP against `orch sim serve` with about 10% of requests
// faulted, for ORCH_SOAK_SECONDS (default 20; `./scripts/test --long` runs 600), while the
// orch bench process and the server are sampled for file-descriptor, thread and memory growth.
// Then SIGINT: the run must stop cleanly with every result it recorded whole.
#include "support/process.hpp"
#include "support/sim_server.hpp"

#include <algorithm>
#include <chrono>
#include <csignal>
#include <cstdlib>
#include <doctest/doctest.h>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

using orch::test::BackgroundProcess;
using orch::test::read_text;
using orch::test::run_shell;
using orch::test::shell_quote;
using orch::test::source_path;
using orch::test::TempDir;
using orch::test::sql;

namespace {

#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
constexpr bool k_sanitized = true;
#elif defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer)
constexpr bool k_sanitized = true;
#else
constexpr bool k_sanitized = false;
#endif
#else
constexpr bool k_sanitized = false;
#endif


struct Sample {
    double t = 0; // seconds since the start
    long fds = 0;
    long threads = 0;
    long rss_kib = 0;
};

// One reading of /proc/PID; false once the process is gone.
bool sample(int pid, double t, Sample& s) {
    std::ifstream status("/proc/" + std::to_string(pid) + "/status");
    if (!status) {
        return false;
    }
    s = Sample{t, 0, 0, 0};
    std::string line;
    while (std::getline(status, line)) {
        std::istringstream in(line);
        std::string key;
        in >> key;
        if (key == "Threads:") {
            in >> s.threads;
        } else if (key == "VmRSS:") {
            in >> s.rss_kib;
        }
    }
    std::error_code ec;
    for (std::filesystem::directory_iterator it("/proc/" + std::to_string(pid) + "/fd", ec), end; !ec && it != end;
         it.increment(ec)) {
        ++s.fds;
    }
    return s.threads > 0;
}

// The samples taken in [from, to) of the run's length, as fractions.
std::vector<Sample> window(const std::vector<Sample>& all, double length, double from, double to) {
    std::vector<Sample> w;
    for (const auto& s : all) {
        if (s.t >= from * length && s.t < to * length) {
            w.push_back(s);
        }
    }
    return w;
}

long max_of(const std::vector<Sample>& w, long Sample::*field) {
    long m = 0;
    for (const auto& s : w) {
        m = std::max(m, s.*field);
    }
    return m;
}

long median_of(std::vector<Sample> w, long Sample::*field) {
    if (w.empty()) {
        return 0;
    }
    std::sort(w.begin(), w.end(), [&](const Sample& a, const Sample& b) { return a.*field < b.*field; });
    return w[w.size() / 2].*field;
}

// Growth between the second quarter (after warm-up) and the last quarter of the run: the fd
// and thread counts may not climb (beyond the jitter of reconnections), and resident memory may
// not grow by more than 8 MiB or a fifth. A leak of one descriptor, thread or few hundred
// bytes per faulted request fails these within the default 20 s.
void check_no_growth(const std::string& who, const std::vector<Sample>& all, double length, long fd_cap) {
    auto early = window(all, length, 0.25, 0.5);
    auto late = window(all, length, 0.75, 1.01);
    REQUIRE(early.size() >= 3);
    REQUIRE(late.size() >= 3);
    long early_rss = median_of(early, &Sample::rss_kib);
    long late_rss = median_of(late, &Sample::rss_kib);
    MESSAGE(who << ": fds " << max_of(early, &Sample::fds) << " -> " << max_of(late, &Sample::fds) << ", threads "
                << max_of(early, &Sample::threads) << " -> " << max_of(late, &Sample::threads) << ", RSS "
                << early_rss / 1024 << " -> " << late_rss / 1024 << " MiB over " << length << " s");
    CHECK(max_of(late, &Sample::fds) <= max_of(early, &Sample::fds) + 8);
    CHECK(max_of(all, &Sample::fds) <= fd_cap);
    CHECK(max_of(late, &Sample::threads) <= max_of(early, &Sample::threads));
    if (k_sanitized) {
        // ASan's quarantine and TSan's shadow memory grow by design; LeakSanitizer checks leaks.
        MESSAGE(who << ": resident memory not checked under a sanitizer");
    } else {
        CHECK(late_rss <= early_rss + std::max(8L * 1024, early_rss / 5));
    }
}

// Copies of the golden suites (each copy's suites renamed `<name>-<copy>`, over the same
// datasets), so that a run walks every task type again and again instead of one task's repeats.
void write_suite_copies(const TempDir& dir, int copies) {
    for (const auto& entry : std::filesystem::directory_iterator(source_path("tasks"))) {
        std::string text = read_text(entry.path().string());
        if (text.find("\n[context]") != std::string::npos) {
            continue; // long threads: heavy for the server's answer key, and not answered by it
        }
        auto name_at = text.find("name = \"") + 8;
        std::string name = text.substr(name_at, text.find('"', name_at) - name_at);
        auto data_at = text.find("dataset = \"") + 11;
        std::string data = text.substr(data_at, text.find('"', data_at) - data_at);
        std::string golden = std::filesystem::canonical(entry.path().parent_path() / data).string();
        for (int c = 0; c < copies; ++c) {
            std::string copy = text;
            copy.replace(data_at, data.size(), golden);
            copy.replace(name_at, name.size(), name + "-" + std::to_string(c));
            char file[64];
            std::snprintf(file, sizeof file, "suites/c%05d-%s", c, entry.path().filename().c_str());
            dir.write(file, copy);
        }
    }
}

} // namespace

TEST_CASE("soak::mixed HTTP traffic with 10% faults leaks no descriptors, threads or memory") {
    const char* env = std::getenv("ORCH_SOAK_SECONDS");
    const double seconds = env ? std::atof(env) : (std::getenv("ORCH_LONG") ? 600.0 : 20.0);
    TempDir dir;
    // ~270 tasks x 4 targets a copy; copies enough for well over the soak's length.
    write_suite_copies(dir, std::max(8, static_cast<int>(seconds * 4)));

    // Faults on about one request in ten, every kind the client must survive: 429s with a
    // Retry-After, 5xx, resets, cut streams, malformed JSON, a slow first byte, a hang past the
    // first-byte timeout and a context-length 400 (not retried: recorded as an error).
    const std::string faults = "429=0.05:0.02,500:0.01,502:0.01,503:0.01,reset:0.01,truncate:0.01,"
                               "malformed:0.01,slow=50:0.01,hang=2:0.005,context:0.005";
    std::string fleet = dir.write("fleet.toml", read_text(source_path("providers.toml")));
    orch::test::SimServerProcess server(
        fleet, {"--suites", dir.file("suites"), "--fixed-latency-ms", "20", "--faults", faults, "--threads", "96"});
    // Mixed traffic: the cloud models over the OpenAI protocol (whole answers), the local model
    // over the Anthropic protocol (streamed), and the default policy routing between them.
    std::string providers = orch::test::http_fleet_providers("openai", server.base_url(), "first_byte_timeout_s = 1\n");
    std::string anthropic = "[providers.http-stream]\nprotocol = \"anthropic\"\nbase_url = \"" + server.base_url() +
                            "\"\nstream = true\nmax_concurrency = 16\ntimeout_s = 10\nfirst_byte_timeout_s = 1\n\n";
    auto local = providers.find("[models.sim-local]");
    REQUIRE(local != std::string::npos);
    auto local_provider = providers.find("provider = \"http\"", local);
    providers.replace(local_provider, 17, "provider = \"http-stream\"");
    providers = anthropic + providers;
    std::string providers_path = dir.write("providers.toml", providers);

    std::string db = dir.file("soak.db");
    std::string log = dir.file("bench.log");
    BackgroundProcess bench(shell_quote(ORCH_BINARY) + " --providers " + shell_quote(providers_path) + " --db " +
                                shell_quote(db) + " bench --suite " + shell_quote(dir.file("suites")) +
                                " -t sim-small -t sim-mid -t sim-local -t policy:default -j 32 --no-cache",
                            log);
    const int bench_pid = bench.pid();
    const int server_pid = server.pid();

    // The soak's clock starts when the calls do (the client's I/O thread is up), not while
    // the hundreds of suite copies are still being loaded and checked: under a sanitizer on a
    // busy machine that can take longer than the early window.
    for (int i = 0; i < 1200; ++i) {
        Sample s;
        if (!sample(bench_pid, 0, s) || s.threads > 1) {
            break;
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    std::vector<Sample> client, sim;
    auto t0 = std::chrono::steady_clock::now();
    auto elapsed = [&] { return std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count(); };
    while (elapsed() < seconds) {
        Sample s;
        if (!sample(bench_pid, elapsed(), s)) {
            break;
        }
        client.push_back(s);
        if (sample(server_pid, elapsed(), s)) {
            sim.push_back(s);
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(250));
    }
    std::string log_text = bench.output();
    INFO(log_text.substr(log_text.size() > 3000 ? log_text.size() - 3000 : 0));
    REQUIRE(bench.running()); // still working when the soak ends: the suites outlast it
    const double length = elapsed();

    // SIGINT: in-flight work finishes and is recorded, the run is marked interrupted, exit 130.
    kill(bench_pid, SIGINT);
    int code = bench.wait();
    CHECK(code == 130);

    check_no_growth("orch bench", client, length, 32 + 32 + 64);
    check_no_growth("orch sim serve", sim, length, 4 * (32 + 32 + 64));

    // Every task that has a row ended whole: scored with a score, or an error with its class
    // and reason. Retries happened and mostly recovered.
    CHECK(sql(db, "select status from runs") == "interrupted\n");
    CHECK(sql(db, "pragma integrity_check") == "ok\n");
    long results = std::stol(sql(db, "select count(*) from results"));
    std::string retries = sql(db, "select sum(retries) from results");
    MESSAGE("soak: " << results << " results, " << retries.substr(0, retries.size() - 1) << " retries, errors:\n"
                     << sql(db, "select error_kind || ' ' || count(*) from results where status = 'error' group by error_kind"));
    CHECK(results >= static_cast<long>(seconds * 50));
    CHECK(sql(db, "select count(*) from results where status = 'error' and (error_kind is null or error = '')") ==
          "0\n");
    CHECK(sql(db, "select count(*) from results where status = 'scored' and score is null") == "0\n");
    CHECK(std::stol(sql(db, "select sum(retries) from results")) > 0);
    CHECK(std::stod(sql(db, "select avg(status = 'scored') from results")) > 0.9);
    CHECK(sql(db, "select count(distinct target) from results") == "4\n");
}
