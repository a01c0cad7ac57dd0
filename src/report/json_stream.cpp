// Writes the snapshot JSON document straight into a string, without the
// nlohmann::json tree that to_json builds. The output is byte for byte what
// to_json(snapshot).dump() prints: the same fields, left out under the same
// conditions, with keys in the order of nlohmann's sorted object map and
// strings escaped as nlohmann escapes them. For the 1000-thread benchmark
// target, the tree took 174 MiB of peak RSS and about 70% of the CPU time of
// `stray snapshot --json`.
#include <charconv>
#include <cstdio>
#include <functional>

#include "report/escape.hpp"
#include "report/report.hpp"
#include "report/time_format.hpp"

namespace stray {

namespace {

// Appends `text` as a JSON string literal, escaped as nlohmann::json's
// dump() escapes it with ensure_ascii off. `text` must be valid UTF-8.
void append_json_literal(std::string& out, std::string_view text) {
  out += '"';
  for (char c : text) {
    const auto byte = static_cast<unsigned char>(c);
    switch (c) {
      case '"': out += "\\\""; break;
      case '\\': out += "\\\\"; break;
      case '\b': out += "\\b"; break;
      case '\f': out += "\\f"; break;
      case '\n': out += "\\n"; break;
      case '\r': out += "\\r"; break;
      case '\t': out += "\\t"; break;
      default:
        if (byte < 0x20) {
          char escape[7];
          std::snprintf(escape, sizeof escape, "\\u%04x", static_cast<unsigned>(byte));
          out += escape;
        } else {
          out += c;
        }
    }
  }
  out += '"';
}

// True when to_valid_utf8 and the JSON escaping both leave `raw` unchanged:
// short enough to escape no length cap, and printable ASCII other than the
// quote and the backslash. Symbol names, paths and build-ids nearly always are.
bool is_plain(std::string_view raw) {
  if (raw.size() > kMaxStringBytes) return false;
  for (char c : raw) {
    if (c < 0x20 || c > 0x7e || c == '"' || c == '\\') return false;
  }
  return true;
}

// Appends a string from the target, escaped by to_valid_utf8 as docs/json.md
// describes.
void append_target_string(std::string& out, std::string_view raw) {
  if (is_plain(raw)) {
    out += '"';
    out += raw;
    out += '"';
    return;
  }
  append_json_literal(out, to_valid_utf8(raw));
}

template <typename Integer>
void append_integer(std::string& out, Integer value) {
  char digits[24];
  auto result = std::to_chars(digits, digits + sizeof digits, value);
  out.append(digits, result.ptr);
}

void append_hex(std::string& out, std::uint64_t value) {
  char digits[16];
  auto result = std::to_chars(digits, digits + sizeof digits, value, 16);
  out += "\"0x";
  out.append(digits, result.ptr);
  out += '"';
}

// The members of one JSON object, written in the order of the calls, which
// must be the sorted order of the keys.
class ObjectWriter {
 public:
  explicit ObjectWriter(std::string& out) : out_(out) { out_ += '{'; }
  ~ObjectWriter() { out_ += '}'; }
  ObjectWriter(const ObjectWriter&) = delete;
  ObjectWriter& operator=(const ObjectWriter&) = delete;

  // Starts member `name`; the caller appends its value.
  std::string& key(const char* name) {
    if (!first_) out_ += ',';
    first_ = false;
    out_ += '"';
    out_ += name;
    out_ += "\":";
    return out_;
  }

  void target_string(const char* name, std::string_view value) {
    append_target_string(key(name), value);
  }
  // Like to_json, leaves an empty string out.
  void optional_target_string(const char* name, std::string_view value) {
    if (!value.empty()) target_string(name, value);
  }
  // For names that stray itself chose (enumerations), which need no escaping.
  void name(const char* name, const char* value) {
    std::string& out = key(name);
    out += '"';
    out += value;
    out += '"';
  }
  template <typename Integer>
  void integer(const char* name, Integer value) {
    append_integer(key(name), value);
  }
  void boolean(const char* name, bool value) { key(name) += value ? "true" : "false"; }
  void hex(const char* name, std::uint64_t value) { append_hex(key(name), value); }

