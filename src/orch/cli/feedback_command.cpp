#include <orch/cli/context.hpp>
#include <orch/core/error.hpp>
#include <orch/route/bandit.hpp>
#include <orch/store/store.hpp>

#include <filesystem>
#include <fmt/format.h>
#include <ostream>

namespace orch::cli {

namespace {

struct FeedbackArgs {
    std::string request_id;
    double score = 0;
    std::string comment;
};

bool looks_like_request_id(const std::string& id) {
    if (id.size() != 20 || id.rfind("req_", 0) != 0) {
        return false;
    }
    return id.find_first_not_of("0123456789abcdef", 4) == std::string::npos;
}

void run_feedback_command(Context& ctx, const FeedbackArgs& a) {
    if (!looks_like_request_id(a.request_id)) {
        throw Error(ErrorKind::config,
                    fmt::format("expected a request id such as req_0123456789abcdef (orch route "
                                "prints it), got \"{}\"",
                                a.request_id));
    }
    if (!(a.score >= 0 && a.score <= 1)) {
        throw Error(ErrorKind::config,
                    fmt::format("expected a score from 0 to 1, got {}", a.score));
    }
    // Never create a database just to find that the request is not in it.
    std::error_code ec;
    if (!std::filesystem::is_regular_file(ctx.db_path, ec)) {
        throw Error(ErrorKind::config, fmt::format("{}: no such database, so no routed request {}",
                                                   ctx.db_path, a.request_id));
    }
    store::Store store(ctx.db_path);
    if (!store.add_feedback(a.request_id, a.score, a.comment)) {
        throw Error(ErrorKind::config,
                    fmt::format("{}: no routed request {}", ctx.db_path, a.request_id));
    }
    // A request a bandit rule routed teaches it: the reward counts for the model it chose.
    if (auto entry = store.route_entry(a.request_id)) {
        if (auto obs = route::bandit_observation(*entry, a.score)) {
            store.add_bandit_observations({*obs});
        }
    }
    ctx.err << fmt::format("feedback recorded: {} scored {}\n", a.request_id, a.score);
}

} // namespace

void add_feedback_command(CLI::App& app, Context& ctx) {
    auto args = std::make_shared<FeedbackArgs>();
    auto* cmd = app.add_subcommand("feedback", "Record a score (0 to 1) against a routed request");
    cmd->add_option("request_id", args->request_id, "the id orch route printed (req_…)")
        ->required();
    cmd->add_option("score", args->score, "the score, from 0 (bad) to 1 (good)")->required();
    cmd->add_option("--comment", args->comment, "why");
    cmd->callback([&ctx, args] { run_feedback_command(ctx, *args); });
}

} // namespace orch::cli
