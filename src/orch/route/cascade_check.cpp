#include <orch/eval/heuristic.hpp>
#include <orch/route/cascade_check.hpp>
#include <orch/util/strings.hpp>

#include <fmt/format.h>

namespace orch::route {

std::optional<double> stated_confidence(std::string_view text) {
    std::string lower = util::to_lower(text);
    constexpr std::string_view k_word = "confidence";
    for (std::size_t at = lower.rfind(k_word); at != std::string::npos;
         at = at == 0 ? std::string::npos : lower.rfind(k_word, at - 1)) {
        std::size_t i = at + k_word.size();
        auto skip = [&](std::string_view chars) {
            while (i < lower.size() && chars.find(lower[i]) != std::string_view::npos) {
                ++i;
            }
        };
        skip(" \t*_\"'");
        if (lower.compare(i, 5, "level") == 0) {
            i += 5;
        }
        skip(" \t:=*_\"'");
        if (lower.compare(i, 3, "is ") == 0) {
            i += 3;
        } else if (lower.compare(i, 3, "of ") == 0) {
            i += 3;
        }
        skip(" \t~*_");
        std::size_t start = i;
        while (i < lower.size() &&
               (std::isdigit(static_cast<unsigned char>(lower[i])) || lower[i] == '.')) {
            ++i;
        }
        double v = 0;
        if (i == start ||
            !util::parse_number(std::string_view(lower).substr(start, i - start), v)) {
            continue;
        }
        skip(" ");
        if ((i < lower.size() && lower[i] == '%') || (v > 1 && v <= 100)) {
            v /= 100.0;
        }
        if (v >= 0 && v <= 1) {
            return v;
        }
    }
    return std::nullopt;
}

util::Result<std::shared_ptr<const AnswerCheck>, std::string>
AnswerCheck::build(const config::CascadeCheck& spec) {
    auto check = std::make_shared<AnswerCheck>();
    check->m_spec = spec;
    if (spec.kind != "confidence") {
        auto built = eval::make_heuristic(spec.kind, spec.params, spec.negate);
        if (!built) {
            return util::unexpected(built.error());
        }
        check->m_heuristic = std::move(built.value());
    }
    return std::shared_ptr<const AnswerCheck>(std::move(check));
}

CheckVerdict AnswerCheck::run(const Completion& answer) const {
    if (!m_heuristic) {
        auto c = stated_confidence(answer.text);
        if (!c) {
            return {false, "the answer states no confidence"};
        }
        bool ok = *c >= m_spec.min_confidence;
        return {ok, fmt::format("stated confidence {:.2f} {} {}", *c, ok ? ">=" : "<",
                                m_spec.min_confidence)};
    }
    eval::Verdict v =
        m_heuristic->evaluate(eval::Candidate{answer.text, answer.latency_ms, answer.cost_usd});
    if (!v.ok) {
        return {false, "the check could not run: " + v.reason};
    }
    bool ok = v.score >= m_spec.min_score;
    return {ok, fmt::format("{}: {} (score {:.2f})", m_spec.kind, v.reason, v.score)};
}

} // namespace orch::route
