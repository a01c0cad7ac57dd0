// stray watch and stray plot end to end, on a target whose threads leak at
// a known rate.
#include <signal.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <iostream>
#include <thread>

#include <gtest/gtest.h>

#include "proc/proc.hpp"
#include "support/background_command.hpp"
#include "support/target_process.hpp"
#include "watch/series_json.hpp"

namespace stray {
namespace {

using test::BackgroundCommand;
using test::run_command;
using test::TargetProcess;

// A path of its own for this test process. A file left there by an
// earlier process with the same pid is removed, because a watch does not
// write over a series that has data.
std::string temp_path(const std::string& name) {
  std::string path = "/tmp/stray_watch_cli_" + std::to_string(getpid()) + "_" + name;
  std::remove(path.c_str());
  return path;
}

std::string read_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

std::size_t count_lines(const std::string& path) {
  std::string text = read_file(path);
  return static_cast<std::size_t>(std::count(text.begin(), text.end(), '\n'));
}

// The leak_reader group's count in each snapshot (0 when absent).
std::vector<std::size_t> leak_counts(const watch::Series& series) {
  std::vector<std::size_t> counts;
  for (const auto& sample : series.samples) {
    std::size_t count = 0;
    for (const auto& group : sample.groups) {
      if (group.start_routine.find("leak_reader") != std::string::npos) count = group.count;
    }
    counts.push_back(count);
  }
  return counts;
}

TEST(WatchCli, LeakRisesAndAlertExits) {
  TargetProcess target("watch_leak", {"100"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("alert.jsonl"), prometheus_path = temp_path("alert.prom");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "100ms",
                             "--count", "40", "--out", series_path, "--alert", "--alert-window", "4",
                             "--alert-min-growth", "3", "--alert-exitcode", "9", "--prometheus",
                             prometheus_path});
  EXPECT_EQ(result.exit_code(), 9) << result.err << result.out;
  EXPECT_NE(result.err.find("stray: alert: "), std::string::npos) << result.err;
  EXPECT_NE(result.err.find("leak_reader"), std::string::npos) << result.err;
  EXPECT_NE(result.out.find("ended: alert"), std::string::npos) << result.out;

  watch::Series series = watch::read_series_file(series_path);
  EXPECT_EQ(series.header.pid, target.pid());
  ASSERT_GE(series.samples.size(), 4u);
  EXPECT_LT(series.samples.size(), 40u) << "the watch stops at the first alert";
  auto counts = leak_counts(series);
  EXPECT_TRUE(std::is_sorted(counts.begin(), counts.end()));
  EXPECT_GE(counts.back(), counts.front() + 3);
  ASSERT_EQ(series.alerts.size(), 1u);
  EXPECT_NE(series.alerts[0].group.start_routine.find("leak_reader"), std::string::npos);
  EXPECT_EQ(series.alerts[0].group.thread_class, "read");
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, watch::EndReason::alert);
  EXPECT_EQ(series.end->alerts, 1u);

  std::string prometheus = read_file(prometheus_path);
  EXPECT_NE(prometheus.find("stray_group_threads{pid=\"" + std::to_string(target.pid())), std::string::npos);
  EXPECT_NE(prometheus.find("leak_reader()\",name=\"\",class=\"read\"}"), std::string::npos) << prometheus;
  EXPECT_EQ(test::check_released(target.pid()), "");

  std::string html_path = temp_path("alert.html");
  auto plot = run_command({STRAY_BINARY, "plot", series_path, "-o", html_path});
  EXPECT_EQ(plot.exit_code(), 0) << plot.err;
  std::string html = read_file(html_path);
  auto legend = html.find("class=\"legend\"");
  ASSERT_NE(legend, std::string::npos);
  auto first_entry = html.find("<tspan class=\"label\">", html.find("data-index=\"0\"", legend));
  ASSERT_NE(first_entry, std::string::npos);
  EXPECT_NE(html.substr(first_entry, 100).find("leak_reader"), std::string::npos)
      << "the fastest-growing group comes first in the legend";
  for (const auto& path : {series_path, prometheus_path, html_path}) std::remove(path.c_str());
}

TEST(WatchCli, AlertWithoutExitCodeGoesOn) {
  TargetProcess target("watch_leak", {"50"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("goes_on.jsonl");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "100ms",
                             "--count", "8", "--out", series_path, "--alert", "--alert-window", "3",
                             "--alert-min-growth", "2"});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_EQ(series.samples.size(), 8u);
  EXPECT_EQ(series.alerts.size(), 1u) << "one alert for one leaking group";
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, watch::EndReason::count);
  std::remove(series_path.c_str());
}

