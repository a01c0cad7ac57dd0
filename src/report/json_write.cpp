#include <cstdio>

#include "report/escape.hpp"
#include "report/report.hpp"
#include "report/time_format.hpp"

namespace stray {

namespace {

using nlohmann::json;

// Fields equal to their default are left out. The reader restores the
// default for a missing optional field, so the round trip stays exact.
void put_string(json& object, const char* key, const std::string& value) {
  if (!value.empty()) object[key] = to_valid_utf8(value);
}

void put_number(json& object, const char* key, int value) {
  if (value != 0) object[key] = value;
}

bool is_default(const SyscallInfo& syscall) {
  const SyscallInfo none;
  return syscall.number == none.number && syscall.name.empty() && syscall.args == none.args &&
         !syscall.interrupted;
}

json syscall_to_json(const SyscallInfo& syscall) {
  json args = json::array();
  for (std::uint64_t arg : syscall.args) args.push_back(hex_address(arg));
  return json{{"number", syscall.number},
              {"name", to_valid_utf8(syscall.name)},
              {"args", std::move(args)},
              {"interrupted", syscall.interrupted}};
}

json wait_to_json(const WaitObject& wait) {
  json object = json::object();
  if (wait.fd) object["fd"] = *wait.fd;
  put_string(object, "fd_target", wait.fd_target);
  put_string(object, "socket_local", wait.socket_local);
  put_string(object, "socket_peer", wait.socket_peer);
  put_string(object, "socket_protocol", wait.socket_protocol);
  if (wait.futex_address) object["futex_address"] = hex_address(*wait.futex_address);
  if (wait.mutex_owner) object["mutex_owner"] = *wait.mutex_owner;
  if (wait.timeout) object["timeout_ns"] = wait.timeout->count();
  if (wait.child_pid) object["child_pid"] = *wait.child_pid;
  return object;
}

json frame_to_json(const Frame& frame) {
  json object{{"pc", hex_address(frame.pc)}, {"sp", hex_address(frame.sp)}, {"kind", to_string(frame.kind)}};
  put_string(object, "function", frame.function);
  put_string(object, "module", frame.module);
  if (frame.module_offset != 0) object["module_offset"] = hex_address(frame.module_offset);
  put_string(object, "file", frame.file);
  put_number(object, "line", frame.line);
  put_number(object, "column", frame.column);
  put_string(object, "build_id", frame.build_id);
  return object;
}

json thread_to_json(const Thread& thread) {
  json frames = json::array();
  for (const Frame& frame : thread.frames) frames.push_back(frame_to_json(frame));

  json object{{"tid", thread.tid},
              {"name", to_valid_utf8(thread.name)},
              {"state", to_valid_utf8(std::string(1, thread.state))},
              {"start_time", thread.start_time},
              {"stop", to_string(thread.stop)},
              {"class", to_string(thread.thread_class)},
              {"frames", std::move(frames)},
              {"unwind_end", to_string(thread.unwind_end)},
              {"stack_truncated", thread.stack_truncated}};
  if (!is_default(thread.syscall)) object["syscall"] = syscall_to_json(thread.syscall);
  if (json wait = wait_to_json(thread.wait); !wait.empty()) object["wait"] = std::move(wait);
  if (thread.start_routine) object["start_routine"] = *thread.start_routine;
  if (thread.top_frame) object["top_frame"] = *thread.top_frame;
  put_string(object, "error", thread.error);
  return object;
}

}  // namespace

std::string hex_address(std::uint64_t value) {
  char buffer[19];
  std::snprintf(buffer, sizeof buffer, "0x%llx", static_cast<unsigned long long>(value));
  return buffer;
}

json to_json(const Snapshot& snapshot) {
  json threads = json::array();
  for (const Thread& thread : snapshot.threads) threads.push_back(thread_to_json(thread));
  json warnings = json::array();
  for (const std::string& warning : snapshot.warnings) warnings.push_back(to_valid_utf8(warning));

  json object{{"schema", kJsonSchemaName},
              {"version", kJsonSchemaVersion},
              {"pid", snapshot.pid},
              {"exe", to_valid_utf8(snapshot.exe)},
              {"comm", to_valid_utf8(snapshot.comm)},
              {"time", format_utc_ms(snapshot.time)},
              {"freeze_duration_ns", snapshot.freeze_duration.count()},
              {"total_duration_ns", snapshot.total_duration.count()},
              {"bytes_copied", snapshot.bytes_copied},
              {"warnings", std::move(warnings)},
              {"threads", std::move(threads)}};
  put_string(object, "build_id", snapshot.build_id);
  return object;
}

}  // namespace stray
