#include "watch/prometheus.hpp"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstring>
#include <map>

#include "report/escape.hpp"
#include "report/utf8.hpp"
#include "stray/error.hpp"

namespace stray::watch {

namespace {

constexpr std::size_t kMaxLabelBytes = 256;

// Replaces each byte outside a valid UTF-8 sequence with U+FFFD and cuts
// at a character boundary once `max_bytes` would be passed.
std::string valid_utf8_prefix(std::string_view raw, std::size_t max_bytes) {
  std::string text;
  std::size_t position = 0;
  while (position < raw.size()) {
    utf8::Sequence sequence = utf8::decode(raw, position);
    std::string_view piece = sequence.length == 0 ? std::string_view("\xef\xbf\xbd")
                                                  : raw.substr(position, sequence.length);
    if (text.size() + piece.size() > max_bytes) break;
    text.append(piece);
    position += sequence.length == 0 ? 1 : sequence.length;
  }
  return text;
}

std::string seconds(std::chrono::nanoseconds duration) {
  char buffer[32];
  std::snprintf(buffer, sizeof buffer, "%.9f", static_cast<double>(duration.count()) / 1e9);
  return buffer;
}

class Exposition {
 public:
  explicit Exposition(const SeriesHeader& header)
      : common_labels_("pid=\"" + std::to_string(header.pid) + "\",comm=\"" +
                       escape_label_value(header.comm) + "\"") {}

  void family(const char* name, const char* help) {
    text_ += std::string("# HELP ") + name + " " + help + "\n# TYPE " + name + " gauge\n";
  }

  void sample(const char* name, const std::string& labels, const std::string& value) {
    text_ += std::string(name) + "{" + common_labels_ + (labels.empty() ? "" : "," + labels) +
             "} " + value + "\n";
  }

  const std::string& text() const { return text_; }

