#pragma once
// `orch report --format junit`: JUnit XML for CI test tabs (GitLab, Jenkins, GitHub actions
// that read JUnit).
//
// <testsuites name="orch" tests failures errors>: one <testsuite> per run × target × suite,
// named "TARGET / SUITE" ("run N / TARGET / SUITE" when several runs are reported), with
// properties run, target, suite, suite_hash and simulated. One <testcase> per result:
// classname = suite, name = "TASK_ID#REPEAT", time = latency in seconds. A scored result
// below its threshold has <failure message="score 0.50 &lt; 1.00" type="quality"> whose text
// lists the evaluator reasons and the output; a provider error has <error type="ERROR_KIND">,
// an unscored result <error type="unscored"> with the reasons. Simulated runs say so in the
// root name and in a comment. Everything from the database is XML-escaped.
#include <orch/report/leaderboard.hpp>

#include <iosfwd>
#include <vector>

namespace orch::report {

// Streams each board's run from the store again (results are not held in memory beyond one
// target × suite group); the boards give the totals.
void print_junit(store::Store& store, const std::vector<Leaderboard>& boards, std::ostream& out);

} // namespace orch::report
