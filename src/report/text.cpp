#include <ostream>
#include <string>

#include "report/escape.hpp"
#include "report/grouping.hpp"
#include "report/report.hpp"
#include "report/text_parts.hpp"
#include "report/time_format.hpp"

namespace stray {

namespace {

std::string count_of(std::size_t count, const char* singular, const char* plural) {
  return std::to_string(count) + ' ' + (count == 1 ? singular : plural);
}

void write_header(std::ostream& out, const Snapshot& snapshot, std::size_t group_count) {
  out << "pid " << snapshot.pid << " (" << escape_text(snapshot.comm) << "), exe "
      << escape_text(snapshot.exe) << '\n';
  out << count_of(snapshot.threads.size(), "thread", "threads") << " in "
      << count_of(group_count, "group", "groups") << ", snapshot at "
      << format_utc_ms(snapshot.time) << '\n';
  out << "frozen for " << text::format_duration(snapshot.freeze_duration) << ", total "
      << text::format_duration(snapshot.total_duration) << ", "
      << count_of(snapshot.bytes_copied, "byte", "bytes") << " copied\n";
  for (const std::string& warning : snapshot.warnings) {
    out << "warning: " << escape_text(warning) << '\n';
  }
}

// "3 threads [condvar] in syscall futex (interrupted)".
void write_title(std::ostream& out, const ThreadGroup& group, const Thread& thread) {
  out << count_of(group.count(), "thread", "threads") << " [" << to_string(thread.thread_class)
      << ']';
  if (thread.syscall.number >= 0) {
    const std::string& name = thread.syscall.name;
    out << " in syscall "
        << (name.empty() ? "syscall_" + std::to_string(thread.syscall.number) : escape_text(name));
    if (thread.syscall.interrupted) out << " (interrupted)";
  }
  out << '\n';
}

bool all_names_equal(const ThreadGroup& group) {
  for (const std::string& name : group.names) {
    if (name != group.names.front()) return false;
  }
  return true;
}

// "tid 4244 "worker"", "tids: 4244 4245 and 3 more, all "worker"" or
// "tids: 4244 "a", 4245 "b"".
std::string format_tid_list(const ThreadGroup& group, std::size_t max_listed) {
  if (group.count() == 1) return "tid " + std::to_string(group.tids[0]) + ' ' + quote_text(group.names[0]);

  const bool same_name = all_names_equal(group);
  std::string list = "tids:";
  const std::size_t listed = std::min(group.count(), std::max<std::size_t>(max_listed, 1));
  for (std::size_t i = 0; i < listed; ++i) {
    list += (i == 0 || same_name) ? " " : ", ";
    list += std::to_string(group.tids[i]);
    if (!same_name) list += ' ' + quote_text(group.names[i]);
  }
  if (listed < group.count()) list += " and " + std::to_string(group.count() - listed) + " more";
  if (same_name) list += ", all " + quote_text(group.names.front());
  return list;
}

bool all_waits_equal(const Snapshot& snapshot, const ThreadGroup& group) {
  const std::string first = text::format_wait(snapshot.threads[group.thread_indices.front()].wait);
  for (std::size_t index : group.thread_indices) {
    if (text::format_wait(snapshot.threads[index].wait) != first) return false;
  }
  return true;
}

// One line per thread, for groups whose threads wait on different objects.
void write_thread_waits(std::ostream& out, const Snapshot& snapshot, const ThreadGroup& group,
                        std::size_t max_listed) {
  const std::size_t listed = std::min(group.count(), std::max<std::size_t>(max_listed, 1));
  for (std::size_t i = 0; i < listed; ++i) {
    const std::string wait = text::format_wait(snapshot.threads[group.thread_indices[i]].wait);
    out << "  tid " << group.tids[i] << ' ' << quote_text(group.names[i]) << ": "
        << (wait.empty() ? "no wait object" : wait) << '\n';
  }
  if (listed < group.count()) out << "  ... and " << group.count() - listed << " more\n";
}

void write_threads(std::ostream& out, const Snapshot& snapshot, const ThreadGroup& group,
                   const TextOptions& options) {
  if (!all_waits_equal(snapshot, group)) {
    write_thread_waits(out, snapshot, group, options.max_listed_threads);
    return;
  }
  const std::string wait = text::format_wait(snapshot.threads[group.thread_indices.front()].wait);
  if (!wait.empty()) out << "  wait: " << wait << '\n';
  out << "  " << format_tid_list(group, options.max_listed_threads) << '\n';
}

void write_stack(std::ostream& out, const Thread& thread, const text::ShortPaths& paths,
                 const TextOptions& options) {
  for (std::size_t i = 0; i < thread.frames.size(); ++i) {
    out << "  " << text::format_frame(i, thread.frames[i], paths, options.show_addresses) << '\n';
  }
  if (thread.unwind_end != UnwindEnd::outermost) {
    out << "  unwind stopped: " << to_string(thread.unwind_end) << '\n';
  }
  if (thread.stack_truncated) out << "  stack truncated at the copy size limit\n";
  if (thread.start_routine && *thread.start_routine < thread.frames.size()) {
    const Frame& frame = thread.frames[*thread.start_routine];
    const std::string location = text::format_location(frame, paths);
    out << "  started by: " << escape_text(frame_label(frame));
    if (!location.empty() && !frame.function.empty()) out << " (" << location << ')';
    out << '\n';
  }
}

void write_group(std::ostream& out, const Snapshot& snapshot, const ThreadGroup& group,
                 const text::ShortPaths& paths, const TextOptions& options) {
  const Thread& thread = snapshot.threads[group.thread_indices.front()];
  write_title(out, group, thread);
  write_threads(out, snapshot, group, options);
  if (!thread.error.empty()) out << "  error (partial result): " << escape_text(thread.error) << '\n';
  write_stack(out, thread, paths, options);
}

}  // namespace

void write_text(std::ostream& out, const Snapshot& snapshot, const TextOptions& options) {
  const std::vector<ThreadGroup> groups = group_threads(snapshot);
  const text::ShortPaths paths = text::short_paths_of(snapshot);

  write_header(out, snapshot, groups.size());
  for (const ThreadGroup& group : groups) {
    out << '\n';
    write_group(out, snapshot, group, paths, options);
  }
}

}  // namespace stray
