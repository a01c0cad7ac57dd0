// End-to-end test of classification: inspects tests/targets/classes, whose
// threads are parked in every class, and checks each thread's class, entry
// function, parked line, start routine, top frame and wait object.
#include <sstream>
#include <string>
#include <vector>

#include <gtest/gtest.h>

#include "classify/internal.hpp"
#include "stray/inspect.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using namespace std::chrono_literals;

// One "thread CLASS TID FUNCTION LINE" line of the target.
struct ParkedThread {
  std::string thread_class;
  int tid = 0;
  std::string function;
  int line = 0;
};

std::vector<ParkedThread> parked_threads(const test::TargetProcess& target) {
  std::vector<ParkedThread> parked;
  auto [begin, end] = target.values().equal_range("thread");
  for (auto it = begin; it != end; ++it) {
    std::istringstream fields(it->second);
    ParkedThread thread;
    fields >> thread.thread_class >> thread.tid >> thread.function >> thread.line;
    parked.push_back(thread);
  }
  return parked;
}

const Thread* find_thread(const Snapshot& snapshot, int tid) {
  for (const Thread& thread : snapshot.threads) {
    if (thread.tid == tid) return &thread;
  }
  return nullptr;
}

// Index of the outermost frame whose function is `function`.
std::optional<std::size_t> find_function(const Thread& thread, const std::string& function) {
  for (std::size_t i = thread.frames.size(); i-- > 0;) {
    if (qualified_name(thread.frames[i].function) == function) return i;
  }
  return std::nullopt;
}

std::string describe(const Thread& thread) {
  std::ostringstream text;
  text << "tid " << thread.tid << " class " << to_string(thread.thread_class) << " syscall "
       << thread.syscall.name << "\n";
  for (const Frame& frame : thread.frames) {
    text << "  " << frame.function << " " << frame.module << " " << frame.file << ":"
         << frame.line << "\n";
  }
  return text.str();
}

class ClassesTarget : public ::testing::Test {
 protected:
  static void SetUpTestSuite() { target_ = std::make_unique<test::TargetProcess>("classes"); }
  static void TearDownTestSuite() { target_.reset(); }

  void SetUp() override { ASSERT_NE(target_->pid(), 0) << "the classes target did not start"; }

  static Snapshot inspect() {
    Inspector inspector;
    return inspector.inspect(target_->pid());
  }

  static const Thread* thread_in(const Snapshot& snapshot, const std::string& function) {
    for (const ParkedThread& parked : parked_threads(*target_)) {
      if (parked.function == function) return find_thread(snapshot, parked.tid);
    }
    return nullptr;
  }

  static int value_of(const std::string& key) { return std::stoi(target_->value(key)); }

  static std::unique_ptr<test::TargetProcess> target_;
};

std::unique_ptr<test::TargetProcess> ClassesTarget::target_;

// Checks class, entry function, parked line, start routine and top frame of
// every thread the target announced.
void expect_parked_threads(const Snapshot& snapshot, const std::vector<ParkedThread>& parked) {
  for (const ParkedThread& expected : parked) {
    SCOPED_TRACE(expected.function);
    const Thread* thread = find_thread(snapshot, expected.tid);
    ASSERT_NE(thread, nullptr) << "tid " << expected.tid << " is missing from the snapshot";
    EXPECT_EQ(to_string(thread->thread_class), expected.thread_class) << describe(*thread);

    auto entry = find_function(*thread, expected.function);
    ASSERT_TRUE(entry.has_value()) << describe(*thread);
    EXPECT_EQ(thread->frames[*entry].line, expected.line) << describe(*thread);
    EXPECT_TRUE(thread->frames[*entry].file.ends_with("classes.cpp")) << describe(*thread);
    EXPECT_EQ(thread->start_routine, entry) << describe(*thread);
    EXPECT_EQ(thread->top_frame, entry) << describe(*thread);
  }
}

TEST_F(ClassesTarget, EveryThreadClassified) {
  std::vector<ParkedThread> parked = parked_threads(*target_);
  ASSERT_EQ(parked.size(), 23u);
  Snapshot snapshot = inspect();
  EXPECT_EQ(snapshot.threads.size(), parked.size());
  expect_parked_threads(snapshot, parked);
  EXPECT_EQ(test::check_released(target_->pid()), "");
}

// The first freeze makes nanosleep, poll and the timed futex waits restart
// through restart_syscall, so the second snapshot classifies them from
// their frames.
TEST_F(ClassesTarget, SecondSnapshotAfterRestart) {
  inspect();
  Snapshot snapshot = inspect();
  expect_parked_threads(snapshot, parked_threads(*target_));
}