 private:
  std::string& out_;
  bool first_ = true;
};

void append_frame(std::string& out, const Frame& frame) {
  ObjectWriter object(out);
  object.optional_target_string("build_id", frame.build_id);
  if (frame.column != 0) object.integer("column", frame.column);
  object.optional_target_string("file", frame.file);
  object.optional_target_string("function", frame.function);
  object.name("kind", to_string(frame.kind));
  if (frame.line != 0) object.integer("line", frame.line);
  object.optional_target_string("module", frame.module);
  if (frame.module_offset != 0) object.hex("module_offset", frame.module_offset);
  object.hex("pc", frame.pc);
  object.hex("sp", frame.sp);
}

void append_syscall(std::string& out, const SyscallInfo& syscall) {
  ObjectWriter object(out);
  std::string& args = object.key("args");
  args += '[';
  for (std::size_t i = 0; i < syscall.args.size(); ++i) {
    if (i != 0) args += ',';
    append_hex(args, syscall.args[i]);
  }
  args += ']';
  object.boolean("interrupted", syscall.interrupted);
  object.target_string("name", syscall.name);
  object.integer("number", syscall.number);
}

bool is_empty(const WaitObject& wait) {
  return !wait.fd && wait.fd_target.empty() && wait.socket_local.empty() &&
         wait.socket_peer.empty() && wait.socket_protocol.empty() && !wait.futex_address &&
         !wait.timeout && !wait.child_pid && !wait.mutex_owner;
}

void append_wait(std::string& out, const WaitObject& wait) {
  ObjectWriter object(out);
  if (wait.child_pid) object.integer("child_pid", *wait.child_pid);
  if (wait.fd) object.integer("fd", *wait.fd);
  object.optional_target_string("fd_target", wait.fd_target);
  if (wait.futex_address) object.hex("futex_address", *wait.futex_address);
  if (wait.mutex_owner) object.integer("mutex_owner", *wait.mutex_owner);
  object.optional_target_string("socket_local", wait.socket_local);
  object.optional_target_string("socket_peer", wait.socket_peer);
  object.optional_target_string("socket_protocol", wait.socket_protocol);
  if (wait.timeout) object.integer("timeout_ns", wait.timeout->count());
}

bool is_default(const SyscallInfo& syscall) {
  const SyscallInfo none;
  return syscall.number == none.number && syscall.name.empty() && syscall.args == none.args &&
         !syscall.interrupted;
}

void append_thread(std::string& out, const Thread& thread) {
  ObjectWriter object(out);
  object.name("class", to_string(thread.thread_class));
  object.optional_target_string("error", thread.error);
  std::string& frames = object.key("frames");
  frames += '[';
  for (std::size_t i = 0; i < thread.frames.size(); ++i) {
    if (i != 0) frames += ',';
    append_frame(frames, thread.frames[i]);
  }
  frames += ']';
  object.target_string("name", thread.name);
  object.boolean("stack_truncated", thread.stack_truncated);
  if (thread.start_routine) object.integer("start_routine", *thread.start_routine);
  object.integer("start_time", thread.start_time);
  object.target_string("state", std::string_view(&thread.state, 1));
  object.name("stop", to_string(thread.stop));
  if (!is_default(thread.syscall)) append_syscall(object.key("syscall"), thread.syscall);
  object.integer("tid", thread.tid);
  if (thread.top_frame) object.integer("top_frame", *thread.top_frame);
  object.name("unwind_end", to_string(thread.unwind_end));
  if (!is_empty(thread.wait)) append_wait(object.key("wait"), thread.wait);
}

}  // namespace

void write_json(std::string& out, const Snapshot& snapshot,
                const std::function<void(std::string&)>& drain) {
  // Text buffered before `drain` is called, which bounds the memory used for
  // the output of a large snapshot.
  constexpr std::size_t kDrainBytes = 256 * 1024;

  ObjectWriter object(out);
  object.optional_target_string("build_id", snapshot.build_id);
  object.integer("bytes_copied", snapshot.bytes_copied);
  object.target_string("comm", snapshot.comm);
  object.target_string("exe", snapshot.exe);
  object.integer("freeze_duration_ns", snapshot.freeze_duration.count());
  object.integer("pid", snapshot.pid);
  object.name("schema", kJsonSchemaName);
  std::string& threads = object.key("threads");
  threads += '[';
  for (std::size_t i = 0; i < snapshot.threads.size(); ++i) {
    if (i != 0) threads += ',';
    append_thread(threads, snapshot.threads[i]);
    if (drain && threads.size() >= kDrainBytes) drain(threads);
  }
  threads += ']';
  append_json_literal(object.key("time"), format_utc_ms(snapshot.time));
  object.integer("total_duration_ns", snapshot.total_duration.count());
  object.integer("version", kJsonSchemaVersion);
  std::string& warnings = object.key("warnings");
  warnings += '[';
  for (std::size_t i = 0; i < snapshot.warnings.size(); ++i) {
    if (i != 0) warnings += ',';
    append_target_string(warnings, snapshot.warnings[i]);
  }
  warnings += ']';
}

}  // namespace stray
