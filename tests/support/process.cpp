#include "support/process.hpp"

#include <array>
#include <atomic>
#include <cstdio>
#include <fstream>
#include <random>
#include <sstream>
#include <sys/wait.h>
#include <unistd.h>

namespace orch::test {

namespace fs = std::filesystem;

std::string shell_quote(const std::string& s) {
    std::string out = "'";
    for (char c : s) {
        if (c == '\'') {
            out += "'\\''";
        } else {
            out += c;
        }
    }
    return out + "'";
}

std::string read_text(const std::string& path) {
    std::ifstream in(path, std::ios::binary);
    std::stringstream buf;
    buf << in.rdbuf();
    return buf.str();
}

std::string source_path(const std::string& relative) { return std::string(ORCH_SOURCE_DIR) + "/" + relative; }

TempDir::TempDir() {
    static std::atomic<int> counter{0};
    std::random_device rd;
    m_path = fs::temp_directory_path() /
             ("orch-test-" + std::to_string(getpid()) + "-" + std::to_string(counter++) + "-" +
              std::to_string(rd() % 100000));
    fs::create_directories(m_path);
}

TempDir::~TempDir() {
    std::error_code ec;
    fs::remove_all(m_path, ec);
}

std::string TempDir::write(const std::string& name, const std::string& text) const {
    fs::path p = m_path / name;
    fs::create_directories(p.parent_path());
    std::ofstream out(p, std::ios::binary);
    out << text;
    return p.string();
}

ProcessResult run_shell(const std::string& command) {
    ProcessResult r;
    FILE* pipe = popen(command.c_str(), "r");
    if (pipe == nullptr) {
        return r;
    }
    std::array<char, 4096> buf{};
    size_t n = 0;
    while ((n = fread(buf.data(), 1, buf.size(), pipe)) > 0) {
        r.out.append(buf.data(), n);
    }
    int status = pclose(pipe);
    r.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    return r;
}

ProcessResult run_orch(const std::vector<std::string>& args, const std::string& cwd,
                       const std::string& stdin_text, const std::vector<std::string>& env) {
    TempDir scratch;
    std::string err_file = scratch.file("stderr");
    std::string in_file = scratch.write("stdin", stdin_text);
    std::string cmd;
    if (!cwd.empty()) {
        cmd += "cd " + shell_quote(cwd) + " && ";
    }
    cmd += "env";
    for (const auto& e : env) {
        cmd += " " + shell_quote(e);
    }
    cmd += " " + shell_quote(ORCH_BINARY);
    for (const auto& a : args) {
        cmd += " " + shell_quote(a);
    }
    cmd += " < " + shell_quote(in_file) + " 2> " + shell_quote(err_file);
    ProcessResult r = run_shell(cmd);
    r.err = read_text(err_file);
    return r;
}

} // namespace orch::test
