// Reading a JSON Lines series back, checking every field it uses.
#include "io/input_file.hpp"
#include "report/escape.hpp"
#include "report/json_depth.hpp"
#include "report/time_format.hpp"
#include "stray/error.hpp"
#include "watch/series_json.hpp"

namespace stray::watch {

namespace {

using nlohmann::json;

// Reads the fields of one line; every failure names the line and field.
class LineReader {
 public:
  LineReader(const json& object, std::size_t line) : object_(object), line_(line) {}

  [[noreturn]] void fail(const std::string& field, const std::string& expected) const {
    throw Error(ErrorKind::invalid_input, "series line " + std::to_string(line_) + ": field \"" +
                                              field + "\": expected " + expected);
  }

  const json& field(const json& object, const std::string& name) const {
    auto it = object.find(name);
    if (it == object.end()) fail(name, "a value, found none");
    return *it;
  }

  std::uint64_t count(const json& object, const std::string& name) const {
    const json& value = field(object, name);
    if (!value.is_number_unsigned()) fail(name, "a non-negative integer");
    return value.get<std::uint64_t>();
  }

  std::int64_t integer(const json& object, const std::string& name) const {
    const json& value = field(object, name);
    if (!value.is_number_integer()) fail(name, "an integer");
    return value.get<std::int64_t>();
  }

  std::string text(const json& object, const std::string& name) const {
    const json& value = field(object, name);
    if (!value.is_string()) fail(name, "a string");
    return value.get<std::string>();
  }

  // A string from the target, stored through to_valid_utf8; "" when absent.
  std::string target_text(const json& object, const std::string& name) const {
    if (!object.contains(name)) return {};
    auto raw = from_valid_utf8(text(object, name));
    if (!raw) fail(name, "a string whose backslashes are \\\\ or \\xNN");
    return *raw;
  }

  std::chrono::system_clock::time_point time(const json& object, const std::string& name) const {
    auto parsed = parse_utc_ms(text(object, name));
    if (!parsed) fail(name, "a UTC time like 2024-05-01T12:00:00.123Z");
    return *parsed;
  }

  const json& object() const { return object_; }

