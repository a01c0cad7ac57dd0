// The report stage is pure data: these tests build Snapshot values by hand
// and check the text layout, the escaping of hostile strings, the JSON round
// trip and the rejection of malformed JSON.
#include <gtest/gtest.h>

#include <algorithm>
#include <chrono>
#include <sstream>
#include <string>
#include <vector>

#include "report/escape.hpp"
#include "report/grouping.hpp"
#include "report/json_depth.hpp"
#include "report/report.hpp"
#include "report/short_paths.hpp"
#include "report/time_format.hpp"
#include "stray/error.hpp"

namespace stray {
namespace {

using namespace std::chrono_literals;
using nlohmann::json;

std::chrono::system_clock::time_point may_first_noon() {
  return std::chrono::sys_days{std::chrono::year{2024} / 5 / 1} + 12h + 123ms;
}

Frame make_frame(FrameKind kind, const std::string& function, const std::string& file, int line,
                 const std::string& module = "/lib/x86_64-linux-gnu/libc.so.6",
                 std::uint64_t module_offset = 0) {
  Frame frame;
  frame.kind = kind;
  frame.function = function;
  frame.file = file;
  frame.line = line;
  frame.module = module;
  frame.module_offset = module_offset;
  frame.pc = 0x7f0000000000 + module_offset;
  return frame;
}

Thread make_worker(int tid) {
  Thread thread;
  thread.tid = tid;
  thread.name = "worker";
  thread.state = 'S';
  thread.stop = StopKind::interrupt;
  thread.thread_class = ThreadClass::condvar;
  thread.syscall.number = 202;
  thread.syscall.name = "futex";
  thread.wait.futex_address = 0x7f00001000;
  thread.frames = {
      make_frame(FrameKind::innermost, "pthread_cond_wait", "/build/glibc/nptl/pthread_cond_wait.c", 627),
      make_frame(FrameKind::inlined, "wait_for_job", "/src/app/pipeline.cpp", 41, "/src/app/leaky"),
      make_frame(FrameKind::cfi, "worker_main", "/src/app/pipeline.cpp", 60, "/src/app/leaky"),
      make_frame(FrameKind::cfi, "start_thread", "/build/glibc/nptl/pthread_create.c", 442),
      make_frame(FrameKind::cfi, "", "", 0, "/lib/x86_64-linux-gnu/libc.so.6", 0x1263c0),
  };
  thread.start_routine = 2;
  thread.top_frame = 1;
  return thread;
}

Thread make_signal_thread() {
  Thread thread;
  thread.tid = 200;
  thread.name = "sigthread";
  thread.thread_class = ThreadClass::sleep;
  thread.syscall.number = 35;
  thread.syscall.name = "nanosleep";
  thread.syscall.interrupted = true;
  thread.wait.timeout = 1500ms;
  thread.frames = {
      make_frame(FrameKind::innermost, "handler_sleep", "/src/app/handlers.cpp", 12, "/src/app/leaky"),
      make_frame(FrameKind::signal, "__restore_rt", "", 0, "/lib/x86_64-linux-gnu/libc.so.6", 0x3c050),
      make_frame(FrameKind::cfi, "main_loop", "/src/app/pipeline.cpp", 80, "/src/app/leaky"),
      make_frame(FrameKind::frame_pointer, "", "", 0, "/src/app/libplugin.so", 0x1234),
  };
  thread.top_frame = 0;
  thread.unwind_end = UnwindEnd::no_unwind_info;
  thread.stack_truncated = true;
  return thread;
}

Thread make_partial_thread() {
  Thread thread;
  thread.tid = 300;
  thread.name = "reader";
  thread.stop = StopKind::not_stopped;
  thread.unwind_end = UnwindEnd::no_registers;
  thread.error = "registers not captured: ESRCH";
  return thread;
}

Snapshot make_snapshot() {
  Snapshot snapshot;
  snapshot.pid = 4242;
  snapshot.comm = "leaky";
  snapshot.exe = "/usr/local/bin/leaky";
  snapshot.time = may_first_noon();
  snapshot.freeze_duration = 1'250'000ns;
  snapshot.total_duration = 12'500'000ns;
  snapshot.bytes_copied = 49152;
  snapshot.warnings = {"thread 4250 exited during the freeze"};
  snapshot.threads = {make_worker(103), make_partial_thread(), make_worker(101),
                      make_signal_thread(), make_worker(102)};
  return snapshot;
}

std::string render(const Snapshot& snapshot, const TextOptions& options = {}) {
  std::ostringstream out;
  write_text(out, snapshot, options);
  return out.str();
}

std::vector<std::string> split_lines(const std::string& text) {
  std::vector<std::string> lines;
  std::istringstream in(text);
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// ---------------------------------------------------------------- text

TEST(TextReport, PrintsHeaderAndGroups) {
  const std::vector<std::string> expected = {
      "pid 4242 (leaky), exe /usr/local/bin/leaky",
      "5 threads in 3 groups, snapshot at 2024-05-01T12:00:00.123Z",
      "frozen for 1.25 ms, total 12.50 ms, 49152 bytes copied",
      "warning: thread 4250 exited during the freeze",
      "",
      "3 threads [condvar] in syscall futex",
      "  wait: futex 0x7f00001000",
      "  tids: 101 102 103, all \"worker\"",
      "  #0  pthread_cond_wait (pthread_cond_wait.c:627)",
      "  #1  wait_for_job (pipeline.cpp:41) [inlined]",
      "  #2  worker_main (pipeline.cpp:60)",
      "  #3  start_thread (pthread_create.c:442)",
      "  #4  libc.so.6+0x1263c0",
      "  started by: worker_main (pipeline.cpp:60)",
      "",
      "1 thread [unknown]",
      "  tid 300 \"reader\"",
      "  error (partial result): registers not captured: ESRCH",
      "  unwind stopped: no_registers",
      "",
      "1 thread [sleep] in syscall nanosleep (interrupted)",
      "  wait: timeout 1.500 s",
      "  tid 200 \"sigthread\"",
      "  #0  handler_sleep (handlers.cpp:12)",
      "  #1  __restore_rt (libc.so.6+0x3c050) [signal]",
      "  #2  main_loop (pipeline.cpp:80)",
      "  #3  libplugin.so+0x1234 [guessed]",
      "  unwind stopped: no_unwind_info",
      "  stack truncated at the copy size limit",
  };
  const std::vector<std::string> lines = split_lines(render(make_snapshot()));
  ASSERT_EQ(lines.size(), expected.size()) << render(make_snapshot());
  for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_EQ(lines[i], expected[i]) << "line " << i;
}

TEST(TextReport, ShowsAddressesWhenAsked) {
  TextOptions options;
  options.show_addresses = true;
  const std::string text = render(make_snapshot(), options);
  EXPECT_NE(text.find("  #0  0x00007f0000000000 pthread_cond_wait (pthread_cond_wait.c:627)\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("  #4  0x00007f00001263c0 libc.so.6+0x1263c0\n"), std::string::npos) << text;
}

TEST(TextReport, ListsDifferentWaitsPerThread) {
  Snapshot snapshot = make_snapshot();
  snapshot.threads = {make_worker(11), make_worker(12)};
  snapshot.threads[0].wait = {};
  snapshot.threads[0].wait.fd = 5;
  snapshot.threads[0].wait.fd_target = "socket:[777]";
  snapshot.threads[0].wait.socket_protocol = "tcp";
  snapshot.threads[0].wait.socket_local = "127.0.0.1:8080";
  snapshot.threads[0].wait.socket_peer = "127.0.0.1:50000";
  snapshot.threads[1].name = "worker-2";

  const std::string text = render(snapshot);
  EXPECT_NE(text.find("\n  tid 11 \"worker\": fd 5 -> socket:[777], tcp 127.0.0.1:8080->127.0.0.1:50000\n"),
            std::string::npos)
      << text;
  EXPECT_NE(text.find("\n  tid 12 \"worker-2\": futex 0x7f00001000\n"), std::string::npos) << text;
  EXPECT_EQ(text.find("tids:"), std::string::npos) << text;
}

TEST(TextReport, AbbreviatesLongTidLists) {
  Snapshot snapshot = make_snapshot();
  snapshot.threads.clear();
  for (int tid = 1; tid <= 12; ++tid) snapshot.threads.push_back(make_worker(tid));
  const std::string same_names = render(snapshot);
  EXPECT_NE(same_names.find("\n  tids: 1 2 3 4 5 6 7 8 9 10 and 2 more, all \"worker\"\n"),
            std::string::npos)
      << same_names;

  snapshot.threads[1].name = "other";
  TextOptions options;
  options.max_listed_threads = 2;
  const std::string mixed_names = render(snapshot, options);
  EXPECT_NE(mixed_names.find("\n  tids: 1 \"worker\", 2 \"other\" and 10 more\n"), std::string::npos)
      << mixed_names;
}

TEST(TextReport, LengthensCollidingFileNames) {
  Snapshot snapshot = make_snapshot();
  snapshot.threads = {make_worker(1), make_worker(2)};
  snapshot.threads[1].frames[2].file = "/src/client/pipeline.cpp";
  snapshot.threads[1].start_routine = 3;  // another stack, so a second group
  const std::string text = render(snapshot);
  EXPECT_NE(text.find("  #2  worker_main (app/pipeline.cpp:60)\n"), std::string::npos) << text;
  EXPECT_NE(text.find("  #2  worker_main (client/pipeline.cpp:60)\n"), std::string::npos) << text;
}

TEST(ShortPaths, KeepsBasenameUnlessShared) {
  const auto paths = shorten_paths({"/a/x/main.cpp", "/a/y/main.cpp", "/usr/include/vector",
                                    "/b/y/main.cpp", "util.h", "util.h"});
  EXPECT_EQ(paths.at("/a/x/main.cpp"), "x/main.cpp");
  EXPECT_EQ(paths.at("/a/y/main.cpp"), "/a/y/main.cpp");  // every component needed
  EXPECT_EQ(paths.at("/b/y/main.cpp"), "/b/y/main.cpp");
  EXPECT_EQ(paths.at("/usr/include/vector"), "vector");
  EXPECT_EQ(paths.at("util.h"), "util.h");
}

TEST(ShortPaths, KeepsFullPathWhenStillAmbiguous) {
  const auto paths = shorten_paths({"/a/main.cpp", "a/main.cpp"});
  EXPECT_EQ(paths.at("/a/main.cpp"), "/a/main.cpp");
  EXPECT_EQ(paths.at("a/main.cpp"), "a/main.cpp");
}

// ---------------------------------------------------------------- grouping

TEST(Grouping, OrdersLargestFirstThenByKey) {
  const std::vector<ThreadGroup> groups = group_threads(make_snapshot());
  ASSERT_EQ(groups.size(), 3u);
  EXPECT_EQ(groups[0].count(), 3u);
  EXPECT_EQ(groups[0].tids, (std::vector<int>{101, 102, 103}));
  EXPECT_EQ(groups[0].names, (std::vector<std::string>{"worker", "worker", "worker"}));
  EXPECT_EQ(groups[0].key.start_routine, "worker_main");
  EXPECT_EQ(groups[0].key.top_frame, "wait_for_job");
  EXPECT_EQ(groups[0].key.thread_class, ThreadClass::condvar);
  EXPECT_EQ(groups[1].tids, (std::vector<int>{300}));
  EXPECT_EQ(groups[2].tids, (std::vector<int>{200}));
  EXPECT_EQ(groups[2].key.top_frame, "handler_sleep");
}

TEST(Grouping, IgnoresInputOrder) {
  Snapshot snapshot = make_snapshot();
  const std::vector<ThreadGroup> before = group_threads(snapshot);
  std::reverse(snapshot.threads.begin(), snapshot.threads.end());
  const std::vector<ThreadGroup> after = group_threads(snapshot);
  ASSERT_EQ(before.size(), after.size());
  for (std::size_t i = 0; i < before.size(); ++i) {
    EXPECT_EQ(before[i].tids, after[i].tids) << "group " << i;
    EXPECT_EQ(before[i].key, after[i].key) << "group " << i;
  }
}

TEST(Grouping, SplitsSameKeyWithDifferentStacks) {
  Snapshot snapshot = make_snapshot();
  snapshot.threads = {make_worker(1), make_worker(2), make_worker(3)};
  snapshot.threads[2].frames[0].line = 628;  // same key, another call site
  const std::vector<ThreadGroup> groups = group_threads(snapshot);
  ASSERT_EQ(groups.size(), 2u);
  EXPECT_EQ(groups[0].tids, (std::vector<int>{1, 2}));
  EXPECT_EQ(groups[1].tids, (std::vector<int>{3}));
  EXPECT_EQ(groups[0].key, groups[1].key);
}

TEST(Grouping, IgnoresStackPointers) {
  Snapshot snapshot = make_snapshot();
  snapshot.threads = {make_worker(1), make_worker(2)};
  snapshot.threads[1].frames[0].sp = 0x7ffc0000;
  EXPECT_EQ(group_threads(snapshot).size(), 1u);
}

TEST(Grouping, LabelsFramesWithoutFunction) {
  Frame frame;
  frame.pc = 0x401000;
  EXPECT_EQ(frame_label(frame), "0x401000");
  frame.module = "/usr/lib/libz.so.1";
  frame.module_offset = 0x2a0;
  EXPECT_EQ(frame_label(frame), "libz.so.1+0x2a0");
  frame.function = "inflate";
  EXPECT_EQ(frame_label(frame), "inflate");
}

// ---------------------------------------------------------------- escaping

TEST(EscapeText, EscapesControlBytes) {
  EXPECT_EQ(escape_text("\x1b[2J"), "\\x1b[2J");
  EXPECT_EQ(escape_text("a\nb\tc\rd"), "a\\nb\\tc\\rd");
  EXPECT_EQ(escape_text(std::string("nul\0end", 7)), "nul\\x00end");
  EXPECT_EQ(escape_text("del\x7f"), "del\\x7f");
  EXPECT_EQ(escape_text("back\\slash"), "back\\\\slash");
}

TEST(EscapeText, PassesPrintableAndUtf8) {
  EXPECT_EQ(escape_text("plain <script> \"quoted\" ~"), "plain <script> \"quoted\" ~");
  EXPECT_EQ(escape_text("caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80"), "caf\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80");
}

TEST(EscapeText, EscapesInvalidUtf8) {
  EXPECT_EQ(escape_text("\xff\xfe"), "\\xff\\xfe");
  EXPECT_EQ(escape_text("\xc3"), "\\xc3");                   // truncated sequence
  EXPECT_EQ(escape_text("\xc0\xaf"), "\\xc0\\xaf");          // overlong '/'
  EXPECT_EQ(escape_text("\xed\xa0\x80"), "\\xed\\xa0\\x80");  // surrogate U+D800
  EXPECT_EQ(escape_text("\xf4\x90\x80\x80"), "\\xf4\\x90\\x80\\x80");  // above U+10FFFF
}

TEST(EscapeText, EscapesC1AndBidiControls) {
  EXPECT_EQ(escape_text("\xc2\x9b" "2J"), "\\xc2\\x9b2J");          // C1 CSI
  EXPECT_EQ(escape_text("a\xe2\x80\xae" "b"), "a\\xe2\\x80\\xaeb");  // U+202E
  EXPECT_EQ(escape_text("\xe2\x80\xa8"), "\\xe2\\x80\\xa8");         // U+2028
}

TEST(EscapeText, QuoteTextEscapesQuotes) {
  EXPECT_EQ(quote_text("a\" 2 \"b"), "\"a\\\" 2 \\\"b\"");
}

TEST(CapLength, TruncatesWithMarker) {
  const std::string huge(1 << 20, 'A');
  const std::string capped = cap_length(huge);
  EXPECT_LE(capped.size(), kMaxStringBytes);
  EXPECT_EQ(capped.substr(capped.size() - 29), "...[truncated, 1048576 bytes]");
  EXPECT_EQ(capped.substr(0, 4), "AAAA");
  EXPECT_EQ(cap_length(capped), capped);
  EXPECT_EQ(cap_length("short"), "short");
}

TEST(CapLength, KeepsUtf8CharactersWhole) {
  std::string text;
  while (text.size() < 100) text += "\xe6\x97\xa5";  // three bytes each
  for (std::size_t max = 40; max < 50; ++max) {
    const std::string capped = cap_length(text, max);
    const std::string head = capped.substr(0, capped.find("...["));
    EXPECT_EQ(head.size() % 3, 0u) << "max " << max;
    EXPECT_LE(capped.size(), max) << "max " << max;
  }
}

TEST(ValidUtf8, RestoresEveryByte) {
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes += static_cast<char>(byte);
  const std::string escaped = to_valid_utf8(all_bytes);
  EXPECT_NO_THROW(json(escaped).dump());
  const std::optional<std::string> restored = from_valid_utf8(escaped);
  ASSERT_TRUE(restored.has_value());
  EXPECT_EQ(*restored, all_bytes);
}

TEST(ValidUtf8, WritesTheDocumentedForm) {
  EXPECT_EQ(to_valid_utf8("a\xff" "b"), "a\\xffb");
  EXPECT_EQ(to_valid_utf8("C:\\x41"), "C:\\\\x41");
  EXPECT_EQ(to_valid_utf8("caf\xc3\xa9\n"), "caf\xc3\xa9\n");
  EXPECT_EQ(from_valid_utf8("C:\\\\x41"), "C:\\x41");
}

TEST(ValidUtf8, RejectsUnknownEscapes) {
  EXPECT_FALSE(from_valid_utf8("a\\n").has_value());
  EXPECT_FALSE(from_valid_utf8("a\\x4").has_value());
  EXPECT_FALSE(from_valid_utf8("a\\xg1").has_value());
  EXPECT_FALSE(from_valid_utf8("a\\").has_value());
}

// ---------------------------------------------------------------- hostile strings

const std::string kHostileName = "\x1b[2J\nforged line \"x\" <script>\xff\xfe\r\x7f\xc2\x9b";

Snapshot make_hostile_snapshot() {
  Snapshot snapshot = make_snapshot();
  snapshot.comm = kHostileName;
  snapshot.exe = "/tmp/\x1b]0;title\x07";
  snapshot.warnings.push_back("maps line \"\n\"");
  snapshot.threads[0].name = kHostileName;
  snapshot.threads[0].frames[0].function = std::string(1 << 20, 'S') + "\x1b[31m";
  snapshot.threads[0].frames[1].file = "/src/\n#9  forged (frame.cpp:1)";
  snapshot.threads[0].wait.fd = 3;
  snapshot.threads[0].wait.fd_target = "/tmp/a\nb\\c";
  snapshot.threads[0].error = "partial\x1b[0m";
  return snapshot;
}

TEST(HostileStrings, TextHasNoRawControlBytes) {
  const std::string text = render(make_hostile_snapshot());
  for (std::size_t i = 0; i < text.size(); ++i) {
    const auto byte = static_cast<unsigned char>(text[i]);
    EXPECT_FALSE(byte < 0x20 && byte != '\n') << "control byte " << int(byte) << " at " << i;
    EXPECT_NE(byte, 0x7f) << "DEL at " << i;
  }
  EXPECT_EQ(text.find("\xc2\x9b"), std::string::npos);
  EXPECT_EQ(text.find("\xff"), std::string::npos);
}

TEST(HostileStrings, TextCannotForgeLines) {
  const std::string text = render(make_hostile_snapshot());
  for (const std::string& line : split_lines(text)) {
    EXPECT_NE(line.rfind("forged", 0), 0u) << line.substr(0, 200);
    EXPECT_NE(line.rfind("#9", 0), 0u) << line.substr(0, 200);
  }
  EXPECT_NE(text.find("tid 103 \"\\x1b[2J\\nforged line \\\"x\\\" <script>\\xff\\xfe\\r\\x7f\\xc2\\x9b\""),
            std::string::npos)
      << text.substr(0, 2000);
}

TEST(HostileStrings, TextCapsHugeSymbol) {
  const std::string text = render(make_hostile_snapshot());
  EXPECT_LT(text.size(), 2 * kMaxStringBytes);
  EXPECT_NE(text.find("...[truncated, 1048581 bytes]"), std::string::npos);
}

TEST(HostileStrings, JsonDumpsAndParsesBack) {
  const Snapshot original = make_hostile_snapshot();
  std::string dumped;
  ASSERT_NO_THROW(dumped = to_json(original).dump());
  const Snapshot read = parse_snapshot_json(dumped);

  const auto worker = std::find_if(read.threads.begin(), read.threads.end(),
                                   [](const Thread& thread) { return thread.tid == 103; });
  ASSERT_NE(worker, read.threads.end());
  EXPECT_EQ(read.comm, kHostileName);
  EXPECT_EQ(read.exe, original.exe);
  EXPECT_EQ(read.warnings, original.warnings);
  EXPECT_EQ(worker->name, kHostileName);
  EXPECT_EQ(worker->frames[0].function, cap_length(original.threads[0].frames[0].function));
  EXPECT_EQ(worker->frames[1].file, original.threads[0].frames[1].file);
  EXPECT_EQ(worker->wait.fd_target, "/tmp/a\nb\\c");
  EXPECT_EQ(worker->error, original.threads[0].error);
  EXPECT_EQ(to_json(read), to_json(original));
}

// ---------------------------------------------------------------- JSON round trip

Snapshot make_full_snapshot() {
  Snapshot snapshot = make_snapshot();
  snapshot.build_id = "0123456789abcdef0123456789abcdef01234567";

  Thread& thread = snapshot.threads[0];
  thread.state = 'D';
  thread.start_time = 1234567890123ull;
  thread.stop = StopKind::signal_delivery;
  thread.syscall.args = {0x7f00001000, 0x80, 0xffffffffffffffffull, 0, 1, 0x10};
  thread.syscall.interrupted = true;
  thread.wait.fd = 7;
  thread.wait.fd_target = "socket:[12345]";
  thread.wait.socket_local = "[::1]:8080";
  thread.wait.socket_peer = "[::1]:40000";
  thread.wait.socket_protocol = "tcp6";
  thread.wait.timeout = 2'500'000'001ns;
  thread.wait.child_pid = -1;
  thread.wait.mutex_owner = 4242;
  thread.unwind_end = UnwindEnd::stack_copy_exhausted;
  thread.stack_truncated = true;
  thread.error = "stack copy short by 4096 bytes";

  Frame& frame = thread.frames[0];
  frame.pc = 0xffffffffffffffffull;
  frame.sp = 0x7ffc12345670;
  frame.column = 17;
  frame.build_id = "feedface";
  return snapshot;
}

void expect_same_frame(const Frame& read, const Frame& original, const std::string& where) {
  EXPECT_EQ(read.pc, original.pc) << where;
  EXPECT_EQ(read.sp, original.sp) << where;
  EXPECT_EQ(read.kind, original.kind) << where;
  EXPECT_EQ(read.function, original.function) << where;
  EXPECT_EQ(read.module, original.module) << where;
  EXPECT_EQ(read.module_offset, original.module_offset) << where;
  EXPECT_EQ(read.file, original.file) << where;
  EXPECT_EQ(read.line, original.line) << where;
  EXPECT_EQ(read.column, original.column) << where;
  EXPECT_EQ(read.build_id, original.build_id) << where;
}

void expect_same_wait(const WaitObject& read, const WaitObject& original, const std::string& where) {
  EXPECT_EQ(read.fd, original.fd) << where;
  EXPECT_EQ(read.fd_target, original.fd_target) << where;
  EXPECT_EQ(read.socket_local, original.socket_local) << where;
  EXPECT_EQ(read.socket_peer, original.socket_peer) << where;
  EXPECT_EQ(read.socket_protocol, original.socket_protocol) << where;
  EXPECT_EQ(read.futex_address, original.futex_address) << where;
  EXPECT_EQ(read.timeout, original.timeout) << where;
  EXPECT_EQ(read.child_pid, original.child_pid) << where;
  EXPECT_EQ(read.mutex_owner, original.mutex_owner) << where;
}

void expect_same_thread(const Thread& read, const Thread& original) {
  const std::string where = "tid " + std::to_string(original.tid);
  EXPECT_EQ(read.tid, original.tid) << where;
  EXPECT_EQ(read.name, original.name) << where;
  EXPECT_EQ(read.state, original.state) << where;
  EXPECT_EQ(read.start_time, original.start_time) << where;
  EXPECT_EQ(read.stop, original.stop) << where;
  EXPECT_EQ(read.thread_class, original.thread_class) << where;
  EXPECT_EQ(read.syscall.number, original.syscall.number) << where;
  EXPECT_EQ(read.syscall.name, original.syscall.name) << where;
  EXPECT_EQ(read.syscall.args, original.syscall.args) << where;
  EXPECT_EQ(read.syscall.interrupted, original.syscall.interrupted) << where;
  expect_same_wait(read.wait, original.wait, where);
  EXPECT_EQ(read.unwind_end, original.unwind_end) << where;
  EXPECT_EQ(read.stack_truncated, original.stack_truncated) << where;
  EXPECT_EQ(read.start_routine, original.start_routine) << where;
  EXPECT_EQ(read.top_frame, original.top_frame) << where;
  EXPECT_EQ(read.error, original.error) << where;
  ASSERT_EQ(read.frames.size(), original.frames.size()) << where;
  for (std::size_t i = 0; i < read.frames.size(); ++i) {
    expect_same_frame(read.frames[i], original.frames[i], where + " frame " + std::to_string(i));
  }
}

void expect_same_snapshot(const Snapshot& read, const Snapshot& original) {
  EXPECT_EQ(read.pid, original.pid);
  EXPECT_EQ(read.exe, original.exe);
  EXPECT_EQ(read.comm, original.comm);
  EXPECT_EQ(read.build_id, original.build_id);
  EXPECT_EQ(read.time, original.time);
  EXPECT_EQ(read.freeze_duration, original.freeze_duration);
  EXPECT_EQ(read.total_duration, original.total_duration);
  EXPECT_EQ(read.bytes_copied, original.bytes_copied);
  EXPECT_EQ(read.warnings, original.warnings);
  ASSERT_EQ(read.threads.size(), original.threads.size());
  for (std::size_t i = 0; i < read.threads.size(); ++i) {
    expect_same_thread(read.threads[i], original.threads[i]);
  }
}

TEST(JsonRoundTrip, KeepsEveryFieldThroughText) {
  const Snapshot original = make_full_snapshot();
  expect_same_snapshot(parse_snapshot_json(to_json(original).dump()), original);
}

TEST(JsonRoundTrip, KeepsEveryFieldInMemory) {
  const Snapshot original = make_full_snapshot();
  expect_same_snapshot(snapshot_from_json(to_json(original)), original);
}

TEST(JsonRoundTrip, KeepsDefaults) {
  Snapshot original;
  original.pid = 1;
  original.threads.push_back(Thread{});
  original.threads[0].tid = 1;
  expect_same_snapshot(parse_snapshot_json(to_json(original).dump()), original);
}

std::string streamed_json(const Snapshot& snapshot) {
  std::string out;
  write_json(out, snapshot);
  return out;
}

TEST(JsonStream, MatchesTreeForFullSnapshot) {
  Snapshot snapshot = make_full_snapshot();
  snapshot.threads[0].wait.futex_address = 0x7f00000abc0;
  EXPECT_EQ(streamed_json(snapshot), to_json(snapshot).dump());
}

TEST(JsonStream, MatchesTreeForHostileStrings) {
  Snapshot snapshot = make_hostile_snapshot();
  std::string all_bytes;
  for (int byte = 0; byte < 256; ++byte) all_bytes += static_cast<char>(byte);
  snapshot.threads[0].frames[0].module = all_bytes;
  snapshot.threads[0].state = '\0';
  snapshot.warnings.push_back(all_bytes);
  EXPECT_EQ(streamed_json(snapshot), to_json(snapshot).dump());
}

TEST(JsonStream, MatchesTreeForDefaults) {
  Snapshot snapshot;
  EXPECT_EQ(streamed_json(snapshot), to_json(snapshot).dump());
  snapshot.threads.push_back(Thread{});
  snapshot.threads.push_back(Thread{});
  EXPECT_EQ(streamed_json(snapshot), to_json(snapshot).dump());
}

TEST(JsonStream, DrainsLargeOutputInPieces) {
  Snapshot snapshot = make_full_snapshot();
  const Thread thread = snapshot.threads[0];
  for (int i = 0; i < 2000; ++i) snapshot.threads.push_back(thread);
  std::string drained;
  int drains = 0;
  std::string out;
  write_json(out, snapshot, [&](std::string& text) {
    drained += text;
    text.clear();
    ++drains;
  });
  EXPECT_GT(drains, 1);
  EXPECT_EQ(drained + out, to_json(snapshot).dump());
}

TEST(JsonStream, AppendsToExistingText) {
  std::string out = "prefix";
  write_json(out, make_snapshot());
  EXPECT_EQ(out, "prefix" + to_json(make_snapshot()).dump());
}

TEST(JsonRoundTrip, WritesSchemaAndHexFields) {
  const json document = to_json(make_full_snapshot());
  EXPECT_EQ(document.at("schema"), "stray.snapshot");
  EXPECT_EQ(document.at("version"), 1);
  EXPECT_EQ(document.at("time"), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(document.at("freeze_duration_ns"), 1250000);
  const json& thread = document.at("threads").at(0);
  EXPECT_EQ(thread.at("tid"), 103);
  EXPECT_EQ(thread.at("state"), "D");
  EXPECT_EQ(thread.at("class"), "condvar");
  EXPECT_EQ(thread.at("syscall").at("args").at(2), "0xffffffffffffffff");
  EXPECT_EQ(thread.at("wait").at("futex_address"), "0x7f00001000");
  EXPECT_EQ(thread.at("wait").at("timeout_ns"), 2500000001);
  EXPECT_EQ(thread.at("frames").at(0).at("pc"), "0xffffffffffffffff");
  EXPECT_EQ(thread.at("frames").at(4).at("module_offset"), "0x1263c0");
  EXPECT_EQ(thread.at("start_routine"), 2);
  EXPECT_FALSE(document.at("threads").at(1).contains("syscall"));
  EXPECT_FALSE(document.at("threads").at(1).contains("wait"));
}

TEST(JsonRoundTrip, TruncatesTimeToMilliseconds) {
  Snapshot original = make_snapshot();
  original.time += 456789ns;
  EXPECT_EQ(parse_snapshot_json(to_json(original).dump()).time, may_first_noon());
}

// ---------------------------------------------------------------- malformed JSON

std::string rejection_message(const json& document) {
  try {
    snapshot_from_json(document);
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    return error.what();
  }
  return "(accepted)";
}

struct Mutation {
  std::string pointer;  // JSON pointer of the field to change
  json value;           // replacement; discarded means "remove the field"
  std::string expected_message;
};

TEST(JsonRead, RejectsMalformedFields) {
  const json discard = json(json::value_t::discarded);
  const std::vector<Mutation> mutations = {
      {"/schema", "stray.other", "schema: expected \"stray.snapshot\""},
      {"/schema", discard, "schema: missing"},
      {"/version", 2, "version: expected version 1, got 2"},
      {"/version", "1", "version: expected version 1"},
      {"/pid", discard, "pid: missing, expected a positive integer"},
      {"/pid", "4242", "pid: expected a positive integer, got \"4242\""},
      {"/pid", 0, "pid: expected a positive integer, got 0"},
      {"/exe", 5, "exe: expected a string, got 5"},
      {"/time", "2024-05-01 12:00:00", "time: expected an ISO 8601 UTC time"},
      {"/time", "2024-02-30T00:00:00.000Z", "time: expected an ISO 8601 UTC time"},
      {"/time", "2024-05-01T24:00:00.000Z", "time: expected an ISO 8601 UTC time"},
      {"/time", "9999-05-01T00:00:00.000Z", "time: expected an ISO 8601 UTC time"},
      {"/freeze_duration_ns", -1, "freeze_duration_ns: expected a non-negative integer"},
      {"/total_duration_ns", 1.5, "total_duration_ns: expected a non-negative integer"},
      {"/bytes_copied", -1, "bytes_copied: expected a non-negative integer"},
      {"/warnings", "none", "warnings: expected an array"},
      {"/warnings/0", 3, "warnings[0]: expected a string, got 3"},
      {"/threads", json::object(), "threads: expected an array"},
      {"/threads/0", 5, "threads[0]: expected an object, got 5"},
      {"/threads/0/tid", -5, "threads[0].tid: expected a positive integer, got -5"},
      {"/threads/0/tid", 3000000000u, "threads[0].tid: expected a positive integer"},
      {"/threads/0/tid", discard, "threads[0].tid: missing"},
      {"/threads/0/name", "bad\\q", "threads[0].name: expected a string whose only backslash escapes"},
      {"/threads/0/name", nullptr, "threads[0].name: expected a string, got null"},
      {"/threads/0/state", "SS", "threads[0].state: expected a one-character string"},
      {"/threads/0/start_time", -1, "threads[0].start_time: expected a non-negative integer"},
      {"/threads/0/stop", "paused", "threads[0].stop: expected a stop kind name"},
      {"/threads/0/class", "sleepy", "threads[0].class: expected a thread class name"},
      {"/threads/0/unwind_end", 3, "threads[0].unwind_end: expected a string"},
      {"/threads/0/stack_truncated", "yes", "threads[0].stack_truncated: expected true or false"},
      {"/threads/0/start_routine", 99, "threads[0].start_routine: expected an index into frames"},
      {"/threads/0/top_frame", -1, "threads[0].top_frame: expected an index into frames"},
      {"/threads/0/error", json::array(), "threads[0].error: expected a string"},
      {"/threads/0/syscall", "futex", "threads[0].syscall: expected an object"},
      {"/threads/0/syscall/number", -2, "threads[0].syscall.number: expected a syscall number"},
      {"/threads/0/syscall/args", json::array({"0x1"}), "threads[0].syscall.args: expected an array of 6"},
      {"/threads/0/syscall/args/3", 5, "threads[0].syscall.args[3]: expected a hex string"},
      {"/threads/0/syscall/interrupted", discard, "threads[0].syscall.interrupted: missing"},
      {"/threads/0/wait/fd", "5", "threads[0].wait.fd: expected an integer"},
      {"/threads/0/wait/futex_address", "0X10", "threads[0].wait.futex_address: expected a hex string"},
      {"/threads/0/wait/timeout_ns", 1e30, "threads[0].wait.timeout_ns: expected an integer"},
      {"/threads/0/frames", discard, "threads[0].frames: missing"},
      {"/threads/0/frames/0", json::array(), "threads[0].frames[0]: expected an object"},
      {"/threads/0/frames/0/pc", "1234", "threads[0].frames[0].pc: expected a hex string"},
      {"/threads/0/frames/0/pc", "0x", "threads[0].frames[0].pc: expected a hex string"},
      {"/threads/0/frames/0/pc", "0xzz", "threads[0].frames[0].pc: expected a hex string"},
      {"/threads/0/frames/0/pc", "0x11111111111111111", "threads[0].frames[0].pc: expected a hex string"},
      {"/threads/0/frames/0/pc", 4096, "threads[0].frames[0].pc: expected a hex string"},
      {"/threads/0/frames/0/sp", discard, "threads[0].frames[0].sp: missing"},
      {"/threads/0/frames/0/kind", "jit", "threads[0].frames[0].kind: expected a frame kind name"},
      {"/threads/0/frames/0/line", 1.5, "threads[0].frames[0].line: expected a non-negative integer"},
      {"/threads/0/frames/0/line", -3, "threads[0].frames[0].line: expected a non-negative integer"},
      {"/threads/0/frames/0/module_offset", 16, "threads[0].frames[0].module_offset: expected a hex"},
  };

  const json valid = to_json(make_full_snapshot());
  ASSERT_NO_THROW(snapshot_from_json(valid));
  for (const Mutation& mutation : mutations) {
    json document = valid;
    const json::json_pointer pointer(mutation.pointer);
    if (mutation.value.is_discarded()) {
      document[pointer.parent_pointer()].erase(pointer.back());
    } else {
      document[pointer] = mutation.value;
    }
    const std::string message = rejection_message(document);
    EXPECT_NE(message.find(mutation.expected_message), std::string::npos)
        << mutation.pointer << " -> " << mutation.value.dump() << "\n  message: " << message;
  }
}

TEST(JsonRead, RejectsNonObjectDocuments) {
  EXPECT_NE(rejection_message(json::array()).find("(top level): expected an object"), std::string::npos);
  EXPECT_NE(rejection_message(json(nullptr)).find("(top level): expected an object"), std::string::npos);
  EXPECT_NE(rejection_message(json::object()).find("schema: missing"), std::string::npos);
}

TEST(JsonRead, EscapesHostileValuesInMessages) {
  json document = to_json(make_snapshot());
  document["pid"] = "\x1b[2J";
  const std::string message = rejection_message(document);
  EXPECT_EQ(message.find('\x1b'), std::string::npos) << message;
  EXPECT_NE(message.find("pid: expected a positive integer"), std::string::npos) << message;
}

TEST(JsonRead, RejectsInvalidJsonText) {
  try {
    parse_snapshot_json("{\"schema\": ");
    ADD_FAILURE() << "accepted truncated JSON";
  } catch (const Error& error) {
    EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    EXPECT_NE(std::string(error.what()).find("not valid JSON"), std::string::npos);
  }
}

// Every prefix of a valid document must fail with stray::Error and nothing
// else: no nlohmann exception, no crash.
TEST(JsonRead, RejectsEveryTruncation) {
  const std::string text = to_json(make_full_snapshot()).dump();
  for (std::size_t length = 0; length < text.size(); ++length) {
    try {
      parse_snapshot_json(std::string_view(text).substr(0, length));
      ADD_FAILURE() << "accepted a prefix of " << length << " bytes";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
    }
  }
}

// ---------------------------------------------------------------- time

TEST(JsonRead, RejectsDeepNesting) {
  for (const std::string& text : {std::string(100'000, '[') + std::string(100'000, ']'),
                                  std::string(100'000, '['),
                                  "{\"schema\":" + std::string(kMaxJsonDepth, '[')}) {
    try {
      parse_snapshot_json(text);
      ADD_FAILURE() << "accepted " << text.size() << " bytes of nested arrays";
    } catch (const Error& error) {
      EXPECT_EQ(error.kind(), ErrorKind::invalid_input);
      EXPECT_NE(std::string(error.what()).find("nested deeper than 64 levels"), std::string::npos)
          << error.what();
    }
  }
}

TEST(JsonRead, AcceptsNestingUpToTheLimit) {
  const std::string nested = std::string(kMaxJsonDepth, '[') + std::string(kMaxJsonDepth, ']');
  try {
    parse_snapshot_json(nested);
    ADD_FAILURE() << "accepted an array as a snapshot";
  } catch (const Error& error) {
    EXPECT_NE(std::string(error.what()).find("(top level): expected an object"), std::string::npos)
        << error.what();
  }
}

// Arrays and objects in a message are counted, not dumped: dumping a value
// nested 100,000 levels deep (built in memory, past the parser's limit)
// would overflow the stack.
TEST(JsonRead, MessagesCountContainers) {
  json deep = json::array();
  for (int level = 0; level < 100'000; ++level) deep = json::array({std::move(deep)});
  EXPECT_NE(rejection_message(deep).find("(top level): expected an object, got an array of 1 element"),
            std::string::npos);

  json document = to_json(make_snapshot());
  document["pid"] = json::object({{"a", 1}, {"b", 2}});
  EXPECT_NE(rejection_message(document).find("pid: expected a positive integer, got an object of 2 members"),
            std::string::npos);
  document["pid"] = std::string(1'000'000, 'x');
  const std::string message = rejection_message(document);
  EXPECT_NE(message.find("got \"" + std::string(60, 'x') + "\"..."), std::string::npos) << message;
  EXPECT_LT(message.size(), 200u);
}

TEST(JsonDepth, CountsBracketsOutsideStrings) {
  EXPECT_EQ(json_nesting_depth(""), 0u);
  EXPECT_EQ(json_nesting_depth("42"), 0u);
  EXPECT_EQ(json_nesting_depth("[[1],{\"a\":[2]}]"), 3u);
  EXPECT_EQ(json_nesting_depth("[\"[[[{{{\"]"), 1u) << "brackets in a string";
  EXPECT_EQ(json_nesting_depth("[\"\\\"[[[\"]"), 1u) << "an escaped quote does not end the string";
  EXPECT_EQ(json_nesting_depth("[\"\\\\\",[[]]]"), 3u) << "an escaped backslash does";
  EXPECT_EQ(json_nesting_depth("]]]][["), 2u) << "unmatched closing brackets";
  EXPECT_EQ(json_nesting_depth(std::string(100'000, '{')), 100'000u);
}

TEST(TimeFormat, FormatsUtcMilliseconds) {
  EXPECT_EQ(format_utc_ms(may_first_noon()), "2024-05-01T12:00:00.123Z");
  EXPECT_EQ(format_utc_ms(std::chrono::system_clock::time_point{}), "1970-01-01T00:00:00.000Z");
  EXPECT_EQ(format_utc_ms(std::chrono::system_clock::time_point{} - 1ms), "1969-12-31T23:59:59.999Z");
}

TEST(TimeFormat, ParsesWhatItFormats) {
  const auto parsed = parse_utc_ms("2024-05-01T12:00:00.123Z");
  ASSERT_TRUE(parsed.has_value());
  EXPECT_EQ(*parsed, may_first_noon());
  EXPECT_EQ(parse_utc_ms("1969-12-31T23:59:59.999Z"), std::chrono::system_clock::time_point{} - 1ms);
  EXPECT_FALSE(parse_utc_ms("2024-05-01T12:00:00.123").has_value());
  EXPECT_FALSE(parse_utc_ms("2024-05-01T12:00:60.000Z").has_value());
  EXPECT_FALSE(parse_utc_ms("2024-5-01T12:00:00.1234Z").has_value());
}

}  // namespace
}  // namespace stray
