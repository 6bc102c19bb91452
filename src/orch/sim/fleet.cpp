#include <orch/sim/fleet.hpp>
#include <orch/config/context.hpp>
#include <orch/context/compaction.hpp>
#include <orch/util/fence.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/rng.hpp>
#include <orch/util/strings.hpp>

#include <algorithm>
#include <map>
#include <optional>
#include <set>
#include <cmath>
#include <fmt/format.h>

namespace orch::sim {

namespace {

using nlohmann::json;

std::string format_number(double v) {
    if (std::abs(v - std::round(v)) < 1e-9) {
        return fmt::format("{}", static_cast<long long>(std::llround(v)));
    }
    return fmt::format("{:.2f}", v);
}

// A plausible wrong number: off by one, a slip of 10%, or a dropped step.
double wrong_number(double v, util::Rng& rng) {
    switch (rng.below(4)) {
    case 0:
        return v + 1;
    case 1:
        return v - 1 == v ? v + 2 : v - 1;
    case 2:
        return std::round(v * 1.1 * 100) / 100 + (v == 0 ? 3 : 0);
    default:
        return v == 0 ? 5 : std::round(v * 0.5 * 100) / 100;
    }
}

std::string pick_other(const json& choices, const std::string& right, util::Rng& rng) {
    std::vector<std::string> others;
    for (const auto& c : choices) {
        std::string s = c.is_string() ? c.get<std::string>() : c.dump();
        if (util::to_lower(s) != util::to_lower(right)) {
            others.push_back(s);
        }
    }
    if (others.empty()) {
        return "other";
    }
    return others[rng.below(others.size())];
}

std::string ref_string(const json& ref) { return ref.is_string() ? ref.get<std::string>() : ref.dump(); }

// Alters one digit run in text ("$48,500" → "$48,600"); returns false when there is none.
bool alter_a_number(std::string& text, util::Rng& rng) {
    std::vector<size_t> starts;
    for (size_t i = 0; i < text.size(); ++i) {
        if (std::isdigit(static_cast<unsigned char>(text[i])) &&
            (i == 0 || !std::isdigit(static_cast<unsigned char>(text[i - 1])))) {
            starts.push_back(i);
        }
    }
    if (starts.empty()) {
        return false;
    }
    size_t at = starts[rng.below(starts.size())];
    size_t end = at;
    while (end < text.size() && std::isdigit(static_cast<unsigned char>(text[end]))) {
        ++end;
    }
    size_t pos = end - 1 > at ? end - 2 : at; // a significant but not the leading digit
    text[pos] = static_cast<char>('0' + (text[pos] - '0' + 1 + static_cast<int>(rng.below(8))) % 10);
    return true;
}

json mutate_value(const json& v, util::Rng& rng) {
    if (v.is_number_integer()) {
        return v.get<long long>() + 1 + static_cast<long long>(rng.below(5)) * 10;
    }
    if (v.is_number()) {
        return v.get<double>() * 1.25;
    }
    if (v.is_string()) {
        std::string s = v.get<std::string>();
        if (alter_a_number(s, rng)) {
            return s;
        }
        return s.size() > 6 ? s.substr(0, s.size() / 2) : std::string("unknown");
    }
    if (v.is_null()) {
        return 0;
    }
    return nullptr;
}

std::string render_json_answer(const json& j, bool fenced) {
    return fenced ? "```json\n" + j.dump(2) + "\n```" : j.dump();
}

std::string answer_classify(const SimHint& h, bool correct, util::Rng& rng) {
    std::string right = ref_string(h.reference);
    std::string out = correct ? right : pick_other(h.choices, right, rng);
    if (rng.uniform() < 0.15 && !out.empty()) {
        out[0] = static_cast<char>(std::toupper(static_cast<unsigned char>(out[0])));
    }
    return out;
}

std::string answer_extract(const SimHint& h, bool correct, util::Rng& rng) {
    bool fenced = rng.uniform() < 0.25;
    json ref = h.reference;
    if (correct || !ref.is_object() || ref.empty()) {
        return render_json_answer(ref, fenced);
    }
    std::vector<std::string> keys;
    for (auto it = ref.begin(); it != ref.end(); ++it) {
        keys.push_back(it.key());
    }
    std::string key = keys[rng.below(keys.size())];
    switch (rng.below(5)) {
    case 0: // truncated output: the JSON never closes
    {
        std::string s = ref.dump();
        return s.substr(0, s.size() * 2 / 3);
    }
    case 1:
        ref.erase(key);
        break;
    default:
        ref[key] = mutate_value(ref[key], rng);
        break;
    }
    return render_json_answer(ref, fenced);
}

std::string answer_summary(const SimHint& h, bool correct, util::Rng& rng) {
    std::string text = ref_string(h.reference);
    if (correct) {
        return text;
    }
    // Drop a sentence, or change a figure: both lose a fact a reader relies on.
    auto sentences = util::split(text, '.');
    if (sentences.size() > 2 && rng.uniform() < 0.5) {
        sentences.erase(sentences.begin() + static_cast<long>(rng.below(sentences.size() - 1)));
        return util::trim(util::join(sentences, "."));
    }
    if (!alter_a_number(text, rng)) {
        text = text.substr(0, text.size() / 2) + "…";
    }
    return text;
}

std::string answer_reason(const SimHint& h, bool correct, util::Rng& rng) {
    double v = 0;
    if (h.reference.is_number()) {
        v = h.reference.get<double>();
    } else if (!util::parse_number(ref_string(h.reference), v)) {
        return correct ? ref_string(h.reference) : "I am not sure.";
    }
    double answer = correct ? v : wrong_number(v, rng);
    static const char* openers[] = {"Let me work through this step by step.",
                                    "Breaking the problem into steps:",
                                    "Step by step:"};
    return fmt::format("{}\nCombining the quantities from each step gives the total.\nAnswer: {}",
                       openers[rng.below(3)], format_number(answer));
}

std::string answer_tool_call(const SimHint& h, bool correct, util::Rng& rng) {
    json ref = h.reference;
    if (!ref.is_object() || !ref.contains("name")) {
        return ref_string(ref);
    }
    if (!correct) {
        json& args = ref["arguments"];
        unsigned mode = static_cast<unsigned>(rng.below(3));
        if (mode == 0 || !args.is_object() || args.empty()) {
            ref["name"] = pick_other(h.choices, ref["name"].get<std::string>(), rng);
        } else {
            std::vector<std::string> keys;
            for (auto it = args.begin(); it != args.end(); ++it) {
                keys.push_back(it.key());
            }
            std::string key = keys[rng.below(keys.size())];
            if (mode == 1) {
                args.erase(key);
            } else {
                args[key] = mutate_value(args[key], rng);
            }
        }
    }
    return render_json_answer(ref, rng.uniform() < 0.15);
}

std::string answer_generic(const Request& req, const config::ModelConfig& model) {
    std::string last;
    for (const auto& m : req.messages) {
        if (m.role == "user") {
            last = m.content;
        }
    }
    return fmt::format("[simulated {}] {}", model.name,
                       util::truncate(util::collapse_whitespace(last), 160));
}

// Whether a call the model made is the golden one: same tool, same arguments as JSON.
bool same_call(const ToolCall& made, const json& expected) {
    if (!expected.is_object() || made.name != expected.value("name", "")) {
        return false;
    }
    json args = json::parse(made.arguments, nullptr, false);
    json want = expected.contains("arguments") ? expected["arguments"] : json::object();
    return !args.is_discarded() && args == want;
}

// A wrong call as models make them: a changed value (a valid call the tool answers wrongly),
// an argument of the wrong type or left out (the schema refuses it), or another tool.
ToolCall wrong_call(const json& expected, const std::vector<ToolSpec>& tools, util::Rng& rng) {
    ToolCall c{"", expected.value("name", ""), ""};
    json args = expected.contains("arguments") ? expected["arguments"] : json::object();
    unsigned mode = static_cast<unsigned>(rng.below(4));
    std::vector<std::string> keys;
    for (auto it = args.begin(); args.is_object() && it != args.end(); ++it) {
        keys.push_back(it.key());
    }
    if (mode == 3 && tools.size() > 1) {
        std::vector<std::string> others;
        for (const auto& t : tools) {
            if (t.name != c.name) {
                others.push_back(t.name);
            }
        }
        c.name = others[rng.below(others.size())];
    } else if (!keys.empty()) {
        std::string key = keys[rng.below(keys.size())];
        if (mode == 0 || mode == 3) {
            args[key] = mutate_value(args[key], rng);
        } else if (mode == 1) {
            args[key] = args[key].is_string() ? json(12345) : json(args[key].dump()); // the wrong type
        } else {
            args.erase(key);
        }
    }
    c.arguments = args.dump();
    return c;
}

// An agent's turn: reads the conversation so far against the golden trajectory
// (`hint.agent.calls`, a list of turns, each the calls made together) and plays the next move.
// A call that matches the next golden one advances; a wrong call that a tool answered counts as
// made (models rarely notice a plausible wrong result); a call that came back as an error is
// retried. When every golden call is made, the model answers.
void play_agent(const SimHint& hint, const Request& request, double p, util::Rng& rng, SimAnswer& a) {
    std::vector<json> flat;
    std::vector<std::size_t> group; // for each flat call, the golden turn it belongs to
    if (hint.agent.is_object() && hint.agent.contains("calls") && hint.agent["calls"].is_array()) {
        std::size_t g = 0;
        for (const auto& turn : hint.agent["calls"]) {
            for (const auto& c : turn.is_array() ? turn : json::array({turn})) {
                flat.push_back(c);
                group.push_back(g);
            }
            ++g;
        }
    }
    std::map<std::string, bool> failed; // tool_call_id → came back as an error
    for (const auto& m : request.messages) {
        if (m.role == "tool") {
            failed[m.tool_call_id] = m.is_error;
        }
    }
    std::vector<bool> done(flat.size(), false);
    // The golden calls still to make: those of the first turn that has any left.
    auto pending = [&] {
        std::vector<std::size_t> out;
        for (std::size_t i = 0; i < flat.size(); ++i) {
            if (!done[i] && (out.empty() || group[i] == group[out.front()])) {
                out.push_back(i);
            }
        }
        return out;
    };
    std::size_t made = 0;
    for (const auto& m : request.messages) {
        for (const auto& c : m.tool_calls) {
            ++made;
            auto left = pending();
            auto hit = std::find_if(left.begin(), left.end(), [&](std::size_t i) { return same_call(c, flat[i]); });
            if (hit != left.end()) {
                done[*hit] = true;
            } else if (!left.empty() && !failed[c.id]) {
                done[left.front()] = true; // a wrong call the tool answered: taken as done
            }
        }
    }
    std::size_t turn = 0;
    for (const auto& m : request.messages) {
        turn += m.role == "assistant" ? 1 : 0;
    }
    auto call_id = [&](std::size_t i) {
        return fmt::format("call_{:016x}", util::hash64(request.key, turn * 64 + i));
    };
    auto left = pending();
    if (!left.empty()) {
        // A weaker model sometimes makes a turn's parallel calls one at a time.
        std::size_t count = left.size() > 1 && rng.uniform() >= p ? 1 : left.size();
        for (std::size_t k = 0; k < count; ++k) {
            std::size_t i = left[k];
            ToolCall c = rng.uniform() < p ? ToolCall{"", flat[i].value("name", ""), flat[i].contains("arguments") ? flat[i]["arguments"].dump() : "{}"}
                                           : wrong_call(flat[i], request.tools, rng);
            c.id = call_id(i);
            a.tool_calls.push_back(std::move(c));
        }
        a.correct = false;
        return;
    }
    if (made == 0 && flat.empty() && !request.tools.empty() && rng.uniform() >= (1 + p) / 2) {
        // Over-eager: a tool call where the right move was to answer.
        a.tool_calls.push_back(ToolCall{call_id(0), request.tools.front().name, "{}"});
        return;
    }
    a.correct = rng.uniform() < p;
    std::string reference = ref_string(hint.reference);
    a.text = a.correct ? reference : answer_summary(hint, false, rng);
}

// Whether the request asks for a compaction: orch's conversation runner says so in its hint; over
// the wire, the request opens with orch's default compaction prompt.
bool is_compaction(const Request& request) {
    if (request.sim_hint) {
        return request.sim_hint->task_type == "compact" && request.sim_hint->reference.is_null();
    }
    static const std::string opening = std::string(config::k_default_compact_prompt).substr(0, 48);
    return !request.messages.empty() && request.messages.front().role == "system" &&
           request.messages.front().content.rfind(opening, 0) == 0;
}

// A compaction: of what it replaces, keeps the sentences that carry an identifier (an id, a
// date, an amount, a name), each with a chance that grows with skill (what the summary so far
// already kept is kept more often), and drops the rest; a weak compactor now and then writes a
// vague summary that keeps no identifier at all.
std::string play_compaction(const Request& request, double p, util::Rng& rng) {
    std::string input;
    for (const auto& m : request.messages) {
        if (m.role == "user") {
            input = m.content;
        }
    }
    if (rng.uniform() < (1 - p) * 0.3) {
        return "Summary: the customer and the assistant went over the account in detail, settled most "
               "questions and agreed on the next steps.";
    }
    double keep_new = 0.55 + 0.45 * p;
    double keep_old = 0.8 + 0.2 * p;
    bool old = false;
    std::vector<std::string> kept;
    for (const auto& line : util::split(input, '\n')) {
        if (line.rfind("Summary so far:", 0) == 0) {
            old = true;
            continue;
        }
        if (line.rfind("Conversation to fold in:", 0) == 0) {
            old = false;
            continue;
        }
        std::string body = line;
        if (size_t colon = body.find(": "); !old && colon != std::string::npos && colon < 10) {
            body = body.substr(colon + 2); // "user: …"
        }
        if (body.rfind("- ", 0) == 0) {
            body = body.substr(2);
        }
        // Sentences end at ". " (not inside "$664.27").
        std::vector<std::string> sentences;
        for (std::size_t start = 0; start < body.size();) {
            std::size_t end = body.find(". ", start);
            end = end == std::string::npos ? body.size() : end + 1;
            sentences.push_back(util::trim(body.substr(start, end - start)));
            start = end;
        }
        for (auto& sentence : sentences) {
            if (sentence.empty() || context::identifiers(sentence).empty() ||
                std::find(kept.begin(), kept.end(), "- " + sentence) != kept.end()) {
                continue;
            }
            if (rng.uniform() < (old ? keep_old : keep_new)) {
                kept.push_back("- " + sentence);
            }
        }
    }
    return kept.empty() ? std::string() : "Summary:\n" + util::join(kept, "\n");
}

std::set<std::string> word_set(const std::string& text) {
    std::set<std::string> out;
    for (auto& w : util::split_words(util::to_lower(text))) {
        out.insert(std::move(w));
    }
    return out;
}

// Word-overlap F1: how far two texts say the same thing.
double overlap(const std::string& a, const std::string& b) {
    auto wa = word_set(a);
    auto wb = word_set(b);
    if (wa.empty() || wb.empty()) {
        return wa.empty() && wb.empty() ? 1.0 : 0.0;
    }
    double common = 0;
    for (const auto& w : wa) {
        common += static_cast<double>(wb.count(w));
    }
    double p = common / static_cast<double>(wa.size());
    double r = common / static_cast<double>(wb.size());
    return p + r > 0 ? 2 * p * r / (p + r) : 0;
}

// A simulated judge reads its own prompt (the fenced blocks) and answers in one of the
// formats real judges use, sometimes unreadably, sometimes biased to position A.
std::optional<std::string> play_judge(const config::SimProfile& profile, const Request& request, util::Rng& rng) {
    std::string user;
    for (const auto& m : request.messages) {
        if (m.role == "user") {
            user += m.content;
        }
    }
    auto candidate = util::unfence(user, "CANDIDATE");
    auto a = util::unfence(user, "OUTPUT_A");
    auto b = util::unfence(user, "OUTPUT_B");
    if (!candidate && !(a && b)) {
        return std::nullopt;
    }
    double form = rng.uniform();
    if (rng.uniform() < profile.judge_error_rate) {
        return std::string("Both aspects were considered carefully; overall the response is reasonable.");
    }
    if (a && b) {
        std::string winner;
        if (rng.uniform() < profile.judge_position_bias) {
            winner = "A";
        } else if (overlap(*a, *b) >= 0.9) {
            winner = "tie";
        } else {
            winner = util::split_words(*a).size() >= util::split_words(*b).size() ? "A" : "B";
        }
        std::string rationale = winner == "tie" ? "Both outputs say the same." : "It covers more of what was asked.";
        if (form < 0.7) {
            return nlohmann::json{{"winner", winner}, {"rationale", rationale}}.dump();
        }
        if (form < 0.85) {
            return fmt::format("Comparing the two outputs.\n{}\nThat is my verdict.",
                               nlohmann::json{{"winner", winner}, {"rationale", rationale}}.dump());
        }
        return fmt::format("{} Winner: {}", rationale, winner);
    }
    auto reference = util::unfence(user, "REFERENCE");
    double q = reference ? overlap(*candidate, *reference) : 0.75;
    double points = std::clamp(std::round(1 + 9 * q + profile.judge_noise * rng.normal()), 1.0, 10.0);
    std::string rationale = q > 0.8 ? "Faithful and complete." : q > 0.5 ? "Partly right; some content is missing or changed." : "Largely wrong or missing.";
    if (form < 0.7) {
        return nlohmann::json{{"score", points}, {"rationale", rationale}}.dump();
    }
    if (form < 0.85) {
        return fmt::format("Here is my assessment.\n```json\n{}\n```", nlohmann::json{{"score", points}, {"rationale", rationale}}.dump());
    }
    return fmt::format("{}\nScore: {}/10", rationale, points);
}

} // namespace

double p_correct(const config::SimProfile& profile, const std::string& task_type, double difficulty) {
    double skill = profile.skill_for(task_type);
    return 1.0 / (1.0 + std::exp(-7.0 * (skill - difficulty)));
}

SimAnswer simulate(const config::ModelConfig& model, const Request& request, int attempt) {
    const config::SimProfile profile = model.sim.value_or(config::SimProfile{});
    SimAnswer a;
    const double cpt = profile.chars_per_token;
    a.usage.input_tokens = estimate_tokens(request.messages, cpt);
    for (const auto& t : request.tools) {
        a.usage.input_tokens +=
            estimate_tokens(t.name, cpt) + estimate_tokens(t.description, cpt) + estimate_tokens(t.parameters.dump(), cpt);
    }
    a.usage.estimated = false; // the simulator's own count is exact for the simulation
    std::uint64_t base = util::hash64(request.key, request.seed ^ util::hash64(model.name));
    util::Rng rng(base);
    util::Rng fail_rng(util::mix64(base ^ static_cast<std::uint64_t>(attempt + 1) * 0x51ed27ULL));

    if (a.usage.input_tokens > model.context_window) {
        a.failed = true;
        a.failure = ProviderErrorKind::context_length;
        a.failure_message = fmt::format("input of {} tokens exceeds the context window of {}",
                                        a.usage.input_tokens, model.context_window);
        a.latency_ms = 50;
        return a;
    }
    double ttft = profile.ttft_ms * std::exp(profile.latency_sigma * fail_rng.normal());
    if (fail_rng.uniform() < profile.failure_rate) {
        a.failed = true;
        a.failure = ProviderErrorKind::server;
        a.failure_message = "simulated 503: the model is overloaded";
        a.latency_ms = ttft;
        return a;
    }

    if (auto verdict = play_judge(profile, request, rng)) {
        a.correct = true;
        a.text = std::move(*verdict);
        a.usage.output_tokens = std::max<std::int64_t>(1, estimate_tokens(a.text, cpt));
        a.ttft_ms = ttft;
        a.latency_ms = std::max(ttft, (profile.latency_ms + static_cast<double>(a.usage.output_tokens) /
                                                                 profile.tokens_per_s * 1000.0) *
                                          std::exp(profile.latency_sigma * rng.normal()));
        return a;
    }
    std::string task_type = request.sim_hint ? request.sim_hint->task_type : request.task_type;
    double difficulty = request.sim_hint ? request.sim_hint->difficulty : 0.5;
    double p = p_correct(profile, task_type, difficulty);
    bool forgot = false; // a conversation's answer whose facts are no longer in its context
    if (request.sim_hint && !request.sim_hint->expected_inputs.empty()) {
        // Garbage in, garbage out: each input that is not what it should be costs most of the
        // chance of a right answer, as when a pipeline's early mistake poisons what follows.
        std::string prompt;
        for (const auto& m : request.messages) {
            prompt += util::to_lower(m.content);
            prompt += '\n';
        }
        const auto& expected = request.sim_hint->expected_inputs;
        double wrong = 0;
        for (const auto& e : expected) {
            wrong += prompt.find(util::to_lower(e)) == std::string::npos ? 1 : 0;
        }
        p *= 1.0 - 0.85 * wrong / static_cast<double>(expected.size());
        if (request.sim_hint->needs_every_input && wrong > 0) {
            forgot = true;
            p = 0;
        }
    }
    if (is_compaction(request)) {
        a.correct = true;
        a.text = play_compaction(request, p_correct(profile, "compact", difficulty), rng);
    } else if (forgot) {
        a.text = "I don't have that detail from earlier in our conversation; could you remind me?";
    } else if (request.sim_hint && !request.sim_hint->agent.is_null()) {
        play_agent(*request.sim_hint, request, p, rng, a);
    } else if (a.correct = rng.uniform() < p; !request.sim_hint || request.sim_hint->reference.is_null()) {
        a.text = answer_generic(request, model);
    } else {
        const SimHint& h = *request.sim_hint;
        if (task_type == "classify") {
            a.text = answer_classify(h, a.correct, rng);
        } else if (task_type == "extract") {
            a.text = answer_extract(h, a.correct, rng);
        } else if (task_type == "summarize" || task_type == "compact") {
            a.text = answer_summary(h, a.correct, rng);
        } else if (task_type == "reason") {
            a.text = answer_reason(h, a.correct, rng);
        } else if (task_type == "tool_call") {
            a.text = answer_tool_call(h, a.correct, rng);
        } else {
            a.text = a.correct ? ref_string(h.reference)
                               : util::truncate(ref_string(h.reference), ref_string(h.reference).size() / 2);
        }
    }
    if (request.params.max_tokens && estimate_tokens(a.text, cpt) > *request.params.max_tokens) {
        a.text = util::truncate(a.text, static_cast<size_t>(static_cast<double>(*request.params.max_tokens) * cpt));
    }
    std::int64_t call_tokens = 0;
    for (const auto& c : a.tool_calls) {
        call_tokens += estimate_tokens(c.name, cpt) + estimate_tokens(c.arguments, cpt) + 4;
    }
    a.usage.output_tokens = std::max<std::int64_t>(1, estimate_tokens(a.text, cpt) + call_tokens);
    double gen_ms = static_cast<double>(a.usage.output_tokens) / profile.tokens_per_s * 1000.0;
    double spread = std::exp(profile.latency_sigma * rng.normal());
    a.ttft_ms = ttft;
    a.latency_ms = std::max(ttft, (profile.latency_ms + gen_ms) * spread);
    return a;
}

} // namespace orch::sim
