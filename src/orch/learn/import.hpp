#pragma once
// `orch import`: recorded outcomes (prompt × model scores) brought into the results database
// as one run, so that routing policies can be learned from them (tune.hpp) and replayed.
//
//   RouteLLM CSV: a `prompt` column, one correctness column per model (True/False, 1/0 or a
//   score from 0 to 1), optional `<model>_response` columns. mmlu_<subject>.csv becomes task
//   type "mmlu_<subject>" in suite "routellm-mmlu"; gsm8k*.csv task type "gsm8k" in suite
//   "routellm-gsm8k"; any other NAME.csv task type NAME in suite "routellm-NAME". Task ids
//   are "<task type>/<row number from 0, 6 digits>", stable under --sample.
//   JSONL: {"prompt", "task_type", "scores": {model: 0..1}, optional "id", "responses":
//   {model: text}, "tokens": {model: {"input", "output"}}, "cost_usd": {model: x}} a line.
//
// One result row per prompt × model: status scored, passed = score >= 1, output = the
// recorded response or "", tokens estimated from text (~4 characters a token) unless given,
// cost from prices. The prompts go to <db>.imports/<run_id>.jsonl (imported_prompts.hpp).
// Reading validates everything before the database is touched; every problem is reported.
#include <orch/config/providers.hpp>
#include <orch/config/recorded.hpp>
#include <orch/store/store.hpp>

#include <cstdint>
#include <map>
#include <optional>
#include <string>
#include <vector>

namespace orch::learn {

struct Price {
    double input_per_mtok = 0;
    double output_per_mtok = 0;
};

// "MODEL=IN,OUT" or "MODEL=BOTH" (USD per million tokens); throws orch::Error(config).
std::pair<std::string, Price> parse_price(const std::string& text);

// The RouteLLM paper's prices: $24.7/M for gpt-4-1106-preview, $0.24/M for Mixtral-8x7B.
const std::map<std::string, Price>& routellm_default_prices();

struct ImportOptions {
    std::map<std::string, Price> prices;                // --price: first choice
    const config::ProvidersConfig* providers = nullptr; // then a model of that name here
    std::size_t sample = 0;         // 0: every row; else this many rows per file, chosen by hash
    std::int64_t output_tokens = 1; // output tokens of a result with no recorded response
};

// What one model recorded for a prompt (config/recorded.hpp).
using ImportedOutcome = config::RecordedOutcome;

struct ImportedTask {
    std::string suite;
    std::string task_id;
    std::string task_type;
    std::string prompt;
    std::string source; // file name, for the evaluation's reason
    std::vector<ImportedOutcome> outcomes;
};

// What was read, not yet written.
struct ImportBatch {
    std::string kind;                          // routellm | jsonl
    std::map<std::string, std::string> suites; // suite -> sha256 of its files
    std::vector<ImportedTask> tasks;
    std::vector<std::string> models; // in column / first-seen order
};

// Paths may be CSV files or folders of them. Throws orch::Error(config) listing every problem.
ImportBatch read_routellm(const std::vector<std::string>& paths, const ImportOptions& options);
ImportBatch read_jsonl(const std::string& path, const ImportOptions& options);

struct ImportOutcome {
    std::int64_t run_id = 0;
    std::size_t prompts = 0;
    std::size_t results = 0;
    double cost_usd = 0;
    std::string prompts_path;
    std::map<std::string, std::string> price_source; // model -> "--price" | "providers.toml" | …
    std::map<std::string, Price> prices;             // model -> the price used
    std::vector<std::string> warnings;
};

struct RunLineage {
    std::string command_line;
    std::string providers_hash;
    std::string db_path; // for <db>.imports/
};

// Writes the batch as one completed run (runs.simulated = 0) and its prompts file.
ImportOutcome write_import(const ImportBatch& batch, const ImportOptions& options,
                           const RunLineage& lineage, store::Store& store);

// The tokens and cost recorded for one outcome: as the file gives them, else estimated from the
// text (orch::estimate_tokens; the prompt at least 1 token; no response: options.output_tokens)
// and priced.
struct RecordedCost {
    std::int64_t input_tokens = 0;
    std::int64_t output_tokens = 0;
    bool estimated = false;
    double cost_usd = 0;
};
RecordedCost recorded_cost(const ImportedTask& task, const ImportedOutcome& o, const Price& price,
                           const ImportOptions& options);

} // namespace orch::learn