TEST(WatchCli, SignalLeavesValidSeries) {
  for (int signal : {SIGINT, SIGTERM}) {
    TargetProcess target("watch_leak", {"100"});
    ASSERT_GT(target.pid(), 0);
    std::string series_path = temp_path("signal.jsonl");
    BackgroundCommand watch({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "50ms",
                             "--out", series_path});
    ASSERT_GT(watch.pid(), 0);
    auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
    while (count_lines(series_path) < 4 && std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    ASSERT_GE(count_lines(series_path), 4u) << watch.err();
    ::kill(watch.pid(), signal);
    EXPECT_EQ(watch.wait(std::chrono::seconds(10)), 0) << "signal " << signal << ": " << watch.err();

    std::string text = read_file(series_path);
    ASSERT_FALSE(text.empty());
    EXPECT_EQ(text.back(), '\n');
    watch::Series series = watch::parse_series(text);
    EXPECT_TRUE(series.warnings.empty());
    EXPECT_GE(series.samples.size(), 3u);
    ASSERT_TRUE(series.end.has_value()) << "signal " << signal;
    EXPECT_EQ(series.end->reason, watch::EndReason::signal);
    EXPECT_NE(watch.out().find("ended: signal"), std::string::npos) << watch.out();
    EXPECT_EQ(test::check_released(target.pid()), "");
    std::remove(series_path.c_str());
  }
}

TEST(WatchCli, TargetExitEndsWatchWithSummary) {
  TargetProcess target("watch_leak", {"100", "1200"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("exit.jsonl");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "100ms",
                             "--duration", "1m", "--out", series_path},
                            std::chrono::seconds(30));
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_NE(result.out.find("ended: target_exited"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("fastest-growing group: (anonymous namespace)::leak_reader() [read] +"),
            std::string::npos)
      << result.out;
  EXPECT_NE(result.out.find("snapshot cost: first "), std::string::npos) << result.out;
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_GE(series.samples.size(), 5u);
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, watch::EndReason::target_exited);
  EXPECT_EQ(series.end->failed, 0u) << "the exit is not a failed snapshot";
  std::remove(series_path.c_str());
}

// The Inspector keeps symbol data between snapshots: a watch of 10
// snapshots opens each module once, as a watch of one does. The times are
// recorded, not compared, because a loaded machine reorders them.
TEST(WatchCli, LaterSnapshotsReuseSymbols) {
  TargetProcess target("watch_leak", {"100"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("cost.jsonl");
  auto count_opened = [](const std::string& log) {
    std::size_t opened = 0;
    for (std::size_t at = log.find("symbols: opened module"); at != std::string::npos;
         at = log.find("symbols: opened module", at + 1)) {
      ++opened;
    }
    return opened;
  };
  std::string once_path = temp_path("cost-once.jsonl");
  auto once = run_command({STRAY_BINARY, "--log-level", "debug", "watch", std::to_string(target.pid()),
                           "--count", "1", "--out", once_path});
  std::remove(once_path.c_str());
  ASSERT_EQ(once.exit_code(), 0) << once.err;
  auto result = run_command({STRAY_BINARY, "--log-level", "debug", "watch", std::to_string(target.pid()),
                             "--interval", "50ms", "--count", "10", "--out", series_path});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_GT(count_opened(once.err), 0u) << once.err;
  EXPECT_EQ(count_opened(result.err), count_opened(once.err));

  watch::Series series = watch::read_series_file(series_path);
  ASSERT_TRUE(series.end.has_value());
  ASSERT_TRUE(series.end->first_duration.has_value());
  ASSERT_TRUE(series.end->later_median_duration.has_value());
  auto first = *series.end->first_duration, later = *series.end->later_median_duration;
  std::cout << "first snapshot " << first.count() / 1000 << " us, later median "
            << later.count() / 1000 << " us\n";
  RecordProperty("first_snapshot_us", std::to_string(first.count() / 1000));
  RecordProperty("later_snapshot_median_us", std::to_string(later.count() / 1000));
  std::remove(series_path.c_str());
}

TEST(WatchCli, LightModeGroupsByName) {
  TargetProcess target("watch_leak", {"100"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("light.jsonl");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--light", "--interval",
                             "50ms", "--count", "6", "--out", series_path});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_EQ(series.header.mode, watch::SeriesMode::light);
  ASSERT_EQ(series.samples.size(), 6u);
  bool named = false;
  for (const auto& group : series.samples.back().groups) {
    EXPECT_TRUE(group.start_routine.empty());
    named = named || (group.thread_name == "<script>" && group.thread_class == "sleep");
  }
  EXPECT_TRUE(named) << "light groups are named after the threads";
  EXPECT_EQ(series.samples.back().freeze_duration.count(), 0);
  std::remove(series_path.c_str());
}

TEST(WatchCli, InvalidArgumentsExitTwo) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  std::string pid = std::to_string(target.pid());
  std::string series_path = temp_path("invalid.jsonl");
  auto interval = run_command({STRAY_BINARY, "watch", pid, "--interval", "10", "--out", series_path});
  EXPECT_EQ(interval.exit_code(), 2);
  EXPECT_NE(interval.err.find("--interval: invalid duration '10'"), std::string::npos) << interval.err;
  auto both = run_command({STRAY_BINARY, "watch", pid, "--count", "2", "--duration", "1s", "--out", series_path});
  EXPECT_EQ(both.exit_code(), 2);
  auto window = run_command({STRAY_BINARY, "watch", pid, "--alert-window", "3", "--out", series_path});
  EXPECT_EQ(window.exit_code(), 2) << "--alert-window needs --alert";
  auto directory = run_command({STRAY_BINARY, "watch", pid, "--count", "1", "--out", "/nonexistent/x.jsonl"});
  EXPECT_EQ(directory.exit_code(), 2);
  EXPECT_NE(directory.err.find("/nonexistent/x.jsonl"), std::string::npos) << directory.err;
}

TEST(WatchCli, CountZeroNamesIntegerRange) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--count", "0", "--out",
                             temp_path("count.jsonl")});
  EXPECT_EQ(result.exit_code(), 2);
  EXPECT_NE(result.err.find("--count: Value 0 not in range 1 to 1000000000"), std::string::npos)
      << result.err;
  EXPECT_EQ(result.err.find(".000000"), std::string::npos) << result.err;
}

