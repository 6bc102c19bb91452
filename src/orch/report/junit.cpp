#include <orch/report/junit.hpp>
#include <orch/report/text.hpp>

#include <fmt/format.h>
#include <ostream>

namespace orch::report {

namespace {

constexpr std::size_t k_output_bytes = 2000;

std::string attr(std::string_view s) {
    return xml_escape(s);
}

// JUnit timestamps have no zone designator.
std::string junit_timestamp(const std::string& iso) {
    if (!iso.empty() && iso.back() == 'Z') {
        return iso.substr(0, iso.size() - 1);
    }
    return iso;
}

std::string seconds(double milliseconds) {
    return fmt::format("{:.3f}", milliseconds / 1000);
}

// One target × suite group, written when complete: the testsuite element's counts come first.
struct Group {
    std::string target;
    std::string suite;
    std::string suite_hash;
    bool simulated = false;
    std::int64_t tests = 0;
    std::int64_t failures = 0;
    std::int64_t errors = 0;
    double time_ms = 0;
    std::string cases;
};

std::string case_body(const store::ResultRow& r) {
    std::string body;
    for (const auto& reason : result_reasons(r)) {
        body += reason + "\n";
    }
    if (r.status != "error") {
        body += "output:\n" + clip(r.output, k_output_bytes) + "\n";
    }
    return xml_escape(body);
}

void add_case(Group& g, const store::ResultRow& r) {
    g.tests++;
    g.time_ms += r.latency_ms;
    g.simulated = g.simulated || r.simulated;
    std::string open = fmt::format("    <testcase classname=\"{}\" name=\"{}#{}\" time=\"{}\"",
                                   attr(r.suite), attr(r.task_id), r.repeat, seconds(r.latency_ms));
    if (r.status == "error") {
        g.errors++;
        std::string kind = r.error_kind.empty() ? "provider" : r.error_kind;
        g.cases +=
            open + ">\n" +
            fmt::format("      <error message=\"provider error ({}): {}\" type=\"{}\">{}</error>\n",
                        attr(kind), attr(one_line(r.error, 200)), attr(kind), case_body(r)) +
            "    </testcase>\n";
    } else if (r.status == "unscored") {
        g.errors++;
        g.cases += open + ">\n" +
                   fmt::format("      <error message=\"unscored: an evaluator could not run\" "
                               "type=\"unscored\">{}</error>\n",
                               case_body(r)) +
                   "    </testcase>\n";
    } else if (!r.passed.value_or(false)) {
        g.failures++;
        g.cases += open + ">\n" +
                   fmt::format(
                       "      <failure message=\"{}\" type=\"quality\">{}</failure>\n",
                       attr(fmt::format("score {:.2f} < {:.2f}", r.score.value_or(0), r.threshold)),
                       case_body(r)) +
                   "    </testcase>\n";
    } else {
        g.cases += open + "/>\n";
    }
}

void write_group(const Group& g, const store::RunInfo& run, bool several_runs, std::ostream& out) {
    std::string name = fmt::format(
        "{}{} / {}", several_runs ? fmt::format("run {} / ", run.id) : "", g.target, g.suite);
    out << fmt::format(
        "  <testsuite name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\" skipped=\"0\" "
        "time=\"{}\" timestamp=\"{}\">\n",
        attr(name), g.tests, g.failures, g.errors, seconds(g.time_ms),
        attr(junit_timestamp(run.started_at)));
    out << "    <properties>\n";
    out << fmt::format("      <property name=\"run\" value=\"{}\"/>\n", run.id);
    out << fmt::format("      <property name=\"target\" value=\"{}\"/>\n", attr(g.target));
    out << fmt::format("      <property name=\"suite\" value=\"{}\"/>\n", attr(g.suite));
    out << fmt::format("      <property name=\"suite_hash\" value=\"{}\"/>\n", attr(g.suite_hash));
    out << fmt::format("      <property name=\"simulated\" value=\"{}\"/>\n",
                       g.simulated ? "true" : "false");
    out << "    </properties>\n";
    out << g.cases;
    out << "  </testsuite>\n";
}

} // namespace

void print_junit(store::Store& store, const std::vector<Leaderboard>& boards, std::ostream& out) {
    std::int64_t tests = 0;
    std::int64_t failures = 0;
    std::int64_t errors = 0;
    bool simulated = false;
    for (const auto& b : boards) {
        simulated = simulated || b.simulated;
        for (const auto& t : b.targets) {
            tests += t.attempted;
            failures += t.scored - t.passed;
            errors += t.errors + t.unscored;
        }
    }
    out << "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n";
    if (simulated) {
        out << "<!-- " << k_simulated_note << " -->\n";
    }
    out << fmt::format("<testsuites name=\"{}\" tests=\"{}\" failures=\"{}\" errors=\"{}\">\n",
                       simulated ? "orch (SIMULATED)" : "orch", tests, failures, errors);
    bool several_runs = boards.size() > 1;
    for (const auto& b : boards) {
        Group group;
        bool open = false;
        // Results arrive ordered by target, then suite: a group ends when either changes.
        store.for_each_result(b.run.id, [&](const store::ResultRow& r) {
            if (open && (r.target != group.target || r.suite != group.suite)) {
                write_group(group, b.run, several_runs, out);
                open = false;
            }
            if (!open) {
                group = Group{};
                group.target = r.target;
                group.suite = r.suite;
                group.suite_hash = r.suite_hash;
                open = true;
            }
            add_case(group, r);
        });
        if (open) {
            write_group(group, b.run, several_runs, out);
        }
    }
    out << "</testsuites>\n";
}

} // namespace orch::report
