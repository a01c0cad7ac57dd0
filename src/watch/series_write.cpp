// Writing the JSON Lines series: one object per record.
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>

#include "report/escape.hpp"
#include "report/time_format.hpp"
#include "stray/error.hpp"
#include "watch/series_json.hpp"

namespace stray::watch {

namespace {

std::string target_string(const std::string& raw) { return to_valid_utf8(cap_length(raw)); }

nlohmann::json group_to_json(const SeriesGroup& group) {
  nlohmann::json object = nlohmann::json::object();
  if (!group.start_routine.empty()) object["start_routine"] = target_string(group.start_routine);
  if (!group.top_frame.empty()) object["top_frame"] = target_string(group.top_frame);
  if (!group.thread_name.empty()) object["name"] = target_string(group.thread_name);
  object["class"] = group.thread_class;
  object["count"] = group.count;
  return object;
}

}  // namespace

nlohmann::json header_to_json(const SeriesHeader& header) {
  return {
      {"type", "header"},
      {"schema", kSeriesSchemaName},
      {"version", header.version},
      {"pid", header.pid},
      {"comm", target_string(header.comm)},
      {"exe", target_string(header.exe)},
      {"mode", to_string(header.mode)},
      {"interval_ms", header.interval.count()},
      {"started", format_utc_ms(header.started)},
  };
}

nlohmann::json sample_to_json(const SeriesSample& sample) {
  nlohmann::json object = {
      {"type", "snapshot"},
      {"time", format_utc_ms(sample.time)},
      {"duration_ns", sample.duration.count()},
  };
  if (sample.failed()) {
    object["error"] = target_string(sample.error);
    return object;
  }
  object["threads"] = sample.threads;
  object["freeze_ns"] = sample.freeze_duration.count();
  nlohmann::json groups = nlohmann::json::array();
  for (const SeriesGroup& group : sample.groups) groups.push_back(group_to_json(group));
  object["groups"] = std::move(groups);
  return object;
}

nlohmann::json alert_to_json(const SeriesAlert& alert) {
  return {
      {"type", "alert"},
      {"time", format_utc_ms(alert.time)},
      {"group", group_to_json(alert.group)},
      {"from", alert.from},
      {"window", alert.window},
  };
}

nlohmann::json end_to_json(const SeriesEnd& end) {
  nlohmann::json object = {
      {"type", "end"},
      {"time", format_utc_ms(end.time)},
      {"reason", to_string(end.reason)},
      {"snapshots", end.snapshots},
      {"failed", end.failed},
      {"alerts", end.alerts},
  };
  if (end.first_duration) object["first_duration_ns"] = end.first_duration->count();
  if (end.later_median_duration) {
    object["later_median_duration_ns"] = end.later_median_duration->count();
  }
  return object;
}

// A series contains one watch: its reader accepts one header line. So a file
// that already has data, most likely an earlier watch, is never truncated.
SeriesWriter::SeriesWriter(const std::string& path) : path_(path) {
  int fd = ::open(path.c_str(), O_WRONLY | O_CREAT | O_CLOEXEC, 0666);
  if (fd < 0) {
    throw Error(ErrorKind::invalid_input,
                "cannot open series file " + path + " for writing: " + std::strerror(errno));
  }
  struct stat info;
  if (::fstat(fd, &info) == 0 && S_ISREG(info.st_mode) && info.st_size > 0) {
    ::close(fd);
    throw Error(ErrorKind::invalid_input,
                "series file " + path + " already has data (" + std::to_string(info.st_size) +
                    " bytes), most likely an earlier watch; give another file or remove this one");
  }
  file_ = ::fdopen(fd, "w");
  if (file_ == nullptr) {
    int error = errno;
    ::close(fd);
    throw Error(ErrorKind::invalid_input,
                "cannot open series file " + path + " for writing: " + std::strerror(error));
  }
}

SeriesWriter::~SeriesWriter() {
  if (file_ != nullptr) std::fclose(file_);
}

void SeriesWriter::write(const nlohmann::json& record) {
  std::string line = record.dump() + "\n";
  // One fwrite of the whole line, then a flush: a reader sees whole lines.
  bool written = std::fwrite(line.data(), 1, line.size(), file_) == line.size();
  if (!written || std::fflush(file_) != 0) {
    throw Error(ErrorKind::system,
                "cannot write to series file " + path_ + ": " + std::strerror(errno));
  }
}

}  // namespace stray::watch