// A directory under /tmp, removed with its contents at the end of the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = "/tmp/stray-watch-cli-XXXXXX";
    if (::mkdtemp(pattern.data()) == nullptr) ADD_FAILURE() << "mkdtemp failed";
    path_ = pattern;
  }
  ~ScratchDirectory() { std::filesystem::remove_all(path_); }
  ScratchDirectory(const ScratchDirectory&) = delete;
  ScratchDirectory& operator=(const ScratchDirectory&) = delete;

  std::string file(const std::string& name) const { return path_ + "/" + name; }

 private:
  std::string path_;
};

mode_t file_type(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & S_IFMT;
}

TEST(WatchCli, PrometheusSpecialFileExitsTwo) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  ScratchDirectory directory;
  std::ofstream(directory.file("target.txt")) << "kept\n";
  std::vector<std::pair<std::string, std::string>> cases;  // path, expected problem
  ASSERT_EQ(::symlink(directory.file("target.txt").c_str(), directory.file("link.prom").c_str()), 0);
  cases.emplace_back(directory.file("link.prom"), "is a symbolic link");
  ASSERT_EQ(::mkfifo(directory.file("fifo.prom").c_str(), 0644), 0);
  cases.emplace_back(directory.file("fifo.prom"), "is a FIFO");
  if (::geteuid() == 0) {
    // The numbers of /dev/null; stray must refuse the node before any write.
    ASSERT_EQ(::mknod(directory.file("device.prom").c_str(), S_IFCHR | 0644, ::makedev(1, 3)), 0);
    cases.emplace_back(directory.file("device.prom"), "is a character device");
  } else {
    std::cout << "not root: the character device case is skipped\n";
  }
  cases.emplace_back(directory.file("missing/stray.prom"), "cannot create");

  const std::string series_path = directory.file("series.jsonl");
  for (const auto& [path, problem] : cases) {
    const mode_t type_before = file_type(path);
    auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--count", "1", "--out",
                               series_path, "--prometheus", path});
    EXPECT_EQ(result.exit_code(), 2) << path << "\n" << result.err;
    EXPECT_NE(result.err.find("stray: --prometheus " + path + ": " + problem), std::string::npos)
        << result.err;
    EXPECT_EQ(file_type(path), type_before) << path << " was replaced";
    EXPECT_FALSE(std::filesystem::exists(series_path)) << "the watch stops before it starts";
  }
  std::ifstream kept(directory.file("target.txt"));
  std::string line;
  std::getline(kept, line);
  EXPECT_EQ(line, "kept");
  EXPECT_EQ(test::check_released(target.pid()), "");
}

