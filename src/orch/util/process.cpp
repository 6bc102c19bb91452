#include <orch/util/process.hpp>
#include <orch/util/clock.hpp>

#include <cerrno>
#include <csignal>
#include <cstring>
#include <fcntl.h>
#include <poll.h>
#include <spawn.h>
#include <sys/wait.h>
#include <thread>
#include <unistd.h>

extern char** environ;

namespace orch::util {

RunResult run_program(const std::vector<std::string>& argv, const std::string& input, double timeout_s) {
    RunResult r;
    int in_pipe[2], out_pipe[2], err_pipe[2];
    // Close-on-exec, so a program started at the same time on another thread does not inherit
    // this one's pipe ends (its stdin would then never see end of file).
    if (pipe2(in_pipe, O_CLOEXEC) != 0 || pipe2(out_pipe, O_CLOEXEC) != 0 || pipe2(err_pipe, O_CLOEXEC) != 0) {
        r.spawn_error = std::strerror(errno);
        return r;
    }
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_adddup2(&actions, in_pipe[0], 0);
    posix_spawn_file_actions_adddup2(&actions, out_pipe[1], 1);
    posix_spawn_file_actions_adddup2(&actions, err_pipe[1], 2);
    for (int fd : {in_pipe[0], in_pipe[1], out_pipe[0], out_pipe[1], err_pipe[0], err_pipe[1]}) {
        posix_spawn_file_actions_addclose(&actions, fd);
    }
    std::vector<char*> args;
    for (const auto& a : argv) {
        args.push_back(const_cast<char*>(a.c_str()));
    }
    args.push_back(nullptr);
    pid_t pid = 0;
    int rc = posix_spawnp(&pid, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    close(in_pipe[0]);
    close(out_pipe[1]);
    close(err_pipe[1]);
    if (rc != 0) {
        r.spawn_error = std::strerror(rc);
        close(in_pipe[1]);
        close(out_pipe[0]);
        close(err_pipe[0]);
        return r;
    }
    r.started = true;
    fcntl(in_pipe[1], F_SETFL, O_NONBLOCK);
    size_t written = 0;
    int in_fd = in_pipe[1];
    if (input.empty()) {
        close(in_fd);
        in_fd = -1;
    }
    double deadline = monotonic_ms() + timeout_s * 1000;
    bool out_open = true, err_open = true;
    char buf[8192];
    while (out_open || err_open) {
        double left = deadline - monotonic_ms();
        if (left <= 0) {
            r.timed_out = true;
            kill(pid, SIGKILL);
            break;
        }
        pollfd fds[3];
        int n = 0;
        int out_i = -1, err_i = -1, in_i = -1;
        if (out_open) {
            fds[n] = {out_pipe[0], POLLIN, 0};
            out_i = n++;
        }
        if (err_open) {
            fds[n] = {err_pipe[0], POLLIN, 0};
            err_i = n++;
        }
        if (in_fd >= 0) {
            fds[n] = {in_fd, POLLOUT, 0};
            in_i = n++;
        }
        if (poll(fds, static_cast<nfds_t>(n), static_cast<int>(std::min(left, 100.0))) < 0 && errno != EINTR) {
            break;
        }
        if (in_i >= 0 && (fds[in_i].revents & (POLLOUT | POLLERR | POLLHUP))) {
            ssize_t w = write(in_fd, input.data() + written, input.size() - written);
            if (w > 0) {
                written += static_cast<size_t>(w);
            }
            if (w < 0 && errno != EAGAIN) {
                written = input.size(); // the program closed its stdin: stop writing
            }
            if (written >= input.size()) {
                close(in_fd);
                in_fd = -1;
            }
        }
        auto drain = [&](int idx, int fd, std::string& into, bool& open) {
            if (idx >= 0 && (fds[idx].revents & (POLLIN | POLLHUP | POLLERR))) {
                ssize_t got = read(fd, buf, sizeof buf);
                if (got > 0) {
                    into.append(buf, static_cast<size_t>(got));
                } else if (got == 0 || errno != EAGAIN) {
                    open = false;
                }
            }
        };
        drain(out_i, out_pipe[0], r.out, out_open);
        drain(err_i, err_pipe[0], r.err, err_open);
    }
    if (in_fd >= 0) {
        close(in_fd);
    }
    close(out_pipe[0]);
    close(err_pipe[0]);
    int status = 0;
    waitpid(pid, &status, 0);
    r.exit_status = WIFEXITED(status) ? WEXITSTATUS(status) : 128 + (WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    return r;
}

} // namespace orch::util
