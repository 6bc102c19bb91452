#include <orch/provider/replay_provider.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::provider {

ReplayProvider::ReplayProvider(const config::ProviderConfig& cfg)
    : m_cfg(cfg), m_file(config::read_recorded_jsonl(cfg.source)) {
    m_by_prompt.reserve(m_file.prompts.size());
    for (std::size_t i = 0; i < m_file.prompts.size(); ++i) {
        m_by_prompt.emplace(m_file.prompts[i].prompt, i); // the first of repeated prompts
    }
}

void ReplayProvider::start(const config::ModelConfig& model, Request request, Callback done) {
    const std::string& recorded_name = model.id.empty() ? model.name : model.id;
    auto fail = [&](std::string message) {
        ProviderError e;
        e.kind = ProviderErrorKind::bad_response;
        e.message = std::move(message);
        done(util::unexpected(std::move(e)));
    };
    const Message* user = nullptr;
    for (const auto& m : request.messages) {
        if (m.role == "user") {
            user = &m;
        }
    }
    if (user == nullptr) {
        fail(fmt::format("replay: the request has no user message to look up in {}", m_cfg.source));
        return;
    }
    auto it = m_by_prompt.find(user->content);
    if (it == m_by_prompt.end()) {
        it = m_by_prompt.find(util::trim(user->content));
    }
    if (it == m_by_prompt.end()) {
        fail(fmt::format("replay: {} holds no recorded answer for this prompt (\"{}\")", m_cfg.source,
                         util::truncate(util::collapse_whitespace(user->content), 60)));
        return;
    }
    const config::RecordedPrompt& p = m_file.prompts[it->second];
    const config::RecordedOutcome* o = nullptr;
    for (const auto& candidate : p.outcomes) {
        if (candidate.model == recorded_name) {
            o = &candidate;
        }
    }
    if (o == nullptr) {
        fail(fmt::format("replay: {} line {} has no outcome for model \"{}\"", m_cfg.source, p.line, recorded_name));
        return;
    }
    Completion c;
    c.text = o->response.value_or("");
    c.usage.input_tokens = o->input_tokens.value_or(estimate_tokens(request.messages));
    c.usage.output_tokens = o->output_tokens.value_or(o->response ? estimate_tokens(*o->response) : 1);
    c.usage.estimated = !o->input_tokens || !o->output_tokens;
    c.cost_usd = o->cost_usd.value_or(model.cost_usd(c.usage.input_tokens, c.usage.output_tokens));
    c.latency_ms = o->latency_ms.value_or(0);
    c.model = model.name;
    c.provider_model = recorded_name;
    c.recorded_score = o->score;
    done(std::move(c));
}

} // namespace orch::provider
