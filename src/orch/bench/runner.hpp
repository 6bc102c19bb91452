#pragma once
// `orch bench`: suites × targets × repeats, fanned out with bounded concurrency, every
// result committed to the database as it completes, resumable after any interruption.
#include <orch/config/policy.hpp>
#include <orch/config/providers.hpp>
#include <orch/config/suite.hpp>
#include <orch/store/store.hpp>

#include <atomic>
#include <cstdint>
#include <iosfwd>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

namespace orch::bench {

class ResponseCache;

struct BenchOptions {
    std::vector<std::string> suite_paths = {"tasks"};
    std::vector<std::string> targets; // model names; empty = every model in providers.toml
    std::int64_t jobs = 16;
    std::uint64_t seed = 42;
    std::int64_t repeats = 1;
    bool sim_sleep = false;
    std::optional<double> max_cost_usd;
    std::optional<std::int64_t> resume_run;
    std::string command_line;
    bool progress = false; // a live progress line on the error stream
    const std::atomic<bool>* stop = nullptr; // set by SIGINT: finish in-flight work, then stop
    ResponseCache* cache = nullptr;          // nullptr: --no-cache
};

// What a run benchmarks: a model, or a routing policy ("policy:NAME" or "policy:FILE.toml")
// that decides per task which model answers.
struct Target {
    std::string name;
    const config::ModelConfig* model = nullptr;    // a model target
    std::shared_ptr<const config::Policy> policy; // a policy target
};

// Policies named by workflow steps (`policy = "…"`), by the name written.
using StepPolicies = std::map<std::string, std::shared_ptr<const config::Policy>>;

// A workflow's pinned step models and step policies checked against providers.toml, each named
// policy resolved into `policies`. With `task` null the suite's own steps are checked at their
// lines; with a row, only what the row's overrides changed, at the row.
void check_step_routes(const config::ProvidersConfig& providers, const config::Suite& suite, const config::Task* task,
                       StepPolicies& policies, config::Problems& problems);

// Everything a run needs, loaded and checked before anything is written.
struct BenchPlan {
    std::vector<config::Suite> suites;
    std::vector<Target> targets;
    std::int64_t tasks = 0; // dataset rows over all suites
    StepPolicies step_policies;
};

// Loads every suite and dataset and checks every row and evaluator; throws
// orch::Error(config) listing every problem (nothing is written).
BenchPlan plan_bench(const config::ProvidersConfig& providers, const BenchOptions& options);

struct BenchOutcome {
    std::int64_t run_id = 0;
    std::string status; // completed | interrupted | budget_exceeded
    std::int64_t results = 0; // written by this invocation
    std::int64_t errors = 0;
    std::int64_t unscored = 0;
    double cost_usd = 0;        // what the results cost (cached answers at their original cost)
    std::int64_t cache_hits = 0;
    std::int64_t replayed = 0;  // answers replayed from recorded outcomes (no call, no spend)
    double spent_usd = 0;       // what this invocation actually spent (cache hits excluded)
};

BenchOutcome run_bench(const config::ProvidersConfig& providers, const BenchPlan& plan,
                       const BenchOptions& options, store::Store& store, std::ostream& progress);

} // namespace orch::bench
