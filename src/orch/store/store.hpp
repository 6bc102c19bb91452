#pragma once
// The results database (SQLite, WAL): runs with their lineage and one row per result.
// The schema carries a version (PRAGMA user_version) and is migrated forward on open.
#include <cstdint>
#include <functional>
#include <memory>
#include <nlohmann/json.hpp>
#include <optional>
#include <string>
#include <unordered_set>
#include <vector>

namespace orch::store {

struct RunInfo {
    std::int64_t id = 0;
    std::string started_at;
    std::string finished_at;
    std::string status = "running"; // running | completed | interrupted | budget_exceeded
    std::string command;
    std::string orch_version;
    std::string git_rev;
    std::string providers_hash;
    std::uint64_t seed = 0;
    std::int64_t repeats = 1;
    nlohmann::json targets = nlohmann::json::array(); // target names
    nlohmann::json suites = nlohmann::json::object(); // suite name -> content hash
    bool simulated = false;
};

struct ResultRow {
    std::int64_t run_id = 0;
    std::string suite;
    std::string suite_hash;
    std::string task_id;
    std::string task_type;
    std::string target;
    std::string model;
    std::int64_t repeat = 0;
    std::string status; // scored | unscored | error
    std::optional<double> score;
    std::optional<bool> passed;
    double threshold = 1;
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    bool tokens_estimated = false;
    double cost_usd = 0;
    double latency_ms = 0;
    std::optional<double> ttft_ms;
    std::int64_t retries = 0;
    std::string output;
    nlohmann::json evaluations = nlohmann::json::array();
    std::string error_kind;
    std::string error;
    bool simulated = false;
};

// The identity of a unit of work inside a run, for resume.
std::string work_key(const std::string& suite, const std::string& task_id, const std::string& target,
                     std::int64_t repeat);

inline constexpr int k_schema_version = 1;

class Store {
  public:
    // Opens (creating if needed) and migrates the database; throws orch::Error(config) when
    // the file is not a usable orch database.
    explicit Store(const std::string& path);
    ~Store();
    Store(const Store&) = delete;
    Store& operator=(const Store&) = delete;

    int schema_version();
    std::int64_t create_run(const RunInfo& run);
    void set_run_status(std::int64_t run_id, const std::string& status, bool finished);
    // Writes rows in one transaction; a row whose work key is already recorded is ignored.
    void add_results(const std::vector<ResultRow>& rows);

    std::optional<RunInfo> run(std::int64_t run_id);
    std::vector<RunInfo> runs();
    std::optional<std::int64_t> latest_run_id();
    std::unordered_set<std::string> done_keys(std::int64_t run_id);
    std::int64_t count_results(std::int64_t run_id);
    // Streams a run's results ordered by target, then suite, task, repeat.
    void for_each_result(std::int64_t run_id, const std::function<void(const ResultRow&)>& fn);

  private:
    struct Impl;
    std::unique_ptr<Impl> m_impl;
};

} // namespace orch::store
