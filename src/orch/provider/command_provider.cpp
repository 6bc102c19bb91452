#include <orch/provider/command_provider.hpp>
#include <orch/util/clock.hpp>
#include <orch/util/process.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>
#include <thread>

namespace orch::provider {

std::string CommandProvider::prompt_text(const Request& request) {
    if (request.messages.size() == 1) {
        return request.messages[0].content;
    }
    std::string out;
    for (const auto& m : request.messages) {
        out += m.role + ": " + m.content + "\n\n";
    }
    return out;
}

void CommandProvider::start(const config::ModelConfig& model, Request request, Callback done) {
    // A program call blocks on its pipes: give it its own short-lived thread.
    std::thread([this, &model, request = std::move(request), done = std::move(done)]() mutable {
        double t0 = util::monotonic_ms();
        std::vector<std::string> argv = m_cfg.command;
        util::RunResult r = util::run_program(argv, prompt_text(request), m_cfg.timeout_s);
        double latency = util::monotonic_ms() - t0;
        auto fail = [&](ProviderErrorKind kind, std::string message) {
            ProviderError e;
            e.kind = kind;
            e.message = std::move(message);
            e.latency_ms = latency;
            done(util::unexpected(std::move(e)));
        };
        if (!r.started) {
            return fail(ProviderErrorKind::transport, fmt::format("cannot run {}: {}", argv[0], r.spawn_error));
        }
        if (r.timed_out) {
            return fail(ProviderErrorKind::timeout, fmt::format("{} did not finish within {}s", argv[0], m_cfg.timeout_s));
        }
        if (r.exit_status != 0) {
            return fail(ProviderErrorKind::server, fmt::format("{} exited with status {}: {}", argv[0], r.exit_status,
                                                               util::truncate(util::trim(r.err), 200)));
        }
        std::string text = util::trim(r.out);
        if (text.empty()) {
            return fail(ProviderErrorKind::bad_response, fmt::format("{} printed no answer", argv[0]));
        }
        Completion c;
        c.text = std::move(text);
        c.usage.input_tokens = estimate_tokens(request.messages);
        c.usage.output_tokens = estimate_tokens(c.text);
        c.usage.estimated = true;
        c.cost_usd = model.cost_usd(c.usage.input_tokens, c.usage.output_tokens);
        c.latency_ms = latency;
        c.model = model.name;
        c.provider_model = model.id;
        done(std::move(c));
    }).detach();
}

} // namespace orch::provider
