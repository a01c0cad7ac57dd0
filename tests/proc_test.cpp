// Parsing /proc files: the fields stray reads from stat, with thread names
// that contain the separators of the format, and the state of real child
// processes.
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <thread>

#include <gtest/gtest.h>

#include "proc/proc.hpp"

namespace stray::proc {
namespace {

// Fields 1 to 22 of a stat line; the name goes between the parentheses.
std::string stat_line(const std::string& name) {
  return "4242 (" + name + ") S 17 4242 4242 0 -1 4194368 120 0 0 0 3 1 0 0 20 0 2 0 987654 "
                           "1000 200 18446744073709551615\n";
}

TEST(ParseStat, ReadsFieldsAfterName) {
  auto stat = parse_stat(stat_line("worker"));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "worker");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 17);
  EXPECT_EQ(stat->flags, 4194368u);
  EXPECT_EQ(stat->start_time, 987654u);
}

TEST(ParseStat, NameWithParenthesesAndSpaces) {
  auto stat = parse_stat(stat_line("a) R (b c"));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "a) R (b c");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_time, 987654u);
}

TEST(ParseStat, EmptyName) {
  auto stat = parse_stat(stat_line(""));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "");
  EXPECT_EQ(stat->state, 'S');
}

TEST(ParseStat, RejectsMissingParentheses) {
  EXPECT_FALSE(parse_stat("4242 worker S 17").has_value());
  EXPECT_FALSE(parse_stat("4242 ) worker ( S 17").has_value());
}

TEST(ParseStat, RejectsTruncatedLine) {
  EXPECT_FALSE(parse_stat("4242 (worker) S 17 4242").has_value());
}

TEST(StatusField, FindsValueOfKey) {
  const std::string status = "Name:\tworker\nShdPnd:\t0000000000000001\nSigPnd:\t0000000000000100\n";
  EXPECT_EQ(status_field(status, "SigPnd"), "0000000000000100");
  EXPECT_EQ(status_field(status, "ShdPnd"), "0000000000000001");
  EXPECT_EQ(status_field(status, "Name"), "worker");
}

TEST(StatusField, MissingKeyIsEmpty) {
  EXPECT_EQ(status_field("SigPndX:\t1\nName:\tx\n", "SigPnd"), "");
  EXPECT_EQ(status_field("", "SigPnd"), "");
  EXPECT_EQ(status_field("SigPnd:", "SigPnd"), "");
}

// A forked child, killed and reaped on destruction unless reaped before.
class Child {
 public:
  // The child pauses, or exits at once with `exit_at_once`.
  explicit Child(bool exit_at_once) : pid_(::fork()) {
    if (pid_ == 0) {
      if (exit_at_once) ::_exit(0);
      while (true) ::pause();
    }
  }
  ~Child() {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, nullptr, 0);
  }
  Child(const Child&) = delete;
  Child& operator=(const Child&) = delete;

  int pid() const { return pid_; }
  void reap() {
    ::waitpid(pid_, nullptr, 0);
    pid_ = 0;
  }

 private:
  int pid_;
};

// Waits up to 5 s for the state letter of `pid` to become `state`.
bool wait_for_state(int pid, char state) {
  for (int attempt = 0; attempt < 500; ++attempt) {
    auto stat = try_read_task_stat(pid, pid);
    if (stat && stat->state == state) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  return false;
}

TEST(IsEnding, RunningProcessIsNot) {
  Child child(false);
  ASSERT_GT(child.pid(), 0);
  ASSERT_TRUE(wait_for_state(child.pid(), 'S'));
  EXPECT_FALSE(is_ending(child.pid()));
}

TEST(IsEnding, ZombieAndReapedProcessAre) {
  Child child(true);
  ASSERT_GT(child.pid(), 0);
  const int pid = child.pid();
  ASSERT_TRUE(wait_for_state(pid, 'Z'));
  EXPECT_TRUE(is_ending(pid));
  child.reap();
  EXPECT_TRUE(is_ending(pid));
}

}  // namespace
}  // namespace stray::proc
