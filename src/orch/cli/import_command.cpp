#include <orch/cli/context.hpp>
#include <orch/config/providers.hpp>
#include <orch/core/error.hpp>
#include <orch/learn/import.hpp>
#include <orch/learn/replay_dir.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <memory>
#include <ostream>

namespace orch::cli {

namespace {

struct ImportArgs {
    std::vector<std::string> paths;
    std::string file;
    std::vector<std::string> prices;
    std::int64_t sample = 0;
    std::int64_t output_tokens = -1; // -1: the importer's default
    std::string replay_dir;
    bool json = false;
};

void run_import(Context& ctx, const ImportArgs& a, const std::string& kind) {
    if (a.sample < 0) {
        throw Error(ErrorKind::config,
                    "--sample: expected a whole number of rows per file, 0 for all");
    }
    learn::ImportOptions options;
    options.sample = static_cast<std::size_t>(a.sample);
    options.output_tokens = a.output_tokens >= 0 ? a.output_tokens : (kind == "routellm" ? 1 : 200);
    for (const auto& p : a.prices) {
        auto [model, price] = learn::parse_price(p);
        options.prices[model] = price;
    }
    // Prices may come from providers.toml; without one, imports still work.
    std::unique_ptr<config::ProvidersConfig> providers;
    if (std::filesystem::exists(ctx.providers_path)) {
        providers = std::make_unique<config::ProvidersConfig>(ctx.load_providers());
        options.providers = providers.get();
    }

    // Read and check everything before the database is touched: bad input writes nothing.
    learn::ImportBatch batch = kind == "routellm" ? learn::read_routellm(a.paths, options)
                                                  : learn::read_jsonl(a.file, options);
    if (!a.replay_dir.empty()) {
        learn::check_replay_dir(a.replay_dir);
    }
    store::Store store(ctx.db_path);
    learn::RunLineage lineage{ctx.command_line, providers ? providers->content_hash : "",
                              ctx.db_path};
    learn::ImportOutcome outcome = learn::write_import(batch, options, lineage, store);
    std::vector<std::string> replay_files;
    if (!a.replay_dir.empty()) {
        replay_files = learn::write_replay_dir(batch, outcome, options, a.replay_dir);
    }

    for (const auto& w : outcome.warnings) {
        ctx.err << "orch: warning: " << w << "\n";
    }
    if (a.json) {
        nlohmann::json prices = nlohmann::json::object();
        for (const auto& [model, source] : outcome.price_source) {
            prices[model] = source;
        }
        nlohmann::json j = {{"run", outcome.run_id},        {"prompts", outcome.prompts},
                            {"results", outcome.results},   {"models", batch.models},
                            {"suites", batch.suites},       {"prompts_file", outcome.prompts_path},
                            {"cost_usd", outcome.cost_usd}, {"price_source", prices},
                            {"replay_files", replay_files}};
        ctx.out << j.dump(2) << "\n";
        return;
    }
    ctx.out << fmt::format("run {}: imported {} prompts, {} results ({} models) into {}\n",
                           outcome.run_id, outcome.prompts, outcome.results, batch.models.size(),
                           ctx.db_path);
    for (const auto& [suite, hash] : batch.suites) {
        ctx.out << fmt::format("  suite {} @{}\n", suite, hash.substr(0, 12));
    }
    for (const auto& [model, source] : outcome.price_source) {
        ctx.out << fmt::format("  model {} (price: {})\n", model, source);
    }
    ctx.out << fmt::format("  recorded cost ${:.4f}; prompts kept in {}\n", outcome.cost_usd,
                           outcome.prompts_path);
    if (!a.replay_dir.empty()) {
        ctx.out << fmt::format("  replay files ({} written) in {}\n", replay_files.size(), a.replay_dir);
        ctx.out << fmt::format("next: orch --providers {}/providers.toml bench --suite {}/suites -t policy:split-even\n",
                               a.replay_dir, a.replay_dir);
    }
    ctx.out << fmt::format("next: orch tune --run {} --evaluate\n", outcome.run_id);
}

void add_common(CLI::App* cmd, ImportArgs& a) {
    cmd->add_option(
        "--price", a.prices,
        "MODEL=IN_PER_MTOK,OUT_PER_MTOK in USD (repeatable; default: providers.toml, then the "
        "RouteLLM paper's $24.7/M for gpt-4-1106-preview and $0.24/M for Mixtral)");
    cmd->add_option("--sample", a.sample,
                    "import this many rows per file (a deterministic sample; 0 = all)")
        ->capture_default_str();
    cmd->add_option(
           "--output-tokens", a.output_tokens,
           "output tokens to record where no response is (default: 1 for routellm, 200 for jsonl)")
        ->default_str("");
    cmd->add_option("--replay-dir", a.replay_dir,
                    "also write DIR/recorded.jsonl, a replay providers.toml and one suite per imported "
                    "suite, so orch bench and orch diff can run policies over the recorded answers");
    cmd->add_flag("--json", a.json, "machine-readable summary");
}

} // namespace

void add_import_command(CLI::App& app, Context& ctx) {
    auto* cmd =
        app.add_subcommand("import", "Bring recorded outcomes (prompt × model scores) in as a run");
    cmd->require_subcommand(1);

    auto rl = std::make_shared<ImportArgs>();
    auto* routellm =
        cmd->add_subcommand("routellm", "RouteLLM CSVs: prompt, one True/False column per model, "
                                        "optional <model>_response columns");
    routellm->add_option("paths", rl->paths, "CSV files or folders of them")->required();
    add_common(routellm, *rl);
    routellm->callback([&ctx, rl] { run_import(ctx, *rl, "routellm"); });

    auto jl = std::make_shared<ImportArgs>();
    auto* jsonl = cmd->add_subcommand(
        "jsonl",
        "JSONL: {\"prompt\", \"task_type\", \"scores\": {model: 0..1}, optional \"id\", \"responses\", "
        "\"tokens\", \"cost_usd\", \"latency_ms\"} a line");
    jsonl->add_option("file", jl->file, "the JSONL file")->required();
    add_common(jsonl, *jl);
    jsonl->callback([&ctx, jl] { run_import(ctx, *jl, "jsonl"); });
}

} // namespace orch::cli
