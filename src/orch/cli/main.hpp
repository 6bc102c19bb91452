#pragma once
// The front door: parses the command line and runs one subcommand. The only place that
// catches orch::Error and turns it into "orch: error: …" and an exit code (SPEC §4).
#include <iosfwd>
#include <string>
#include <vector>

namespace orch::cli {

// args excludes the program name. Output goes to out (data) and err (diagnostics).
int run(const std::vector<std::string>& args, std::ostream& out, std::ostream& err);
int main(int argc, char** argv);

} // namespace orch::cli
