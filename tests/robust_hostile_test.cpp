// Hostile strings end to end: the robust_names target names its threads
// with control characters, quotes, invalid UTF-8, HTML and a bidi override,
// and parks threads in a function with a huge name and in one whose symbol
// holds an escape sequence. The command line's text must carry none of them
// raw, and its JSON must be valid UTF-8 that reads back to the exact bytes.
#include <algorithm>
#include <fstream>
#include <sstream>

#include <gtest/gtest.h>
#include <nlohmann/json.hpp>

#include "proc/proc.hpp"
#include "report/escape.hpp"
#include "report/report.hpp"
#include "support/target_process.hpp"

namespace stray {
namespace {

using test::TargetProcess;

// Returns the offset of the first byte of `text` that is not part of a
// valid UTF-8 sequence (overlong forms, surrogates and code points above
// U+10FFFF count as invalid), or npos.
std::size_t first_invalid_utf8(const std::string& text) {
  std::size_t i = 0;
  while (i < text.size()) {
    auto byte = static_cast<unsigned char>(text[i]);
    std::size_t length = byte < 0x80 ? 1 : (byte >> 5) == 0x6 ? 2 : (byte >> 4) == 0xe ? 3
                                         : (byte >> 3) == 0x1e ? 4 : 0;
    if (length == 0 || i + length > text.size()) return i;
    std::uint32_t code = length == 1 ? byte : byte & (0x7f >> length);
    for (std::size_t k = 1; k < length; ++k) {
      auto next = static_cast<unsigned char>(text[i + k]);
      if ((next & 0xc0) != 0x80) return i;
      code = (code << 6) | (next & 0x3f);
    }
    static const std::uint32_t kMinimum[] = {0, 0, 0x80, 0x800, 0x10000};
    if (code < kMinimum[length] || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff)) return i;
    i += length;
  }
  return std::string::npos;
}

// Raw names of the target's threads, from /proc, by tid.
std::map<int, std::string> thread_names(int pid) {
  std::map<int, std::string> names;
  for (int tid : proc::read_tids(pid)) names[tid] = proc::try_read_task_comm(pid, tid).value_or("");
  return names;
}

class HostileNames : public ::testing::Test {
 protected:
  void SetUp() override { ASSERT_GT(target_.pid(), 0); }
  std::string pid() const { return std::to_string(target_.pid()); }

  TargetProcess target_{"robust_names"};
};

TEST_F(HostileNames, TextHasNoRawControlBytes) {
  auto result = test::run_command({STRAY_BINARY, "snapshot", pid()});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  for (std::size_t i = 0; i < result.out.size(); ++i) {
    auto byte = static_cast<unsigned char>(result.out[i]);
    bool control = (byte < 0x20 && byte != '\n') || byte == 0x7f;
    EXPECT_FALSE(control) << "raw byte " << int(byte) << " at offset " << i;
  }
  EXPECT_EQ(first_invalid_utf8(result.out), std::string::npos);
  EXPECT_EQ(result.out.find("\xe2\x80\xae"), std::string::npos) << "raw bidi override";
  EXPECT_EQ(result.out.find("\nFORGED"), std::string::npos) << "a name started a line";
  EXPECT_EQ(result.out.find("\xc2\x9b"), std::string::npos) << "raw C1 control";
}

TEST_F(HostileNames, TextShowsEscapedForms) {
  auto result = test::run_command({STRAY_BINARY, "snapshot", pid()});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_NE(result.out.find("\\x1b[31mred\\x1b[0m"), std::string::npos) << result.out;
  EXPECT_NE(result.out.find("line\\nFORGED"), std::string::npos);
  EXPECT_NE(result.out.find("bad\\xff\\xfeutf8"), std::string::npos);
  EXPECT_NE(result.out.find("\\xe2\\x80\\xaeRTL"), std::string::npos);
  EXPECT_NE(result.out.find("garbage\\x1b[2J"), std::string::npos) << "the hostile symbol";
  EXPECT_NE(result.out.find("park_with_long_name"), std::string::npos);
}

TEST_F(HostileNames, LongSymbolIsCapped) {
  auto result = test::run_command({STRAY_BINARY, "snapshot", pid()});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  std::istringstream lines(result.out);
  std::string line, longest;
  while (std::getline(lines, line)) {
    if (line.size() > longest.size()) longest = line;
  }
  EXPECT_NE(longest.find("park_with_long_name"), std::string::npos) << longest.substr(0, 200);
  EXPECT_LE(longest.size(), kMaxStringBytes + 256);
}

TEST_F(HostileNames, JsonIsValidAndReadsBack) {
  auto names = thread_names(target_.pid());
  auto result = test::run_command({STRAY_BINARY, "snapshot", "--json", pid()});
  ASSERT_EQ(result.exit_code(), 0) << result.err;
  EXPECT_EQ(first_invalid_utf8(result.out), std::string::npos);
  EXPECT_TRUE(nlohmann::json::accept(result.out));

  Snapshot snapshot = parse_snapshot_json(result.out);
  EXPECT_EQ(snapshot.comm, names[target_.pid()]);
  ASSERT_EQ(snapshot.threads.size(), names.size());
  for (const Thread& thread : snapshot.threads) {
    EXPECT_EQ(thread.name, names[thread.tid]) << "tid " << thread.tid;
  }
  bool found_garbage = false, found_long = false;
  for (const Thread& thread : snapshot.threads) {
    for (const Frame& frame : thread.frames) {
      found_garbage |= frame.function == "garbage\x1b[2J\"name\xff";
      found_long |= frame.function.find("park_with_long_name") != std::string::npos;
    }
  }
  EXPECT_TRUE(found_garbage) << "the hostile symbol did not read back byte for byte";
  EXPECT_TRUE(found_long);
}

}  // namespace
}  // namespace stray
