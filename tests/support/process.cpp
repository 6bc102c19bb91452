#include "support/process.hpp"

#include <array>
#include <chrono>
#include <regex>
#include <csignal>
#include <stdexcept>
#include <thread>
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

BackgroundProcess::BackgroundProcess(const std::string& command, std::string log_path)
    : m_log(std::move(log_path)) {
    std::string line = "exec " + command + " > " + shell_quote(m_log) + " 2>&1";
    pid_t pid = fork();
    if (pid < 0) {
        throw std::runtime_error("fork failed for: " + command);
    }
    if (pid == 0) {
        execl("/bin/sh", "sh", "-c", line.c_str(), static_cast<char*>(nullptr));
        _exit(127);
    }
    m_pid = pid;
}

BackgroundProcess::~BackgroundProcess() { stop(); }

std::string BackgroundProcess::output() const { return read_text(m_log); }

bool BackgroundProcess::running() {
    int status = 0;
    if (m_pid > 0 && waitpid(m_pid, &status, WNOHANG) == m_pid) {
        m_pid = -1;
    }
    return m_pid > 0;
}

bool BackgroundProcess::wait_for(const std::function<bool(const std::string&)>& ready, double timeout_s) {
    auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(timeout_s);
    while (std::chrono::steady_clock::now() < deadline) {
        if (ready(output())) {
            return true;
        }
        if (!running()) {
            return ready(output()); // it may have written the line just before exiting
        }
        std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    return false;
}

int BackgroundProcess::stop() {
    if (m_pid <= 0) {
        return 0;
    }
    kill(m_pid, SIGTERM);
    return wait();
}

int BackgroundProcess::wait() {
    if (m_pid <= 0) {
        return 0;
    }
    int status = 0;
    waitpid(m_pid, &status, 0);
    m_pid = -1;
    return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

std::string sql(const std::string& db, const std::string& query) {
    return run_shell("sqlite3 -separator '|' " + shell_quote(db) + " " + shell_quote(query)).out;
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

int wait_for_listening_port(BackgroundProcess& process, double timeout_s) {
    const std::regex listening("listening on http://127\\.0\\.0\\.1:([0-9]+)");
    int port = 0;
    process.wait_for(
        [&](const std::string& text) {
            std::smatch m;
            if (std::regex_search(text, m, listening)) {
                port = std::stoi(m[1]);
            }
            return port != 0;
        },
        timeout_s);
    return port;
}

} // namespace orch::test