 private:
  const json& object_;
  std::size_t line_;
};

SeriesGroup read_group(const LineReader& reader, const json& object) {
  if (!object.is_object()) reader.fail("groups", "an array of objects");
  SeriesGroup group;
  group.start_routine = reader.target_text(object, "start_routine");
  group.top_frame = reader.target_text(object, "top_frame");
  group.thread_name = reader.target_text(object, "name");
  group.thread_class = reader.text(object, "class");
  group.count = reader.count(object, "count");
  return group;
}

SeriesHeader read_header(const LineReader& reader) {
  const json& object = reader.object();
  if (reader.text(object, "schema") != kSeriesSchemaName) {
    reader.fail("schema", std::string("\"") + kSeriesSchemaName + "\"");
  }
  SeriesHeader header;
  header.version = static_cast<int>(reader.integer(object, "version"));
  if (header.version != kSeriesVersion) {
    reader.fail("version", std::to_string(kSeriesVersion) + ", the version this stray reads");
  }
  header.pid = static_cast<int>(reader.integer(object, "pid"));
  header.comm = reader.target_text(object, "comm");
  header.exe = reader.target_text(object, "exe");
  auto mode = series_mode_from_string(reader.text(object, "mode"));
  if (!mode) reader.fail("mode", "\"full\" or \"light\"");
  header.mode = *mode;
  header.interval = std::chrono::milliseconds(reader.integer(object, "interval_ms"));
  header.started = reader.time(object, "started");
  return header;
}

SeriesSample read_sample(const LineReader& reader) {
  const json& object = reader.object();
  SeriesSample sample;
  sample.time = reader.time(object, "time");
  sample.duration = std::chrono::nanoseconds(reader.integer(object, "duration_ns"));
  if (object.contains("error")) {
    sample.error = reader.target_text(object, "error");
    return sample;
  }
  sample.threads = reader.count(object, "threads");
  sample.freeze_duration = std::chrono::nanoseconds(reader.integer(object, "freeze_ns"));
  const json& groups = reader.field(object, "groups");
  if (!groups.is_array()) reader.fail("groups", "an array");
  for (const json& group : groups) sample.groups.push_back(read_group(reader, group));
  return sample;
}

SeriesAlert read_alert(const LineReader& reader) {
  const json& object = reader.object();
  SeriesAlert alert;
  alert.time = reader.time(object, "time");
  alert.group = read_group(reader, reader.field(object, "group"));
  alert.from = reader.count(object, "from");
  alert.window = reader.count(object, "window");
  return alert;
}

SeriesEnd read_end(const LineReader& reader) {
  const json& object = reader.object();
  SeriesEnd end;
  end.time = reader.time(object, "time");
  auto reason = end_reason_from_string(reader.text(object, "reason"));
  if (!reason) reader.fail("reason", "count, duration, signal, target_exited or alert");
  end.reason = *reason;
  end.snapshots = reader.count(object, "snapshots");
  end.failed = reader.count(object, "failed");
  end.alerts = reader.count(object, "alerts");
  if (object.contains("first_duration_ns")) {
    end.first_duration = std::chrono::nanoseconds(reader.integer(object, "first_duration_ns"));
  }
  if (object.contains("later_median_duration_ns")) {
    end.later_median_duration =
        std::chrono::nanoseconds(reader.integer(object, "later_median_duration_ns"));
  }
  return end;
}

void read_record(Series& series, const LineReader& reader, bool first) {
  std::string type = reader.text(reader.object(), "type");
  if (first != (type == "header")) reader.fail("type", first ? "\"header\" on the first line" : "one header only");
  if (type == "header") {
    series.header = read_header(reader);
  } else if (type == "snapshot") {
    series.samples.push_back(read_sample(reader));
  } else if (type == "alert") {
    series.alerts.push_back(read_alert(reader));
  } else if (type == "end") {
    series.end = read_end(reader);
  }
}

// Reads a series one line at a time, so that a file is checked line by
// line as it is read.
class SeriesParser {
 public:
  // Reads one complete line, without its newline.
  void add_line(std::string_view line) {
    ++line_number_;
    if (json_nesting_depth(line) > kMaxJsonDepth) {
      throw Error(ErrorKind::invalid_input, "series line " + std::to_string(line_number_) +
                                                ": arrays and objects nested deeper than " +
                                                std::to_string(kMaxJsonDepth) + " levels");
    }
    json object = json::parse(line, nullptr, false);
    if (object.is_discarded() || !object.is_object()) {
      throw Error(ErrorKind::invalid_input,
                  "series line " + std::to_string(line_number_) + ": not a JSON object");
    }
    read_record(series_, LineReader(object, line_number_), line_number_ == 1);
  }

  // Ends the series. `incomplete_line` is the text after the last newline.
  Series finish(std::string_view incomplete_line) {
    if (!incomplete_line.empty()) {
      series_.warnings.push_back("series line " + std::to_string(line_number_ + 1) +
                                 " is incomplete (no newline) and was skipped");
    }
    if (line_number_ == 0) throw Error(ErrorKind::invalid_input, "series has no header line");
    return std::move(series_);
  }

 private:
  Series series_;
  std::size_t line_number_ = 0;
};

}  // namespace

Series parse_series(std::string_view text) {
  SeriesParser parser;
  std::size_t newline = text.find('\n');
  while (newline != std::string_view::npos) {
    parser.add_line(text.substr(0, newline));
    text.remove_prefix(newline + 1);
    newline = text.find('\n');
  }
  return parser.finish(text);
}

Series read_series_file(const std::string& path) {
  constexpr std::size_t kChunkBytes = std::size_t{1} << 20;
  io::InputFile file(path, "series file");
  SeriesParser parser;
  std::string pending;  // read but not yet parsed: at most one incomplete line
  std::size_t line_number = 1;
  while (file.read_some(pending, kChunkBytes) > 0) {
    std::size_t start = 0;
    std::size_t newline = pending.find('\n');
    while (newline != std::string::npos) {
      parser.add_line(std::string_view(pending).substr(start, newline - start));
      ++line_number;
      start = newline + 1;
      newline = pending.find('\n', start);
    }
    pending.erase(0, start);
    if (pending.size() > io::kMaxSeriesLineBytes) {
      file.fail("line " + std::to_string(line_number) + " is longer than " +
                io::format_size_limit(io::kMaxSeriesLineBytes) + ", the maximum length of a line");
    }
  }
  return parser.finish(pending);
}

}  // namespace stray::watch
