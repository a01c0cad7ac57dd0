// The watch stage without the command line: series format, growth alerts,
// Prometheus text, and the /proc-only count on a real target.
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include <filesystem>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>

#include "classify/proc_class.hpp"
#include "io/input_file.hpp"
#include "proc/task_syscall.hpp"
#include "stray/error.hpp"
#include "support/target_process.hpp"
#include "watch/growth_alert.hpp"
#include "watch/prometheus.hpp"
#include "watch/samples.hpp"
#include "watch/series_json.hpp"

namespace stray::watch {
namespace {

using std::chrono::milliseconds;
using std::chrono::system_clock;

SeriesGroup make_group(const std::string& routine, const std::string& thread_class, std::size_t count) {
  SeriesGroup group;
  group.start_routine = routine;
  group.top_frame = routine;
  group.thread_class = thread_class;
  group.count = count;
  return group;
}

SeriesSample make_sample(std::vector<SeriesGroup> groups, int second) {
  SeriesSample sample;
  sample.time = system_clock::time_point(std::chrono::seconds(1'700'000'000 + second));
  for (const auto& group : groups) sample.threads += group.count;
  sample.groups = std::move(groups);
  sample.duration = milliseconds(3);
  sample.freeze_duration = std::chrono::microseconds(200);
  return sample;
}

SeriesHeader make_header() {
  SeriesHeader header;
  header.pid = 42;
  header.comm = "svc";
  header.exe = "/usr/bin/svc";
  header.interval = milliseconds(500);
  header.started = system_clock::time_point(std::chrono::seconds(1'700'000'000));
  return header;
}

std::string to_lines(const std::vector<nlohmann::json>& records) {
  std::string text;
  for (const auto& record : records) text += record.dump() + "\n";
  return text;
}

TEST(Series, RoundTripKeepsEveryField) {
  std::string hostile = "<script>\\\xff\"\n";
  SeriesSample sample = make_sample({make_group(hostile, "read", 7), make_group("main", "sleep", 1)}, 1);
  sample.groups[1].thread_name = "worker";
  SeriesSample failed = make_sample({}, 2);
  failed.error = "pid 42: permission denied";
  SeriesAlert alert;
  alert.time = sample.time;
  alert.group = sample.groups[0];
  alert.from = 2;
  alert.window = 5;
  SeriesEnd end;
  end.time = sample.time;
  end.reason = EndReason::signal;
  end.snapshots = 2;
  end.failed = 1;
  end.alerts = 1;
  end.first_duration = milliseconds(40);

  Series series = parse_series(to_lines({header_to_json(make_header()), sample_to_json(sample),
                                         sample_to_json(failed), alert_to_json(alert), end_to_json(end)}));
  EXPECT_EQ(series.header.pid, 42);
  EXPECT_EQ(series.header.comm, "svc");
  EXPECT_EQ(series.header.interval, milliseconds(500));
  ASSERT_EQ(series.samples.size(), 2u);
  EXPECT_EQ(series.samples[0].threads, 8u);
  ASSERT_EQ(series.samples[0].groups.size(), 2u);
  EXPECT_EQ(series.samples[0].groups[0].start_routine, hostile);
  EXPECT_EQ(series.samples[0].groups[0].count, 7u);
  EXPECT_EQ(series.samples[0].groups[1].thread_name, "worker");
  EXPECT_EQ(series.samples[0].freeze_duration, std::chrono::microseconds(200));
  EXPECT_EQ(series.samples[0].time, sample.time);
  EXPECT_TRUE(series.samples[1].failed());
  EXPECT_EQ(series.samples[1].error, "pid 42: permission denied");
  ASSERT_EQ(series.alerts.size(), 1u);
  EXPECT_EQ(series.alerts[0].group.start_routine, hostile);
  EXPECT_EQ(series.alerts[0].from, 2u);
  ASSERT_TRUE(series.end.has_value());
  EXPECT_EQ(series.end->reason, EndReason::signal);
  EXPECT_EQ(series.end->failed, 1u);
  EXPECT_EQ(series.end->first_duration, milliseconds(40));
  EXPECT_FALSE(series.end->later_median_duration.has_value());
  EXPECT_TRUE(series.warnings.empty());
}

TEST(Series, IncompleteLastLineIsSkipped) {
  std::string text = to_lines({header_to_json(make_header()),
                               sample_to_json(make_sample({make_group("f", "read", 1)}, 1))});
  text += "{\"type\":\"snapshot\",\"ti";
  Series series = parse_series(text);
  EXPECT_EQ(series.samples.size(), 1u);
  ASSERT_EQ(series.warnings.size(), 1u);
  EXPECT_NE(series.warnings[0].find("line 3"), std::string::npos) << series.warnings[0];
}

TEST(Series, OtherVersionIsRejected) {
  nlohmann::json header = header_to_json(make_header());
  header["version"] = kSeriesVersion + 1;
  try {
    parse_series(header.dump() + "\n");
    FAIL() << "a series of another version was accepted";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("\"version\""), std::string::npos) << error.what();
  }
}

TEST(Series, MalformedLinesAreRejected) {
  std::string header = header_to_json(make_header()).dump() + "\n";
  EXPECT_THROW(parse_series(""), Error);
  EXPECT_THROW(parse_series("not json\n"), Error);
  EXPECT_THROW(parse_series(sample_to_json(make_sample({}, 1)).dump() + "\n"), Error)
      << "a series must start with its header";
  EXPECT_THROW(parse_series(header + "{\"type\":\"snapshot\",\"time\":\"yesterday\"}\n"), Error);
  EXPECT_THROW(parse_series(header + header), Error);
  EXPECT_NO_THROW(parse_series(header + "{\"type\":\"comment\"}\n")) << "unknown types are skipped";
}

TEST(GrowthAlert, FiresOnSteadyGrowth) {
  GrowthDetector detector({.window = 4, .min_growth = 3});
  std::vector<SeriesAlert> alerts;
  for (std::size_t count = 1; count <= 6 && alerts.empty(); ++count) {
    alerts = detector.add(make_sample({make_group("leak", "read", count), make_group("pool", "condvar", 4)},
                                      static_cast<int>(count)));
    if (count < 4) {
      EXPECT_TRUE(alerts.empty()) << "window not full at count " << count;
    }
  }
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].group.start_routine, "leak");
  EXPECT_EQ(alerts[0].from, 1u);
  EXPECT_EQ(alerts[0].group.count, 4u);
  EXPECT_EQ(alerts[0].window, 4u);
}

TEST(GrowthAlert, FiresOnceUntilCountFalls) {
  GrowthDetector detector({.window = 3, .min_growth = 2});
  std::vector<std::size_t> counts = {1, 2, 3, 4, 5, 4, 5, 6};
  std::vector<int> fired_at;
  for (std::size_t i = 0; i < counts.size(); ++i) {
    if (!detector.add(make_sample({make_group("leak", "read", counts[i])}, static_cast<int>(i))).empty()) {
      fired_at.push_back(static_cast<int>(i));
    }
  }
  EXPECT_EQ(fired_at, (std::vector<int>{2, 7}));
}

TEST(GrowthAlert, IgnoresNoiseAndSmallGrowth) {
  GrowthDetector detector({.window = 4, .min_growth = 3});
  std::vector<std::size_t> noisy = {5, 7, 6, 8, 7, 9, 8, 10};
  for (std::size_t i = 0; i < noisy.size(); ++i) {
    EXPECT_TRUE(detector.add(make_sample({make_group("pool", "condvar", noisy[i])}, static_cast<int>(i))).empty())
        << "a count that falls between snapshots is not a leak (snapshot " << i << ")";
  }
  GrowthDetector slow({.window = 4, .min_growth = 3});
  for (std::size_t count : {10u, 10u, 11u, 12u}) {
    EXPECT_TRUE(slow.add(make_sample({make_group("pool", "condvar", count)}, 0)).empty());
  }
}

TEST(GrowthAlert, NewGroupCountsFromZero) {
  GrowthDetector detector({.window = 3, .min_growth = 2});
  EXPECT_TRUE(detector.add(make_sample({make_group("main", "sleep", 1)}, 0)).empty());
  EXPECT_TRUE(detector.add(make_sample({make_group("leak", "read", 1)}, 1)).empty());
  auto alerts = detector.add(make_sample({make_group("leak", "read", 2)}, 2));
  ASSERT_EQ(alerts.size(), 1u);
  EXPECT_EQ(alerts[0].from, 0u);
}

TEST(Prometheus, LabelValuesAreEscaped) {
  EXPECT_EQ(escape_label_value("plain"), "plain");
  EXPECT_EQ(escape_label_value("a\\b"), "a\\\\b");
  EXPECT_EQ(escape_label_value("say \"hi\""), "say \\\"hi\\\"");
  EXPECT_EQ(escape_label_value("two\nlines"), "two\\nlines");
  EXPECT_EQ(escape_label_value("bad\xff"), "bad\xef\xbf\xbd");
  EXPECT_EQ(escape_label_value(std::string(1000, 'x')).size(), 256u);
}

TEST(Prometheus, TopGroupsAndOtherSum) {
  SeriesSample sample = make_sample({make_group("a", "read", 9), make_group("b", "sleep", 5),
                                     make_group("c", "sleep", 2), make_group("d", "futex", 1)}, 1);
  std::string text = format_prometheus(make_header(), sample, 2);
  EXPECT_NE(text.find("stray_threads{pid=\"42\",comm=\"svc\"} 17\n"), std::string::npos) << text;
  EXPECT_NE(text.find("start_routine=\"a\",top_frame=\"a\",name=\"\",class=\"read\"} 9\n"), std::string::npos);
  EXPECT_NE(text.find("start_routine=\"b\""), std::string::npos);
  EXPECT_EQ(text.find("start_routine=\"c\""), std::string::npos) << "beyond the top 2";
  EXPECT_NE(text.find("start_routine=\"\",top_frame=\"\",name=\"\",class=\"other\"} 3\n"), std::string::npos)
      << text;
  EXPECT_NE(text.find("stray_class_threads{pid=\"42\",comm=\"svc\",class=\"sleep\"} 7\n"), std::string::npos);
  EXPECT_NE(text.find("stray_freeze_duration_seconds{pid=\"42\",comm=\"svc\"} 0.000200000\n"), std::string::npos);
  EXPECT_NE(text.find("stray_snapshot_success{pid=\"42\",comm=\"svc\"} 1\n"), std::string::npos);
  EXPECT_NE(text.find("# TYPE stray_group_threads gauge\n"), std::string::npos);
}

TEST(Prometheus, HostileNamesStayInsideTheirLabel) {
  SeriesSample sample = make_sample({make_group("x\"} 99\nstray_threads{a=\"", "read", 1)}, 1);
  std::string text = format_prometheus(make_header(), sample);
  std::istringstream lines(text);
  std::string line;
  int total_lines = 0;
  while (std::getline(lines, line)) {
    if (line.rfind("stray_threads{", 0) == 0) ++total_lines;
  }
  EXPECT_EQ(total_lines, 1) << text;
  EXPECT_NE(text.find("start_routine=\"x\\\"} 99\\nstray_threads{a=\\\"\""), std::string::npos) << text;
}

TEST(Prometheus, FailedSnapshotHasNoCounts) {
  SeriesSample sample = make_sample({}, 1);
  sample.error = "no such process";
  std::string text = format_prometheus(make_header(), sample);
  EXPECT_NE(text.find("stray_snapshot_success{pid=\"42\",comm=\"svc\"} 0\n"), std::string::npos);
  EXPECT_EQ(text.find("stray_threads{"), std::string::npos);
}

TEST(Prometheus, FileIsReplacedWhole) {
  auto directory = std::filesystem::temp_directory_path() / ("stray_prom_" + std::to_string(getpid()));
  std::filesystem::create_directories(directory);
  std::string path = (directory / "stray.prom").string();
  write_file_atomically(path, "first\n");
  write_file_atomically(path, "second\n");
  std::ifstream file(path);
  std::string content((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
  EXPECT_EQ(content, "second\n");
  std::size_t entries = 0;
  for (const auto& entry : std::filesystem::directory_iterator(directory)) {
    ++entries;
    EXPECT_EQ(entry.path().filename(), "stray.prom") << "a temporary file was left behind";
  }
  EXPECT_EQ(entries, 1u);
  EXPECT_THROW(write_file_atomically((directory / "missing" / "x.prom").string(), "x"), Error);
  std::filesystem::remove_all(directory);
}

// A directory under /tmp, removed with its contents at the end of the test.
class ScratchDirectory {
 public:
  ScratchDirectory() {
    std::string pattern = (std::filesystem::temp_directory_path() / "stray-watch-XXXXXX").string();
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

std::string read_whole_file(const std::string& path) {
  std::ifstream file(path, std::ios::binary);
  return std::string((std::istreambuf_iterator<char>(file)), std::istreambuf_iterator<char>());
}

// A symbolic link, a FIFO and (as root) a character device made with mknod
// in the scratch directory, each of which a rename would replace.
std::vector<std::pair<std::string, mode_t>> make_special_files(const ScratchDirectory& directory) {
  std::vector<std::pair<std::string, mode_t>> files;
  std::ofstream(directory.file("target.txt")) << "kept\n";
  EXPECT_EQ(::symlink(directory.file("target.txt").c_str(), directory.file("link.prom").c_str()), 0);
  files.emplace_back(directory.file("link.prom"), S_IFLNK);
  EXPECT_EQ(::mkfifo(directory.file("fifo.prom").c_str(), 0644), 0);
  files.emplace_back(directory.file("fifo.prom"), S_IFIFO);
  if (::geteuid() == 0) {
    // The numbers of /dev/null. The node is made here only to be refused, and
    // nothing is written to it.
    EXPECT_EQ(::mknod(directory.file("device.prom").c_str(), S_IFCHR | 0644, ::makedev(1, 3)), 0);
    files.emplace_back(directory.file("device.prom"), S_IFCHR);
  }
  return files;
}

mode_t file_type(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) return 0;
  return status.st_mode & S_IFMT;
}

TEST(Prometheus, OnlyRegularFileIsReplaced) {
  ScratchDirectory directory;
  for (const auto& [path, type] : make_special_files(directory)) {
    ASSERT_EQ(file_type(path), type) << path;
    try {
      write_file_atomically(path, "stray_threads 1\n");
      ADD_FAILURE() << "replaced " << path;
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
      EXPECT_NE(std::string(error.what()).find("cannot write " + path + ": is a"), std::string::npos)
          << error.what();
    }
    EXPECT_EQ(file_type(path), type) << path << " was replaced";
    EXPECT_THROW(check_prometheus_path(path), Error) << path;
  }
  EXPECT_EQ(read_whole_file(directory.file("target.txt")), "kept\n");

  const std::string regular = directory.file("regular.prom");
  std::ofstream(regular) << "old\n";
  EXPECT_NO_THROW(check_prometheus_path(regular));
  write_file_atomically(regular, "new\n");
  EXPECT_EQ(read_whole_file(regular), "new\n");
  EXPECT_NO_THROW(check_prometheus_path(directory.file("absent.prom")));
  EXPECT_FALSE(std::filesystem::exists(directory.file("absent.prom")))
      << "the check leaves nothing behind";
}

TEST(Prometheus, TemporaryFileIsNeverFollowed) {
  ScratchDirectory directory;
  const std::string path = directory.file("stray.prom");
  const std::string temporary = path + "." + std::to_string(::getpid()) + ".tmp";
  std::ofstream(directory.file("victim.txt")) << "kept\n";
  ASSERT_EQ(::symlink(directory.file("victim.txt").c_str(), temporary.c_str()), 0);
  write_file_atomically(path, "stray_threads 1\n");
  EXPECT_EQ(read_whole_file(path), "stray_threads 1\n");
  EXPECT_EQ(read_whole_file(directory.file("victim.txt")), "kept\n");
  EXPECT_EQ(file_type(directory.file("victim.txt")), S_IFREG);
}

TEST(Prometheus, MissingDirectoryFailsTheCheck) {
  ScratchDirectory directory;
  const std::string path = directory.file("missing/stray.prom");
  try {
    check_prometheus_path(path);
    ADD_FAILURE() << "accepted " << path;
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("--prometheus " + path + ": cannot create"), std::string::npos)
        << error.what();
    EXPECT_NE(std::string(error.what()).find("No such file or directory"), std::string::npos);
  }
}

TEST(Series, DeepNestingIsRejected) {
  const std::string header = header_to_json(make_header()).dump() + "\n";
  const std::string deep = "{\"type\":\"comment\",\"x\":" + std::string(100'000, '[') +
                           std::string(100'000, ']') + "}\n";
  try {
    parse_series(header + deep);
    ADD_FAILURE() << "accepted a line nested 100,000 levels deep";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("series line 2: arrays and objects nested deeper than 64"),
              std::string::npos)
        << error.what();
  }
}

// The file is read in chunks of 1 MiB, so lines cross chunk boundaries.
TEST(Series, FileReadsLikeText) {
  std::vector<nlohmann::json> records = {header_to_json(make_header())};
  for (int second = 0; second < 3000; ++second) {
    SeriesGroup reader = make_group(std::string(200, 'r') + std::to_string(second), "read", 3);
    records.push_back(sample_to_json(make_sample({reader, make_group("main", "sleep", 1)}, second)));
  }
  std::string text = to_lines(records);
  ASSERT_GT(text.size(), std::size_t{1} << 20) << "more than one chunk";
  text += "{\"type\":\"snap";  // an incomplete last line

  ScratchDirectory directory;
  const std::string path = directory.file("series.jsonl");
  std::ofstream(path, std::ios::binary) << text;
  const Series from_file = read_series_file(path);
  const Series from_text = parse_series(text);
  ASSERT_EQ(from_file.samples.size(), 3000u);
  ASSERT_EQ(from_text.samples.size(), 3000u);
  for (std::size_t i = 0; i < from_file.samples.size(); ++i) {
    ASSERT_EQ(from_file.samples[i].groups.size(), 2u) << i;
    EXPECT_EQ(from_file.samples[i].groups[0].start_routine, from_text.samples[i].groups[0].start_routine)
        << i;
    EXPECT_EQ(from_file.samples[i].time, from_text.samples[i].time) << i;
  }
  ASSERT_EQ(from_file.warnings.size(), 1u);
  EXPECT_EQ(from_file.warnings, from_text.warnings);
  EXPECT_NE(from_file.warnings[0].find("series line 3002 is incomplete"), std::string::npos)
      << from_file.warnings[0];
}

TEST(Series, OverlongLineIsRejected) {
  ScratchDirectory directory;
  const std::string path = directory.file("zeros.jsonl");
  std::ofstream{path};
  // A sparse file of zero bytes and no newline, like /dev/zero.
  ASSERT_EQ(::truncate(path.c_str(), static_cast<off_t>(io::kMaxSeriesLineBytes) + (2 << 20)), 0);
  try {
    read_series_file(path);
    ADD_FAILURE() << "accepted a line longer than the limit";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("series file " + path + ": line 1 is longer than 64 MiB"),
              std::string::npos)
        << error.what();
  }
}

TEST(TaskSyscall, ParsesTheThreeForms) {
  auto running = proc::parse_task_syscall("running\n");
  ASSERT_TRUE(running.has_value());
  EXPECT_TRUE(running->running);
  auto outside = proc::parse_task_syscall("-1 0x7ffc 0x4011\n");
  ASSERT_TRUE(outside.has_value());
  EXPECT_EQ(outside->number, -1);
  auto read = proc::parse_task_syscall("0 0x3 0x7ffc 0x1 0x0 0x0 0x0 0x7ffd 0x7f12\n");
  ASSERT_TRUE(read.has_value());
  EXPECT_FALSE(read->running);
  EXPECT_EQ(read->number, 0);
  EXPECT_FALSE(proc::parse_task_syscall("").has_value());
  EXPECT_FALSE(proc::parse_task_syscall("abc").has_value());
}

TEST(ProcClass, StateThenSyscall) {
  EXPECT_EQ(classify_from_proc('R', std::nullopt), ThreadClass::running);
  EXPECT_EQ(classify_from_proc('t', SYS_read), ThreadClass::stopped);
  EXPECT_EQ(classify_from_proc('D', SYS_read), ThreadClass::uninterruptible);
  EXPECT_EQ(classify_from_proc('Z', std::nullopt), ThreadClass::dead);
  EXPECT_EQ(classify_from_proc('S', SYS_read), ThreadClass::read);
  EXPECT_EQ(classify_from_proc('S', SYS_futex), ThreadClass::futex);
  EXPECT_EQ(classify_from_proc('S', SYS_clock_nanosleep), ThreadClass::sleep);
  EXPECT_EQ(classify_from_proc('S', -1), ThreadClass::unknown);
  EXPECT_EQ(classify_from_proc('S', std::nullopt), ThreadClass::unknown);
}

TEST(LightSample, CountsByNameAndClass) {
  test::TargetProcess target("watch_leak", {"60000"});
  ASSERT_GT(target.pid(), 0);
  SeriesSample sample = take_light_sample(target.pid());
  EXPECT_EQ(sample.threads, 5u);
  std::map<std::pair<std::string, std::string>, std::size_t> counts;
  for (const SeriesGroup& group : sample.groups) counts[{group.thread_name, group.thread_class}] = group.count;
  EXPECT_EQ((counts[{"<script>", "sleep"}]), 1u);
  EXPECT_EQ((counts[{"q\"uo\\te", "sleep"}]), 1u);
  EXPECT_EQ((counts[{"watch_leak", "futex"}]), 2u) << "pool workers on a condition variable";
  EXPECT_EQ(test::check_released(target.pid()), "");
  EXPECT_EQ(sample.freeze_duration.count(), 0);
}

TEST(LightSample, MissingProcessThrows) {
  pid_t child = fork();
  if (child == 0) _exit(0);
  waitpid(child, nullptr, 0);
  EXPECT_THROW(take_light_sample(child), Error);
}

}  // namespace
}  // namespace stray::watch
