#pragma once
// Runs a program (argv, no shell) with input on stdin, collecting stdout and stderr, killed at
// a timeout: the `command` provider and `command` tools.
#include <string>
#include <vector>

namespace orch::util {

struct RunResult {
    bool started = false;
    bool timed_out = false;
    int exit_status = -1;
    std::string out;
    std::string err;
    std::string spawn_error;
};

RunResult run_program(const std::vector<std::string>& argv, const std::string& input, double timeout_s);

} // namespace orch::util
