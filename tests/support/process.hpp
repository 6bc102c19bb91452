#pragma once
// Test support: run the built orch binary as a process, and scratch folders on disk.
#include <filesystem>
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

} // namespace orch::test
