#pragma once
// `orch report --format md`: GitHub-flavoured Markdown for CI summaries and pull requests.
// Every value from the database goes through md_cell, so model output cannot break a table
// or inject HTML.
#include <orch/report/leaderboard.hpp>

#include <iosfwd>
#include <vector>

namespace orch::report {

// One section per run: leaderboard, quality by task type, worst results.
void print_markdown(const std::vector<Leaderboard>& boards, std::ostream& out);

} // namespace orch::report