 private:
  std::string common_labels_;
  std::string text_;
};

std::string group_labels(const std::string& start_routine, const std::string& top_frame,
                         const std::string& name, const std::string& thread_class) {
  return "start_routine=\"" + escape_label_value(start_routine) + "\",top_frame=\"" +
         escape_label_value(top_frame) + "\",name=\"" + escape_label_value(name) +
         "\",class=\"" + escape_label_value(thread_class) + "\"";
}

void write_groups(Exposition& out, const SeriesSample& sample, std::size_t top_groups) {
  out.family("stray_group_threads",
             "Threads per group (start routine, top frame, class; or name and class in light "
             "mode); groups beyond the largest are summed with class=\"other\".");
  std::size_t other = 0;
  bool any_other = false;
  // sample.groups is sorted largest first.
  for (std::size_t i = 0; i < sample.groups.size(); ++i) {
    const SeriesGroup& group = sample.groups[i];
    if (i >= top_groups) {
      other += group.count;
      any_other = true;
      continue;
    }
    out.sample("stray_group_threads",
               group_labels(group.start_routine, group.top_frame, group.thread_name,
                            group.thread_class),
               std::to_string(group.count));
  }
  if (any_other) {
    out.sample("stray_group_threads", group_labels("", "", "", "other"), std::to_string(other));
  }
}

void write_classes(Exposition& out, const SeriesSample& sample) {
  std::map<std::string, std::size_t> classes;
  for (const SeriesGroup& group : sample.groups) classes[group.thread_class] += group.count;
  out.family("stray_class_threads", "Threads per class (what they wait in).");
  for (const auto& [thread_class, count] : classes) {
    out.sample("stray_class_threads", "class=\"" + escape_label_value(thread_class) + "\"",
               std::to_string(count));
  }
}

[[noreturn]] void throw_write_failure(const std::string& path, const char* call) {
  throw Error(ErrorKind::system, "cannot write " + escape_text(path) + ": " + call +
                                     " failed: " + std::strerror(errno));
}

const char* file_type_name(mode_t mode) {
  if (S_ISDIR(mode)) return "a directory";
  if (S_ISLNK(mode)) return "a symbolic link";
  if (S_ISFIFO(mode)) return "a FIFO";
  if (S_ISCHR(mode)) return "a character device";
  if (S_ISBLK(mode)) return "a block device";
  if (S_ISSOCK(mode)) return "a socket";
  return "not a regular file";
}

// "" when `path` is absent or a regular file, which a rename may replace;
// otherwise why it may not be replaced.
std::string replace_problem(const std::string& path) {
  struct stat status {};
  if (::lstat(path.c_str(), &status) != 0) {
    if (errno == ENOENT) return "";
    return std::string("cannot be examined: ") + std::strerror(errno);
  }
  if (S_ISREG(status.st_mode)) return "";
  return std::string("is ") + file_type_name(status.st_mode) +
         "; expected a regular file or no file, because the file is replaced by rename";
}

std::string temporary_path(const std::string& path) {
  return path + "." + std::to_string(::getpid()) + ".tmp";
}

// Creates the temporary file for `path`. A file left under that name by an
// earlier process with the same pid is removed first. O_EXCL and
// O_NOFOLLOW make sure that the write goes to a new file, never through a
// symbolic link planted under the temporary name.
int create_temporary(const std::string& temporary) {
  ::unlink(temporary.c_str());
  return ::open(temporary.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0644);
}

}  // namespace

std::string escape_label_value(std::string_view raw) {
  std::string escaped;
  for (char c : valid_utf8_prefix(raw, kMaxLabelBytes)) {
    if (c == '\\') {
      escaped += "\\\\";
    } else if (c == '"') {
      escaped += "\\\"";
    } else if (c == '\n') {
      escaped += "\\n";
    } else {
      escaped += c;
    }
  }
  return escaped;
}

std::string format_prometheus(const SeriesHeader& header, const SeriesSample& sample,
                              std::size_t top_groups) {
  Exposition out(header);
  out.family("stray_snapshot_success", "1 when the last snapshot succeeded, 0 when it failed.");
  out.sample("stray_snapshot_success", "", sample.failed() ? "0" : "1");
  out.family("stray_snapshot_timestamp_seconds", "Time of the last snapshot, Unix seconds.");
  auto since_epoch = sample.time.time_since_epoch();
  out.sample("stray_snapshot_timestamp_seconds", "",
             seconds(std::chrono::duration_cast<std::chrono::nanoseconds>(since_epoch)));
  out.family("stray_snapshot_duration_seconds", "Wall time of the last snapshot.");
  out.sample("stray_snapshot_duration_seconds", "", seconds(sample.duration));
  if (sample.failed()) return out.text();

  out.family("stray_freeze_duration_seconds",
             "Time the target was frozen during the last snapshot (0 in light mode).");
  out.sample("stray_freeze_duration_seconds", "", seconds(sample.freeze_duration));
  out.family("stray_threads", "Threads of the process at the last snapshot.");
  out.sample("stray_threads", "", std::to_string(sample.threads));
  write_groups(out, sample, top_groups);
  write_classes(out, sample);
  return out.text();
}

void check_prometheus_path(const std::string& path) {
  const std::string prefix = "--prometheus " + escape_text(path) + ": ";
  const std::string problem = replace_problem(path);
  if (!problem.empty()) throw Error(ErrorKind::invalid_input, prefix + problem);

  const std::string temporary = temporary_path(path);
  const int fd = create_temporary(temporary);
  if (fd < 0) {
    throw Error(ErrorKind::invalid_input, prefix + "cannot create " + escape_text(temporary) +
                                              ": " + std::strerror(errno));
  }
  ::close(fd);
  ::unlink(temporary.c_str());
}

void write_file_atomically(const std::string& path, const std::string& text) {
  const std::string problem = replace_problem(path);
  if (!problem.empty()) {
    throw Error(ErrorKind::invalid_input, "cannot write " + escape_text(path) + ": " + problem);
  }

  const std::string temporary = temporary_path(path);
  int fd = create_temporary(temporary);
  if (fd < 0) throw_write_failure(temporary, "open");
  std::size_t written = 0;
  while (written < text.size()) {
    ssize_t n = ::write(fd, text.data() + written, text.size() - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      int error = errno;
      ::close(fd);
      ::unlink(temporary.c_str());
      errno = error;
      throw_write_failure(temporary, "write");
    }
    written += static_cast<std::size_t>(n);
  }
  bool synced = ::fsync(fd) == 0;
  int sync_error = errno;
  if (::close(fd) != 0 || !synced) {
    if (!synced) errno = sync_error;
    ::unlink(temporary.c_str());
    throw_write_failure(temporary, synced ? "close" : "fsync");
  }
  // NOTE: a file that another process puts at `path` after the check above
  // is still replaced, because rename(2) has no flag that replaces only a
  // regular file.
  if (::rename(temporary.c_str(), path.c_str()) != 0) {
    int error = errno;
    ::unlink(temporary.c_str());
    errno = error;
    throw_write_failure(path, "rename");
  }
}

}  // namespace stray::watch
