// stray watch on real services while a client opens and closes loopback
// connections: every snapshot succeeds and the thread counts hold still.
#include <atomic>
#include <thread>

#include <gtest/gtest.h>

#include "support/service.hpp"
#include "support/target_process.hpp"
#include "watch/series_json.hpp"

namespace stray {
namespace {

using test::Service;

// Opens and closes connections to `service` until `stop` is set or the
// bound is reached, one request each.
std::size_t churn_connections(const Service& service, const std::string& request,
                              const std::string& terminator, const std::atomic<bool>& stop) {
  constexpr std::size_t kMaxConnections = 2000;
  std::size_t answered = 0;
  for (std::size_t i = 0; i < kMaxConnections && !stop; ++i) {
    if (!service.request(request, terminator).empty()) ++answered;
  }
  return answered;
}

void watch_while_churning(const Service& service, const std::string& request,
                          const std::string& terminator, const std::string& name) {
  std::string series_path = "/tmp/stray_watch_" + name + "_" + std::to_string(getpid()) + ".jsonl";
  std::remove(series_path.c_str());  // from an earlier process with this pid; a watch keeps it
  std::atomic<bool> stop{false};
  std::size_t answered = 0;
  std::thread client([&] { answered = churn_connections(service, request, terminator, stop); });
  auto result = test::run_command({STRAY_BINARY, "watch", std::to_string(service.pid()), "--interval",
                                   "200ms", "--count", "6", "--out", series_path, "--alert",
                                   "--alert-window", "4", "--alert-min-growth", "3"});
  stop = true;
  client.join();
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_GT(answered, 0u) << "the client got no answer while the watch ran";

  watch::Series series = watch::read_series_file(series_path);
  EXPECT_TRUE(series.warnings.empty());
  ASSERT_EQ(series.samples.size(), 6u);
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, watch::EndReason::count);
  EXPECT_EQ(series.end->failed, 0u);
  // A worker that is serving a request when the snapshot is taken moves
  // from the epoll group to read or write for that snapshot. So single
  // groups may differ by one or two, but none grows by three.
  EXPECT_EQ(series.alerts.size(), 0u) << "no group grows in a service with a fixed thread pool";
  for (const auto& sample : series.samples) {
    EXPECT_EQ(sample.error, "");
    EXPECT_EQ(sample.threads, series.samples.front().threads);
  }
  EXPECT_EQ(test::check_released(service.pid()), "");
  std::remove(series_path.c_str());
}

TEST(WatchServices, MemcachedStaysStable) {
  if (!test::have_program("memcached")) GTEST_SKIP() << "memcached is not installed";
  Service memcached({"memcached", "-u", "root", "-l", "127.0.0.1", "-p", "{port}", "-U", "0", "-t", "4"});
  ASSERT_GT(memcached.pid(), 0);
  watch_while_churning(memcached, "version\r\n", "\r\n", "memcached");
  EXPECT_EQ(memcached.request("version\r\n", "\r\n").rfind("VERSION ", 0), 0u);
}

TEST(WatchServices, RedisStaysStable) {
  if (!test::have_program("redis-server")) GTEST_SKIP() << "redis-server is not installed";
  Service redis({"redis-server", "--port", "{port}", "--bind", "127.0.0.1", "--save", "",
                 "--appendonly", "no", "--loglevel", "warning"});
  ASSERT_GT(redis.pid(), 0);
  ASSERT_TRUE(redis.wait_for_reply("PING\r\n", "+PONG\r\n")) << "redis-server did not finish starting";
  watch_while_churning(redis, "PING\r\n", "\r\n", "redis");
  EXPECT_EQ(redis.request("PING\r\n", "\r\n"), "+PONG\r\n");
}

}  // namespace
}  // namespace stray
