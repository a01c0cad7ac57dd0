#include <climits>

#include "report/json_depth.hpp"
#include "report/json_fields.hpp"
#include "report/report.hpp"
#include "report/time_format.hpp"

namespace stray {

namespace {

using namespace json_fields;

constexpr std::size_t kSyscallArgCount = std::tuple_size_v<SyscallArgs>;

std::string read_required_string(const json& object, const std::string& path, const char* key) {
  return read_string(require_field(object, path, key, "a string"), child_path(path, key));
}

std::string read_optional_string(const json& object, const std::string& path, const char* key) {
  const json* field = find_field(object, path, key);
  return field ? read_string(*field, child_path(path, key)) : std::string();
}

int read_positive_int(const json& object, const std::string& path, const char* key) {
  const char* expected = "a positive integer";
  return read_integer<int>(require_field(object, path, key, expected), child_path(path, key), 1,
                           expected);
}

std::optional<std::size_t> read_frame_index(const json& object, const std::string& path,
                                            const char* key, std::size_t frame_count) {
  const json* field = find_field(object, path, key);
  if (field == nullptr) return std::nullopt;
  const std::string expected =
      "an index into frames, below the frame count " + std::to_string(frame_count);
  const std::int64_t index = read_int64(*field, child_path(path, key), 0,
                                        static_cast<std::int64_t>(frame_count) - 1, expected);
  return static_cast<std::size_t>(index);
}

SyscallInfo read_syscall(const json& object, const std::string& path) {
  SyscallInfo syscall;
  const char* number_expected = "a syscall number, or -1";
  syscall.number = read_integer<long>(require_field(object, path, "number", number_expected),
                                      child_path(path, "number"), -1, number_expected);
  syscall.name = read_required_string(object, path, "name");
  syscall.interrupted = read_bool(require_field(object, path, "interrupted", "true or false"),
                                  child_path(path, "interrupted"));

  const std::string args_path = child_path(path, "args");
  const std::string args_expected = "an array of 6 hex strings";
  const json& args = require_field(object, path, "args", args_expected);
  if (!args.is_array() || args.size() != kSyscallArgCount) fail(args_path, args_expected, args);
  for (std::size_t i = 0; i < kSyscallArgCount; ++i) {
    syscall.args[i] = read_hex(args[i], element_path(args_path, i));
  }
  return syscall;
}

template <typename Integer>
std::optional<Integer> read_optional_integer(const json& object, const std::string& path,
                                             const char* key, Integer min) {
  const json* field = find_field(object, path, key);
  if (field == nullptr) return std::nullopt;
  return read_integer<Integer>(*field, child_path(path, key), min, "an integer");
}

WaitObject read_wait(const json& object, const std::string& path) {
  WaitObject wait;
  wait.fd = read_optional_integer<int>(object, path, "fd", INT_MIN);
  wait.fd_target = read_optional_string(object, path, "fd_target");
  wait.socket_local = read_optional_string(object, path, "socket_local");
  wait.socket_peer = read_optional_string(object, path, "socket_peer");
  wait.socket_protocol = read_optional_string(object, path, "socket_protocol");
  if (const json* field = find_field(object, path, "futex_address")) {
    wait.futex_address = read_hex(*field, child_path(path, "futex_address"));
  }
  if (auto timeout = read_optional_integer<std::int64_t>(object, path, "timeout_ns", INT64_MIN)) {
    wait.timeout = std::chrono::nanoseconds(*timeout);
  }
  wait.child_pid = read_optional_integer<int>(object, path, "child_pid", INT_MIN);
  wait.mutex_owner = read_optional_integer<int>(object, path, "mutex_owner", 1);
  return wait;
}

int read_line_number(const json& object, const std::string& path, const char* key) {
  const json* field = find_field(object, path, key);
  if (field == nullptr) return 0;
  return read_integer<int>(*field, child_path(path, key), 0, "a non-negative integer");
}

Frame read_frame(const json& object, const std::string& path) {
  Frame frame;
  const char* hex_expected = "a hex string \"0x...\"";
  frame.pc = read_hex(require_field(object, path, "pc", hex_expected), child_path(path, "pc"));
  frame.sp = read_hex(require_field(object, path, "sp", hex_expected), child_path(path, "sp"));
  frame.kind = read_enum(require_field(object, path, "kind", "a frame kind name"),
                         child_path(path, "kind"), FrameKind::return_address, "frame kind");
  frame.function = read_optional_string(object, path, "function");
  frame.module = read_optional_string(object, path, "module");
  if (const json* field = find_field(object, path, "module_offset")) {
    frame.module_offset = read_hex(*field, child_path(path, "module_offset"));
  }
  frame.file = read_optional_string(object, path, "file");
  frame.line = read_line_number(object, path, "line");
  frame.column = read_line_number(object, path, "column");
  frame.build_id = read_optional_string(object, path, "build_id");
  return frame;
}

std::vector<Frame> read_frames(const json& object, const std::string& path) {
  const std::string frames_path = child_path(path, "frames");
  const json& frames = require_array(require_field(object, path, "frames", "an array"), frames_path);
  std::vector<Frame> result;
  result.reserve(frames.size());
  for (std::size_t i = 0; i < frames.size(); ++i) {
    result.push_back(read_frame(require_object(frames[i], element_path(frames_path, i)),
                                element_path(frames_path, i)));
  }
  return result;
}

char read_state(const json& object, const std::string& path) {
  const json& field = require_field(object, path, "state", "a one-character string");
  const std::string state = read_string(field, child_path(path, "state"));
  if (state.size() != 1) fail(child_path(path, "state"), "a one-character string", field);
  return state[0];
}

ThreadClass read_class(const json& object, const std::string& path) {
  const json& field = require_field(object, path, "class", "a thread class name");
  const std::optional<ThreadClass> value =
      thread_class_from_string(read_string(field, child_path(path, "class")));
  if (!value) fail(child_path(path, "class"), "a thread class name", field);
  return *value;
}

void read_thread_details(Thread& thread, const json& object, const std::string& path) {
  if (const json* field = find_field(object, path, "syscall")) {
    const std::string syscall_path = child_path(path, "syscall");
    thread.syscall = read_syscall(require_object(*field, syscall_path), syscall_path);
  }
  if (const json* field = find_field(object, path, "wait")) {
    const std::string wait_path = child_path(path, "wait");
    thread.wait = read_wait(require_object(*field, wait_path), wait_path);
  }
  thread.start_routine = read_frame_index(object, path, "start_routine", thread.frames.size());
  thread.top_frame = read_frame_index(object, path, "top_frame", thread.frames.size());
  thread.error = read_optional_string(object, path, "error");
}

Thread read_thread(const json& object, const std::string& path) {
  Thread thread;
  thread.tid = read_positive_int(object, path, "tid");
  thread.name = read_required_string(object, path, "name");
  thread.state = read_state(object, path);
  thread.start_time = read_uint64(require_field(object, path, "start_time", "a non-negative integer"),
                                  child_path(path, "start_time"));
  thread.stop = read_enum(require_field(object, path, "stop", "a stop kind name"),
                          child_path(path, "stop"), StopKind::not_stopped, "stop kind");
  thread.thread_class = read_class(object, path);
  thread.frames = read_frames(object, path);
  thread.unwind_end = read_enum(require_field(object, path, "unwind_end", "an unwind end name"),
                                child_path(path, "unwind_end"), UnwindEnd::error, "unwind end");
  thread.stack_truncated = read_bool(require_field(object, path, "stack_truncated", "true or false"),
                                     child_path(path, "stack_truncated"));
  read_thread_details(thread, object, path);
  return thread;
}

void check_schema(const json& document) {
  const std::string expected_name = std::string("\"") + kJsonSchemaName + '"';
  const json& schema = require_field(document, "", "schema", expected_name);
  if (!schema.is_string() || schema.get_ref<const std::string&>() != kJsonSchemaName) {
    fail("schema", expected_name, schema);
  }
  const std::string expected_version = "version " + std::to_string(kJsonSchemaVersion);
  const json& version = require_field(document, "", "version", expected_version);
  read_int64(version, "version", kJsonSchemaVersion, kJsonSchemaVersion, expected_version);
}

std::chrono::nanoseconds read_duration(const json& document, const char* key) {
  const char* expected = "a non-negative integer of nanoseconds";
  return std::chrono::nanoseconds(read_int64(require_field(document, "", key, expected), key, 0,
                                             INT64_MAX, expected));
}

std::chrono::system_clock::time_point read_time(const json& document) {
  const char* expected = "an ISO 8601 UTC time \"YYYY-MM-DDTHH:MM:SS.mmmZ\"";
  const json& field = require_field(document, "", "time", expected);
  if (!field.is_string()) fail("time", expected, field);
  const auto time = parse_utc_ms(field.get_ref<const std::string&>());
  if (!time) fail("time", expected, field);
  return *time;
}

std::vector<std::string> read_warnings(const json& document) {
  const json& warnings = require_array(require_field(document, "", "warnings", "an array"), "warnings");
  std::vector<std::string> result;
  for (std::size_t i = 0; i < warnings.size(); ++i) {
    result.push_back(read_string(warnings[i], element_path("warnings", i)));
  }
  return result;
}

std::vector<Thread> read_threads(const json& document) {
  const json& threads = require_array(require_field(document, "", "threads", "an array"), "threads");
  std::vector<Thread> result;
  result.reserve(threads.size());
  for (std::size_t i = 0; i < threads.size(); ++i) {
    const std::string path = element_path("threads", i);
    result.push_back(read_thread(require_object(threads[i], path), path));
  }
  return result;
}

}  // namespace

Snapshot snapshot_from_json(const json& document) {
  require_object(document, "");
  check_schema(document);

  Snapshot snapshot;
  snapshot.pid = read_positive_int(document, "", "pid");
  snapshot.exe = read_required_string(document, "", "exe");
  snapshot.comm = read_required_string(document, "", "comm");
  snapshot.build_id = read_optional_string(document, "", "build_id");
  snapshot.time = read_time(document);
  snapshot.freeze_duration = read_duration(document, "freeze_duration_ns");
  snapshot.total_duration = read_duration(document, "total_duration_ns");
  snapshot.bytes_copied = read_uint64(require_field(document, "", "bytes_copied", "a non-negative integer"),
                                      "bytes_copied");
  snapshot.warnings = read_warnings(document);
  snapshot.threads = read_threads(document);
  return snapshot;
}

Snapshot parse_snapshot_json(std::string_view text) {
  if (json_nesting_depth(text) > kMaxJsonDepth) {
    throw Error(ErrorKind::invalid_input, "invalid snapshot JSON: arrays and objects nested deeper than " +
                                              std::to_string(kMaxJsonDepth) + " levels");
  }
  json document = json::parse(text, nullptr, false);
  if (document.is_discarded()) {
    throw Error(ErrorKind::invalid_input, "invalid snapshot JSON: the text is not valid JSON");
  }
  return snapshot_from_json(document);
}

}  // namespace stray
