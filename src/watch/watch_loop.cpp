#include "watch/watch_loop.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>

#include <spdlog/spdlog.h>

#include "freeze/seize_errors.hpp"
#include "proc/proc.hpp"
#include "report/escape.hpp"
#include "stray/error.hpp"
#include "watch/prometheus.hpp"
#include "watch/samples.hpp"
#include "watch/series_json.hpp"

namespace stray::watch {

namespace {

using Clock = std::chrono::steady_clock;

// A zombie keeps its /proc directory until its parent reaps it, so a
// process counts as gone once every thread is in state Z or X. The main
// thread alone is a zombie after it called pthread_exit.
bool target_gone(int pid) {
  return !proc::process_exists(pid) || proc::only_zombies_left(pid);
}

// Light mode reads task/TID/syscall, which needs the same permission as
// ptrace. Without it, every thread would be classed unknown and the exe
// left empty, so light mode fails as a snapshot would.
void check_light_mode_access(int pid) {
  const std::string path = "/proc/" + std::to_string(pid) + "/task/" +
                           std::to_string(proc::find_memory_tid(pid)) + "/syscall";
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd >= 0) {
    ::close(fd);
    return;
  }
  if (errno != EACCES && errno != EPERM) return;  // an exited thread: the samples handle it
  throw Error(ErrorKind::permission_denied,
              "pid " + std::to_string(pid) + ": cannot read " + path + ": permission denied: " + explain_permission(pid));
}

SeriesHeader make_header(const WatchOptions& options) {
  if (!proc::process_exists(options.pid)) {
    throw Error(ErrorKind::no_such_process, "pid " + std::to_string(options.pid) + ": no such process");
  }
  if (proc::only_zombies_left(options.pid)) {
    throw Error(ErrorKind::target_exited, "pid " + std::to_string(options.pid) +
                                              ": the process has exited (a zombie not yet reaped by its parent)");
  }
  if (options.mode == SeriesMode::light) check_light_mode_access(options.pid);
  SeriesHeader header;
  header.pid = options.pid;
  header.comm = proc::try_read_task_comm(options.pid, options.pid).value_or("");
  header.exe = proc::read_exe(proc::find_memory_tid(options.pid));
  header.mode = options.mode;
  header.interval = std::chrono::duration_cast<std::chrono::milliseconds>(options.interval);
  header.started = std::chrono::system_clock::now();
  return header;
}

std::chrono::nanoseconds median(std::vector<std::chrono::nanoseconds> values) {
  auto middle = values.begin() + static_cast<std::ptrdiff_t>(values.size() / 2);
  std::nth_element(values.begin(), middle, values.end());
  return *middle;
}

class Watch {
 public:
  Watch(const WatchOptions& options, std::ostream& alert_out)
      : options_(options), alert_out_(alert_out), detector_(options.alert_options) {
    result_.header = make_header(options);
    if (!options.prometheus_path.empty()) check_prometheus_path(options.prometheus_path);
    writer_.emplace(options.series_path);
    writer_->write(header_to_json(result_.header));
  }

  // Takes one snapshot and records it. Returns a reason to end, if any.
  std::optional<EndReason> step() {
    auto sample = take_sample();
    if (!sample) return EndReason::target_exited;
    ++result_.end.snapshots;
    writer_->write(sample_to_json(*sample));
    export_prometheus(*sample);
    if (sample->failed()) {
      ++result_.end.failed;
      return std::nullopt;
    }
    note_success(*sample);
    if (options_.alert && check_growth(*sample) && options_.stop_on_alert) return EndReason::alert;
    return std::nullopt;
  }

  WatchResult finish(EndReason reason) {
    result_.end.time = std::chrono::system_clock::now();
    result_.end.reason = reason;
    if (!durations_.empty()) result_.end.first_duration = durations_.front();
    if (durations_.size() > 1) {
      result_.end.later_median_duration = median({durations_.begin() + 1, durations_.end()});
    }
    writer_->write(end_to_json(result_.end));
    return result_;
  }

  std::size_t snapshots() const { return result_.end.snapshots; }

 private:
  // nullopt when the target has exited.
  std::optional<SeriesSample> take_sample() {
    if (target_gone(options_.pid)) return std::nullopt;
    auto started = Clock::now();
    try {
      if (options_.mode == SeriesMode::light) return take_light_sample(options_.pid);
      return sample_from_snapshot(inspector_.inspect(options_.pid, options_.inspect));
    } catch (const Error& error) {
      if (target_gone(options_.pid)) return std::nullopt;
      spdlog::warn("pid {}: snapshot {} failed: {}", options_.pid, snapshots() + 1, error.what());
      SeriesSample failed;
      failed.time = std::chrono::system_clock::now();
      failed.duration = Clock::now() - started;
      failed.error = error.what();
      return failed;
    }
  }

  void note_success(const SeriesSample& sample) {
    durations_.push_back(sample.duration);
    if (!result_.first) result_.first = sample;
    result_.last = sample;
  }

  // Returns true when an alert fired.
  bool check_growth(const SeriesSample& sample) {
    auto alerts = detector_.add(sample);
    for (const SeriesAlert& alert : alerts) {
      ++result_.end.alerts;
      writer_->write(alert_to_json(alert));
      alert_out_ << describe_alert(alert) << '\n' << std::flush;
    }
    return !alerts.empty();
  }

  // A failed export is logged and counted, and the watch goes on: the
  // series is the primary output, and the next snapshot may write the file
  // again. Each distinct error is logged once in a row.
  void export_prometheus(const SeriesSample& sample) {
    if (options_.prometheus_path.empty()) return;
    try {
      write_file_atomically(options_.prometheus_path,
                            format_prometheus(result_.header, sample, options_.prometheus_groups));
      last_export_error_.clear();
    } catch (const Error& error) {
      ++result_.prometheus_failures;
      if (error.what() != last_export_error_) spdlog::error("pid {}: {}", options_.pid, error.what());
      last_export_error_ = error.what();
    }
  }

  const WatchOptions& options_;
  std::ostream& alert_out_;
  Inspector inspector_;
  GrowthDetector detector_;
  std::optional<SeriesWriter> writer_;
  WatchResult result_;
  std::vector<std::chrono::nanoseconds> durations_;
  std::string last_export_error_;
};

}  // namespace

std::string describe_alert(const SeriesAlert& alert) {
  return "stray: alert: " + escape_text(alert.group.label()) + " grew from " +
         std::to_string(alert.from) + " to " + std::to_string(alert.group.count) +
         " threads over " + std::to_string(alert.window) + " snapshots";
}

WatchResult run_watch(const WatchOptions& options, const Pause& pause, std::ostream& alert_out) {
  Watch watch(options, alert_out);
  auto started = Clock::now();
  auto next = started;
  while (true) {
    if (options.count && watch.snapshots() >= *options.count) return watch.finish(EndReason::count);
    if (options.duration && next - started >= *options.duration) {
      return watch.finish(EndReason::duration);
    }
    auto now = Clock::now();
    if (!pause(std::max(next - now, Clock::duration::zero()))) return watch.finish(EndReason::signal);

    if (auto reason = watch.step()) return watch.finish(*reason);
    // Fixed rate. A snapshot that overruns its interval is followed at once
    // by the next one, never by a burst that makes up the missed ones.
    next = std::max(next + options.interval, Clock::now());
  }
}

}  // namespace stray::watch