TEST_F(ClassesTarget, NamedThread) {
  Snapshot snapshot = inspect();
  const Thread* thread = thread_in(snapshot, "park_named_select");
  ASSERT_NE(thread, nullptr);
  EXPECT_EQ(thread->name, "stray-named");
}

TEST_F(ClassesTarget, FdWaitObjects) {
  Snapshot snapshot = inspect();
  const Thread* reader = thread_in(snapshot, "park_pipe_read");
  ASSERT_NE(reader, nullptr);
  EXPECT_EQ(reader->wait.fd, value_of("pipe_read_fd"));
  EXPECT_TRUE(reader->wait.fd_target.starts_with("pipe:[")) << reader->wait.fd_target;

  const Thread* writer = thread_in(snapshot, "park_pipe_write");
  ASSERT_NE(writer, nullptr);
  EXPECT_EQ(writer->wait.fd, value_of("pipe_write_fd"));
  EXPECT_TRUE(writer->wait.fd_target.starts_with("pipe:[")) << writer->wait.fd_target;

  const Thread* epoll = thread_in(snapshot, "park_epoll");
  ASSERT_NE(epoll, nullptr);
  EXPECT_EQ(epoll->wait.fd, value_of("epoll_fd"));
  EXPECT_EQ(epoll->wait.fd_target, "anon_inode:[eventpoll]");
}

TEST_F(ClassesTarget, SocketWaitObjects) {
  Snapshot snapshot = inspect();
  const Thread* acceptor = thread_in(snapshot, "park_accept");
  ASSERT_NE(acceptor, nullptr);
  EXPECT_EQ(acceptor->wait.socket_protocol, "tcp");
  EXPECT_EQ(acceptor->wait.socket_local, "127.0.0.1:" + target_->value("listener_port"));

  const Thread* connector = thread_in(snapshot, "park_connect");
  ASSERT_NE(connector, nullptr);
  EXPECT_EQ(connector->wait.socket_protocol, "tcp");
  EXPECT_EQ(connector->wait.socket_peer, "127.0.0.1:" + target_->value("connect_port"));

  const Thread* receiver = thread_in(snapshot, "park_unix_recv");
  ASSERT_NE(receiver, nullptr);
  EXPECT_EQ(receiver->wait.socket_protocol, "unix");
  EXPECT_EQ(receiver->wait.socket_local, target_->value("unix_name"));
}

TEST_F(ClassesTarget, OtherWaitObjects) {
  Snapshot snapshot = inspect();
  const Thread* poller = thread_in(snapshot, "park_poll");
  ASSERT_NE(poller, nullptr);
  EXPECT_EQ(poller->wait.timeout, std::chrono::nanoseconds(3600s));

  const Thread* waiter = thread_in(snapshot, "park_waitpid");
  ASSERT_NE(waiter, nullptr);
  EXPECT_EQ(waiter->wait.child_pid, value_of("child_pid"));

  const Thread* futex = thread_in(snapshot, "park_raw_futex");
  ASSERT_NE(futex, nullptr);
  ASSERT_TRUE(futex->wait.futex_address.has_value());
  EXPECT_EQ(*futex->wait.futex_address, std::stoull(target_->value("futex_address"), nullptr, 16));

  const Thread* locker = thread_in(snapshot, "park_flock");
  ASSERT_NE(locker, nullptr);
  EXPECT_EQ(locker->syscall.name, "flock");
  EXPECT_EQ(locker->wait.fd, value_of("flock_fd"));
}

// The main thread locks both mutexes before it starts their waiters.
TEST_F(ClassesTarget, MutexWaitNamesOwner) {
  Snapshot snapshot = inspect();
  for (const char* entry : {"park_std_mutex", "park_pthread_mutex"}) {
    SCOPED_TRACE(entry);
    const Thread* waiter = thread_in(snapshot, entry);
    ASSERT_NE(waiter, nullptr);
    EXPECT_EQ(waiter->thread_class, ThreadClass::mutex) << describe(*waiter);
    EXPECT_EQ(waiter->wait.mutex_owner, target_->pid()) << describe(*waiter);
  }
  // A condition variable's futex is not a mutex: no owner is claimed.
  const Thread* condvar_waiter = thread_in(snapshot, "park_std_condvar");
  ASSERT_NE(condvar_waiter, nullptr);
  EXPECT_FALSE(condvar_waiter->wait.mutex_owner.has_value());
}

}  // namespace
}  // namespace stray
