// Renders a Snapshot: grouped text for people, versioned JSON for programs.
#pragma once

#include <cstddef>
#include <functional>
#include <ostream>
#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "stray/model.hpp"

namespace stray {

// Version of the JSON schema documented in docs/json.md. Raise it when a
// field changes meaning or disappears, or an enumeration gains a value,
// because snapshot_from_json rejects unknown values. Adding a field keeps it.
inline constexpr int kJsonSchemaVersion = 1;
// Value of the "schema" field, which identifies a stray snapshot document.
inline constexpr const char* kJsonSchemaName = "stray.snapshot";

struct TextOptions {
  bool show_addresses = false;        // also print each frame's pc
  std::size_t max_listed_threads = 10;  // tids listed per group before "and N more"
};

// Writes the header (pid, comm, exe, thread and group count, time, freeze
// and total duration, bytes copied, warnings), then each group of
// group_threads once, separated by blank lines:
//
//   3 threads [condvar] in syscall futex
//     wait: futex 0x7f3c2a1c0
//     tids: 4244 4245 4246, all "worker"
//     #0  pthread_cond_wait (pthread_cond_wait.c:627)
//     #1  wait_for_job (pipeline.cpp:41) [inlined]
//     #2  worker_main (pipeline.cpp:60)
//     #3  libc.so.6+0x8a1c4 [guessed]
//     unwind stopped: no_unwind_info
//     started by: worker_main (pipeline.cpp:60)
//
// A group whose threads wait on different objects lists one "tid N "name":
// WAIT" line per thread instead of the "wait:" and "tids:" lines. Source
// files are shown by their shortest unique trailing path (see
// shorten_paths). Every string from the target goes through escape_text or
// quote_text.
void write_text(std::ostream& out, const Snapshot& snapshot, const TextOptions& options = {});

nlohmann::json to_json(const Snapshot& snapshot);

// Appends to `out` what to_json(snapshot).dump() returns, compact and byte
// for byte the same, without building the tree. Whenever `out` has grown
// past a few hundred KB, passes it to `drain`, if set, which must consume
// the text and may clear `out`.
void write_json(std::string& out, const Snapshot& snapshot,
                const std::function<void(std::string&)>& drain = {});

// An address or other 64-bit value as the JSON and text reports spell it:
// "0x" and lower-case hex digits, no leading zeros.
std::string hex_address(std::uint64_t value);

// Reads back what to_json wrote. Throws stray::Error(invalid_input) naming
// the offending field and what was expected, and no other exception.
Snapshot snapshot_from_json(const nlohmann::json& json);

// Parses JSON text and reads it with snapshot_from_json. Invalid JSON, and
// arrays and objects nested deeper than kMaxJsonDepth, throw
// stray::Error(invalid_input) as well.
Snapshot parse_snapshot_json(std::string_view text);

}  // namespace stray