// A failed write of the Prometheus file during the watch is logged, the
// watch goes on, and the exit code reports it.
TEST(WatchCli, PrometheusReplacedDuringWatchExitsSix) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  ScratchDirectory directory;
  const std::string prometheus_path = directory.file("stray.prom");
  const std::string series_path = directory.file("series.jsonl");
  BackgroundCommand watch({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "100ms",
                           "--count", "20", "--out", series_path, "--prometheus", prometheus_path});
  ASSERT_GT(watch.pid(), 0);
  auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(20);
  while (file_type(prometheus_path) != S_IFREG && std::chrono::steady_clock::now() < deadline) {
    std::this_thread::sleep_for(std::chrono::milliseconds(10));
  }
  ASSERT_EQ(file_type(prometheus_path), S_IFREG) << "the first snapshot wrote the file";
  ASSERT_EQ(::unlink(prometheus_path.c_str()), 0);
  ASSERT_EQ(::mkfifo(prometheus_path.c_str(), 0644), 0);

  EXPECT_EQ(watch.wait(std::chrono::seconds(30)), 6) << watch.err();
  EXPECT_NE(watch.err().find("cannot write " + prometheus_path + ": is a FIFO"), std::string::npos)
      << watch.err();
  EXPECT_NE(watch.out().find("writes failed"), std::string::npos) << watch.out();
  EXPECT_EQ(file_type(prometheus_path), S_IFIFO);
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_EQ(series.samples.size(), 20u) << "the watch went on";
}

TEST(WatchCli, SummaryWriteFailureExitsSix) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  ScratchDirectory directory;
  const std::string series_path = directory.file("series.jsonl");
  auto result = run_command({"/bin/sh", "-c",
                             "exec \"$0\" watch \"$1\" --count 2 --interval 10ms --out \"$2\" > /dev/full",
                             STRAY_BINARY, std::to_string(target.pid()), series_path});
  EXPECT_EQ(result.exit_code(), 6) << result.err;
  EXPECT_NE(result.err.find("stray: writing standard output failed: No space left on device"),
            std::string::npos)
      << result.err;
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_EQ(series.samples.size(), 2u);
  EXPECT_TRUE(series.end.has_value());
}

TEST(WatchCli, MissingProcessExitsFour) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  std::string series_path = temp_path("missing.jsonl");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(child), "--count", "2", "--out", series_path});
  EXPECT_EQ(result.exit_code(), 4);
  EXPECT_NE(result.err.find("no such process"), std::string::npos) << result.err;
}

