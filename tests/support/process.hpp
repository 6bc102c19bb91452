#pragma once
// Test support: run the built orch binary as a process, and scratch folders on disk.
#include <filesystem>
#include <functional>
#include <string>
#include <vector>

namespace orch::test {

struct ProcessResult {
    int exit_code = -1;
    std::string out;
    std::string err;
};

// Runs the built orch binary with args (each shell-quoted), optional stdin text and extra
// environment assignments ("NAME=value"); the working directory is `cwd` when given.
ProcessResult run_orch(const std::vector<std::string>& args, const std::string& cwd = "",
                       const std::string& stdin_text = "", const std::vector<std::string>& env = {});

// A fresh empty folder under the system temp dir, removed when the object goes.
class TempDir {
  public:
    TempDir();
    ~TempDir();
    TempDir(const TempDir&) = delete;
    TempDir& operator=(const TempDir&) = delete;
    const std::filesystem::path& path() const { return m_path; }
    std::string file(const std::string& name) const { return (m_path / name).string(); }
    // Writes text to a file inside the folder and returns its path.
    std::string write(const std::string& name, const std::string& text) const;

  private:
    std::filesystem::path m_path;
};

std::string read_text(const std::string& path);
std::string source_path(const std::string& relative); // a path inside the repository
std::string shell_quote(const std::string& s);
// Runs a shell command line, returning exit code and stdout.
ProcessResult run_shell(const std::string& command);
// What the sqlite3 shell prints for a query on the database at `db` (columns joined by '|').
std::string sql(const std::string& db, const std::string& query);

// A shell command line run in the background (a server under test), its stdout and stderr
// going to `log_path`; stopped (SIGTERM, then waited for) when the object goes.
class BackgroundProcess {
  public:
    BackgroundProcess(const std::string& command, std::string log_path); // throws if fork fails
    ~BackgroundProcess();
    BackgroundProcess(const BackgroundProcess&) = delete;
    BackgroundProcess& operator=(const BackgroundProcess&) = delete;

    std::string output() const; // the log so far
    // Reads the log every 50 ms until ready(log) holds (true), or the process has exited or
    // timeout_s has passed (false; running() tells which).
    bool wait_for(const std::function<bool(const std::string&)>& ready, double timeout_s);
    bool running();
    int pid() const { return m_pid; } // the command's own (the shell execs it); -1 once reaped
    // SIGTERM, then waits; the exit status, -1 when it did not exit normally, 0 when it had
    // already been stopped.
    int stop();
    // Waits for it to exit by itself; the exit status as stop() gives it.
    int wait();

  private:
    std::string m_log;
    int m_pid = -1;
};

// Waits (up to timeout_s) for a server's "listening on http://127.0.0.1:PORT" line in its log;
// the port, or 0 when it did not appear (the process exited or the time ran out).
int wait_for_listening_port(BackgroundProcess& process, double timeout_s);

} // namespace orch::test
