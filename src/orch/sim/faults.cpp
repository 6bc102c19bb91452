#include <orch/core/error.hpp>
#include <orch/sim/faults.hpp>
#include <orch/util/hash.hpp>
#include <orch/util/rng.hpp>
#include <orch/util/strings.hpp>

#include <array>
#include <charconv>
#include <cmath>
#include <fmt/format.h>

namespace orch::sim {

namespace {

struct KindInfo {
    const char* name;
    FaultKind kind;
    bool takes_arg;
    double default_arg;
    const char* arg_meaning;
};

constexpr std::array<KindInfo, 14> k_kinds = {{
    {"429", FaultKind::rate_limited, true, 1, "Retry-After seconds"},
    {"500", FaultKind::internal_error, false, 0, ""},
    {"502", FaultKind::bad_gateway, false, 0, ""},
    {"503", FaultKind::unavailable, false, 0, ""},
    {"hang", FaultKind::hang, true, 30, "seconds"},
    {"reset", FaultKind::reset, false, 0, ""},
    {"truncate", FaultKind::truncate, false, 0, ""},
    {"malformed", FaultKind::malformed, false, 0, ""},
    {"context", FaultKind::context_length, false, 0, ""},
    {"slow", FaultKind::slow, true, 2000, "milliseconds"},
    {"auth", FaultKind::unauthorized, false, 0, ""},
    {"tool-args", FaultKind::tool_args, false, 0, ""},
    {"tool-unknown", FaultKind::tool_unknown, false, 0, ""},
    {"tool-loop", FaultKind::tool_loop, false, 0, ""},
}};

const KindInfo* find_kind(const std::string& name) {
    for (const auto& k : k_kinds) {
        if (name == k.name) {
            return &k;
        }
    }
    return nullptr;
}

std::string kind_names() {
    std::vector<std::string> names;
    for (const auto& k : k_kinds) {
        names.emplace_back(k.name);
    }
    return util::join(names, ", ");
}

bool parse_whole(const std::string& s, std::uint64_t& out) {
    if (s.empty()) {
        return false;
    }
    auto [end, ec] = std::from_chars(s.data(), s.data() + s.size(), out);
    return ec == std::errc() && end == s.data() + s.size();
}

bool parse_plain_number(const std::string& s, double& out) {
    // Not util::parse_number: "$1,000" is no way to write a rate or a delay.
    if (s.empty()) {
        return false;
    }
    try {
        size_t used = 0;
        out = std::stod(s, &used);
        return used == s.size() && std::isfinite(out);
    } catch (const std::exception&) {
        return false;
    }
}

// Parses one item; returns the problem ("" when it is fine).
std::string parse_item(const std::string& text, FaultItem& item) {
    static const std::string k_forms =
        "expected KIND[=ARG]:RATE (e.g. 429:0.05) or KIND[=ARG]@N[-M] (e.g. 503@1-2)";
    item.text = text;
    size_t at = text.find_first_of(":@");
    if (text.empty() || at == std::string::npos) {
        return k_forms;
    }
    std::string head = text.substr(0, at);
    std::string tail = text.substr(at + 1);
    item.scheduled = text[at] == '@';

    std::string name = head;
    std::optional<std::string> arg;
    if (size_t eq = head.find('='); eq != std::string::npos) {
        name = head.substr(0, eq);
        arg = head.substr(eq + 1);
    }
    const KindInfo* info = find_kind(name);
    if (info == nullptr) {
        return fmt::format("unknown fault kind \"{}\"; expected one of {}", name, kind_names());
    }
    item.fault.kind = info->kind;
    item.fault.arg = info->default_arg;
    if (arg) {
        if (!info->takes_arg) {
            return fmt::format("fault \"{}\" takes no argument", name);
        }
        double v = 0;
        if (!parse_plain_number(*arg, v) || v < 0) {
            return fmt::format("argument \"{}\": expected a number of {} (0 or more)", *arg,
                               info->arg_meaning);
        }
        item.fault.arg = v;
    }

    if (!item.scheduled) {
        double rate = 0;
        if (!parse_plain_number(tail, rate) || rate < 0 || rate > 1) {
            return fmt::format("rate \"{}\": expected a probability from 0 to 1", tail);
        }
        item.rate = rate;
        return "";
    }
    std::string first = tail;
    std::string last = tail;
    if (size_t dash = tail.find('-'); dash != std::string::npos) {
        first = tail.substr(0, dash);
        last = tail.substr(dash + 1);
    }
    if (!parse_whole(first, item.first) || !parse_whole(last, item.last) || item.first < 1 ||
        item.last < item.first) {
        return fmt::format("requests \"{}\": expected N or N-M, whole numbers with 1 <= N <= M",
                           tail);
    }
    return "";
}

} // namespace

std::string to_string(FaultKind kind) {
    for (const auto& k : k_kinds) {
        if (k.kind == kind) {
            return k.name;
        }
    }
    return "unknown";
}

FaultPlan FaultPlan::parse(const std::string& spec) {
    FaultPlan plan;
    if (util::trim(spec).empty()) {
        return plan;
    }
    std::vector<std::string> problems;
    auto items = util::split(spec, ',');
    for (size_t i = 0; i < items.size(); ++i) {
        std::string text = util::trim(items[i]);
        FaultItem item;
        std::string problem = parse_item(text, item);
        if (!problem.empty()) {
            problems.push_back(fmt::format("--faults: item {} \"{}\": {}", i + 1, text, problem));
        } else {
            plan.m_items.push_back(std::move(item));
        }
    }
    if (!problems.empty()) {
        throw Error(ErrorKind::config, util::join(problems, "\n"));
    }
    return plan;
}

std::optional<Fault> FaultPlan::pick(std::uint64_t seq, std::uint64_t seed) const {
    for (const auto& item : m_items) {
        if (item.scheduled && seq >= item.first && seq <= item.last) {
            return item.fault;
        }
    }
    for (size_t i = 0; i < m_items.size(); ++i) {
        const auto& item = m_items[i];
        if (item.scheduled) {
            continue;
        }
        // One independent draw per item: adding an item does not reshuffle the others.
        util::Rng rng(util::mix64(seed ^ util::mix64(seq * 0x9e3779b97f4a7c15ULL + i + 1)));
        if (rng.uniform() < item.rate) {
            return item.fault;
        }
    }
    return std::nullopt;
}

} // namespace orch::sim