// After pthread_exit in main, the main thread is a zombie while the others
// run: the watch goes on and reads the stacks through a live thread.
TEST(WatchCli, SeriesWithDataIsNotReplaced) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  std::string series_path = temp_path("kept.jsonl");
  auto first = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--count", "1", "--out",
                            series_path});
  ASSERT_EQ(first.exit_code(), 0) << first.err;
  std::string before = read_file(series_path);
  ASSERT_FALSE(before.empty());

  auto second = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--count", "1", "--out",
                             series_path});
  EXPECT_EQ(second.exit_code(), 2) << second.err;
  EXPECT_NE(second.err.find("already has data"), std::string::npos) << second.err;
  EXPECT_EQ(read_file(series_path), before);
  std::remove(series_path.c_str());
}

TEST(WatchCli, MainThreadExitedIsWatched) {
  TargetProcess target("parked", {"2", "main-exits"});
  ASSERT_GT(target.pid(), 0);
  bool zombie = false;
  for (int attempt = 0; attempt < 200 && !zombie; ++attempt) {
    auto stat = proc::try_read_task_stat(target.pid(), target.pid());
    zombie = stat && stat->state == 'Z';
    if (!zombie) std::this_thread::sleep_for(std::chrono::milliseconds(5));
  }
  ASSERT_TRUE(zombie) << "the main thread did not exit";
  std::string series_path = temp_path("main-exited.jsonl");
  auto result = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--interval", "50ms",
                             "--count", "3", "--out", series_path});
  EXPECT_EQ(result.exit_code(), 0) << result.err;
  watch::Series series = watch::read_series_file(series_path);
  EXPECT_NE(series.header.exe.find("parked"), std::string::npos) << series.header.exe;
  ASSERT_EQ(series.samples.size(), 3u);
  for (const auto& sample : series.samples) {
    EXPECT_EQ(sample.error, "");
    EXPECT_EQ(sample.threads, 2u);
  }
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, watch::EndReason::count);
}

TEST(PlotCli, RejectsBadInput) {
  std::string series_path = temp_path("bad.jsonl");
  std::ofstream(series_path) << "{\"type\":\"header\",\"schema\":\"other\"}\n";
  auto bad = run_command({STRAY_BINARY, "plot", series_path, "-o", temp_path("bad.html")});
  EXPECT_EQ(bad.exit_code(), 2);
  EXPECT_NE(bad.err.find("series line 1"), std::string::npos) << bad.err;
  auto missing = run_command({STRAY_BINARY, "plot", temp_path("none.jsonl"), "-o", temp_path("x.svg")});
  EXPECT_EQ(missing.exit_code(), 2);
  auto format = run_command({STRAY_BINARY, "plot", series_path, "-o", temp_path("x.png")});
  EXPECT_EQ(format.exit_code(), 2);
  EXPECT_NE(format.err.find("name the file *.html or *.svg"), std::string::npos) << format.err;

  std::ofstream(series_path) << std::string(100'000, '[') << std::string(100'000, ']') << "\n";
  auto deep = run_command({STRAY_BINARY, "plot", series_path, "-o", temp_path("deep.svg")});
  EXPECT_EQ(deep.exit_code(), 2);
  EXPECT_NE(deep.err.find("series line 1: arrays and objects nested deeper than 64 levels"),
            std::string::npos)
      << deep.err;
  std::remove(series_path.c_str());
}

TEST(PlotCli, WriteFailureExitsSix) {
  TargetProcess target("parked", {"1"});
  ASSERT_GT(target.pid(), 0);
  ScratchDirectory directory;
  const std::string series_path = directory.file("series.jsonl");
  auto watch = run_command({STRAY_BINARY, "watch", std::to_string(target.pid()), "--count", "2", "--interval",
                            "10ms", "--out", series_path});
  ASSERT_EQ(watch.exit_code(), 0) << watch.err;
  // The plot is written through this link to /dev/full, where every write
  // fails with ENOSPC.
  const std::string output_path = directory.file("full.svg");
  ASSERT_EQ(::symlink("/dev/full", output_path.c_str()), 0);
  auto result = run_command({STRAY_BINARY, "plot", series_path, "-o", output_path});
  EXPECT_EQ(result.exit_code(), 6) << result.err;
  EXPECT_NE(result.err.find("stray: writing output file " + output_path + " failed: No space left on device"),
            std::string::npos)
      << result.err;
}

}  // namespace
}  // namespace stray
