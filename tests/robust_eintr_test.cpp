// Side effects of a freeze on blocking system calls in the target: each
// thread of robust_eintr blocks in one call and reports every return. A
// ptrace stop wakes each call; the kernel then restarts most of them, but a
// few return EINTR to the program. This test measures which, and fails when
// the kernel's behaviour differs from the table documented in
// docs/safety.md.
#include <poll.h>
#include <unistd.h>

#include <chrono>
#include <map>
#include <set>
#include <sstream>

#include <gtest/gtest.h>

#include "freeze/freezer.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

// Measured on Linux 6.18 (x86_64): the calls that return EINTR after one
// PTRACE_INTERRUPT stop and detach, with no signal sent. Every other call
// in robust_eintr resumes waiting without returning.
const std::set<std::string> kReturnsEintr = {
    "epoll_wait", "epoll_pwait", "sigwaitinfo", "sigtimedwait",
};

// Returns, by call name, the errno of each "return NAME RESULT ERRNO" line
// the target writes within `window`.
std::map<std::string, int> collect_returns(int fd, std::chrono::milliseconds window) {
  std::string output;
  auto deadline = std::chrono::steady_clock::now() + window;
  char buffer[4096];
  while (std::chrono::steady_clock::now() < deadline) {
    pollfd pfd{fd, POLLIN, 0};
    if (::poll(&pfd, 1, 10) <= 0) continue;
    ssize_t n = ::read(fd, buffer, sizeof buffer);
    if (n <= 0) break;
    output.append(buffer, static_cast<std::size_t>(n));
  }
  std::map<std::string, int> returns;
  std::istringstream lines(output);
  std::string word, name;
  long result = 0;
  int error = 0;
  while (lines >> word >> name >> result >> error) {
    if (word == "return") returns[name] = error;
  }
  return returns;
}

TEST(FreezeSideEffects, EintrOnlyFromDocumentedCalls) {
  TargetProcess target("robust_eintr");
  ASSERT_GT(target.pid(), 0);
  ASSERT_TRUE(collect_returns(target.stdout_fd(), std::chrono::milliseconds(100)).empty())
      << "a call returned before any freeze";

  for (int round = 0; round < 3; ++round) {
    FrozenProcess::freeze(target.pid()).resume();
    auto returns = collect_returns(target.stdout_fd(), std::chrono::milliseconds(300));

    std::set<std::string> returned_eintr;
    for (const auto& [name, error] : returns) {
      EXPECT_EQ(error, EINTR) << "round " << round << ": " << name << " returned errno " << error;
      returned_eintr.insert(name);
    }
    EXPECT_EQ(returned_eintr, kReturnsEintr) << "round " << round;
  }
  EXPECT_EQ(test::check_released(target.pid()), "");
}

}  // namespace
}  // namespace stray
