// Real services from Debian, inspected while they serve: their known thread
// kinds come out with the right class, they still answer afterwards, and
// no thread is left stopped or traced.
#include <sys/syscall.h>

#include <chrono>
#include <fstream>
#include <map>
#include <string>
#include <thread>

#include <gtest/gtest.h>

#include "stray/inspect.hpp"
#include "support/service.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::Service;

// Counts threads by (name, class), e.g. {"mc-worker", "epoll"} -> 4.
std::map<std::pair<std::string, std::string>, int> count_kinds(const Snapshot& snapshot) {
  std::map<std::pair<std::string, std::string>, int> counts;
  for (const Thread& thread : snapshot.threads) {
    ++counts[{thread.name, to_string(thread.thread_class)}];
  }
  return counts;
}

bool has_frame(const Thread& thread, const std::string& function) {
  for (const Frame& frame : thread.frames) {
    if (frame.function == function) return true;
  }
  return false;
}

TEST(Services, MemcachedThreadKinds) {
  if (!test::have_program("memcached")) GTEST_SKIP() << "memcached is not installed";
  Service memcached({"memcached", "-u", "root", "-l", "127.0.0.1", "-p", "{port}", "-U", "0", "-t", "4"});
  ASSERT_GT(memcached.pid(), 0);

  Inspector inspector;
  Snapshot snapshot = inspector.inspect(memcached.pid());
  auto kinds = count_kinds(snapshot);
  EXPECT_EQ((kinds[{"mc-worker", "epoll"}]), 4);
  EXPECT_EQ((kinds[{"memcached", "epoll"}]), 1) << "the main thread's event loop";
  EXPECT_EQ((kinds[{"mc-log", "condvar"}]), 1);
  EXPECT_EQ((kinds[{"mc-slabmaint", "condvar"}]), 1);
  EXPECT_EQ((kinds[{"mc-lrumaint", "sleep"}]), 1);
  for (const Thread& thread : snapshot.threads) {
    EXPECT_EQ(thread.error, "") << "tid " << thread.tid;
    EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << "tid " << thread.tid;
    if (thread.name == "mc-worker") {
      EXPECT_TRUE(has_frame(thread, "event_base_loop")) << "tid " << thread.tid;
    }
  }

  EXPECT_EQ(test::check_released(memcached.pid()), "");
  EXPECT_EQ(memcached.request("version\r\n", "\r\n").rfind("VERSION ", 0), 0u);
}

// Polls /proc/PID/syscall for up to two seconds until the main thread
// waits in epoll_wait or epoll_pwait.
bool wait_in_epoll(int pid) {
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(2);
  while (std::chrono::steady_clock::now() < deadline) {
    std::ifstream in("/proc/" + std::to_string(pid) + "/syscall");
    long number = -1;
    in >> number;
    if (number == SYS_epoll_wait || number == SYS_epoll_pwait) return true;
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  return false;
}

TEST(Services, RedisThreadKinds) {
  if (!test::have_program("redis-server")) GTEST_SKIP() << "redis-server is not installed";
  Service redis({"redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--loglevel", "warning"});
  ASSERT_GT(redis.pid(), 0);
  ASSERT_TRUE(redis.wait_for_reply("PING\r\n", "+PONG\r\n")) << "redis-server did not finish starting";
  // After the reply, the main thread still closes the connection before it
  // waits in its event loop again.
  ASSERT_TRUE(wait_in_epoll(redis.pid())) << "the main thread did not return to epoll_wait";

  Inspector inspector;
  Snapshot snapshot = inspector.inspect(redis.pid());
  auto kinds = count_kinds(snapshot);
  EXPECT_EQ((kinds[{"redis-server", "epoll"}]), 1) << "the main thread's event loop";
  EXPECT_EQ((kinds[{"bio_close_file", "condvar"}]), 1);
  EXPECT_EQ((kinds[{"bio_aof_fsync", "condvar"}]), 1);
  EXPECT_EQ((kinds[{"bio_lazy_free", "condvar"}]), 1);
  for (const Thread& thread : snapshot.threads) {
    EXPECT_EQ(thread.error, "") << "tid " << thread.tid;
    EXPECT_EQ(thread.unwind_end, UnwindEnd::outermost) << "tid " << thread.tid;
    if (thread.name == "redis-server") {
      EXPECT_TRUE(has_frame(thread, "aeMain")) << "tid " << thread.tid;
    }
    if (thread.name.rfind("bio_", 0) == 0) {
      EXPECT_TRUE(has_frame(thread, "bioProcessBackgroundJobs")) << thread.name;
    }
  }

  EXPECT_EQ(test::check_released(redis.pid()), "");
  EXPECT_EQ(redis.request("PING\r\n", "\r\n"), "+PONG\r\n");
}

TEST(Services, RepeatedSnapshotsKeepServing) {
  if (!test::have_program("redis-server")) GTEST_SKIP() << "redis-server is not installed";
  Service redis({"redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--loglevel", "warning"});
  ASSERT_GT(redis.pid(), 0);
  ASSERT_TRUE(redis.wait_for_reply("PING\r\n", "+PONG\r\n")) << "redis-server did not finish starting";
  Inspector inspector;
  for (int round = 0; round < 20; ++round) {
    Snapshot snapshot = inspector.inspect(redis.pid());
    EXPECT_GE(snapshot.threads.size(), 4u) << "round " << round;
    EXPECT_EQ(redis.request("SET key" + std::to_string(round) + " value\r\n", "\r\n"), "+OK\r\n");
  }
  EXPECT_EQ(test::check_released(redis.pid()), "");
}

}  // namespace
}  // namespace stray
