#include "support/target_process.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cstring>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <thread>

#include <gtest/gtest.h>

namespace stray::test {

namespace {

// Reads from `fd` until `done` returns true or the deadline passes. Returns
// false on timeout.
template <typename Done>
bool read_until(int fd, std::string& buffer, std::chrono::steady_clock::time_point deadline,
                Done done) {
  char chunk[4096];
  while (!done()) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) return false;
    pollfd pfd{fd, POLLIN, 0};
    int ready = ::poll(&pfd, 1, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready <= 0) return false;
    ssize_t n = ::read(fd, chunk, sizeof chunk);
    if (n < 0 && errno == EINTR) continue;
    if (n <= 0) return true;  // end of file
    buffer.append(chunk, static_cast<std::size_t>(n));
  }
  return true;
}

// The ready line reaches the test while the target's main thread may still
// be returning from write(2). Waits up to two seconds for it to block in
// another call, so a snapshot finds it where it parks.
void wait_until_main_parked(int pid) {
  std::string path = "/proc/" + std::to_string(pid) + "/syscall";
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream file(path);
    std::string number;
    file >> number;
    // "running" when in user space, else the syscall number; 1 is write.
    if (!number.empty() && number != "running" && number != "1") return;
    std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }
}

}  // namespace

std::string target_path(const std::string& name) {
  if (!name.empty() && name[0] == '/') return name;
  return std::string(STRAY_TARGETS_DIR) + "/" + name;
}

TargetProcess::TargetProcess(const std::string& name, const std::vector<std::string>& args,
                             std::chrono::milliseconds timeout) {
  std::string path = target_path(name);
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed: " << std::strerror(errno);
    return;
  }
  pid_t child = ::fork();
  if (child == 0) {
    // The target dies with the test process, whatever happens to the test.
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(fds[1], STDOUT_FILENO);
    std::vector<char*> argv;
    argv.push_back(path.data());
    for (const auto& arg : args) argv.push_back(const_cast<char*>(arg.c_str()));
    argv.push_back(nullptr);
    ::execv(path.c_str(), argv.data());
    ::_exit(127);
  }
  ::close(fds[1]);
  if (child < 0) {
    ::close(fds[0]);
    ADD_FAILURE() << "fork failed: " << std::strerror(errno);
    return;
  }
  pid_ = child;
  stdout_fd_ = fds[0];

  std::string output;
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool ok = read_until(stdout_fd_, output, deadline,
                       [&] { return output.find("ready\n") != std::string::npos; });
  if (!ok || output.find("ready\n") == std::string::npos) {
    ADD_FAILURE() << "target " << path << " sent no ready line within " << timeout.count()
                  << " ms; output so far: " << output;
    kill();
    return;
  }
  wait_until_main_parked(pid_);
  std::istringstream lines(output.substr(0, output.find("ready\n")));
  std::string line;
  while (std::getline(lines, line)) {
    auto space = line.find(' ');
    if (space == std::string::npos) continue;
    values_.emplace(line.substr(0, space), line.substr(space + 1));
  }
}

TargetProcess::~TargetProcess() { kill(); }

std::string TargetProcess::value(const std::string& key) const {
  auto it = values_.find(key);
  return it == values_.end() ? std::string() : it->second;
}

void TargetProcess::kill() {
  if (pid_ > 0) {
    ::kill(pid_, SIGKILL);
    int status = 0;
    while (::waitpid(pid_, &status, __WALL) < 0 && errno == EINTR) {
    }
    pid_ = 0;
  }
  if (stdout_fd_ >= 0) {
    ::close(stdout_fd_);
    stdout_fd_ = -1;
  }
}

std::string check_released(int pid) {
  std::string task_dir = "/proc/" + std::to_string(pid) + "/task";
  std::error_code error;
  for (const auto& entry : std::filesystem::directory_iterator(task_dir, error)) {
    std::ifstream stat(entry.path() / "stat");
    std::string text((std::istreambuf_iterator<char>(stat)), std::istreambuf_iterator<char>());
    auto paren = text.rfind(')');
    if (paren == std::string::npos || paren + 2 >= text.size()) continue;
    char state = text[paren + 2];
    if (state == 'T' || state == 't') {
      return "thread " + entry.path().filename().string() + " is in state " + state;
    }
    std::ifstream status(entry.path() / "status");
    std::string line;
    while (std::getline(status, line)) {
      if (line.rfind("TracerPid:", 0) == 0 && std::stoi(line.substr(10)) != 0) {
        return "thread " + entry.path().filename().string() + " still has " + line;
      }
    }
  }
  if (error) return "cannot list " + task_dir + ": " + error.message();
  return "";
}

int CommandResult::exit_code() const {
  if (WIFEXITED(status)) return WEXITSTATUS(status);
  if (WIFSIGNALED(status)) return 128 + WTERMSIG(status);
  return -1;
}

CommandResult run_command(const std::vector<std::string>& argv, std::chrono::milliseconds timeout) {
  CommandResult result;
  int out_pipe[2], err_pipe[2];
  if (::pipe2(out_pipe, O_CLOEXEC) != 0 || ::pipe2(err_pipe, O_CLOEXEC) != 0) {
    ADD_FAILURE() << "pipe2 failed: " << std::strerror(errno);
    return result;
  }
  pid_t child = ::fork();
  if (child == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(out_pipe[1], STDOUT_FILENO);
    ::dup2(err_pipe[1], STDERR_FILENO);
    std::vector<char*> args;
    for (const auto& arg : argv) args.push_back(const_cast<char*>(arg.c_str()));
    args.push_back(nullptr);
    ::execvp(args[0], args.data());
    ::_exit(127);
  }
  ::close(out_pipe[1]);
  ::close(err_pipe[1]);
  auto deadline = std::chrono::steady_clock::now() + timeout;
  bool out_done = false, err_done = false;
  char chunk[4096];
  while (!(out_done && err_done)) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
        deadline - std::chrono::steady_clock::now());
    if (left.count() <= 0) {
      ADD_FAILURE() << "command " << argv[0] << " timed out after " << timeout.count() << " ms";
      ::kill(child, SIGKILL);
      break;
    }
    pollfd pfds[2] = {{out_done ? -1 : out_pipe[0], POLLIN, 0}, {err_done ? -1 : err_pipe[0], POLLIN, 0}};
    int ready = ::poll(pfds, 2, static_cast<int>(left.count()));
    if (ready < 0 && errno == EINTR) continue;
    if (ready < 0) break;
    for (int i = 0; i < 2; ++i) {
      if (pfds[i].fd < 0 || pfds[i].revents == 0) continue;
      ssize_t n = ::read(pfds[i].fd, chunk, sizeof chunk);
      if (n <= 0) {
        (i == 0 ? out_done : err_done) = true;
        continue;
      }
      (i == 0 ? result.out : result.err).append(chunk, static_cast<std::size_t>(n));
    }
  }
  ::close(out_pipe[0]);
  ::close(err_pipe[0]);
  while (::waitpid(child, &result.status, 0) < 0 && errno == EINTR) {
  }
  return result;
}

}  // namespace stray::test
