// Parsing /proc files: the fields stray reads from stat, with thread names
// that contain the separators of the format.
#include <gtest/gtest.h>

#include "proc/proc.hpp"

namespace stray::proc {
namespace {

// Fields 1 to 22 of a stat line; the name goes between the parentheses.
std::string stat_line(const std::string& name) {
  return "4242 (" + name + ") S 17 4242 4242 0 -1 4194368 120 0 0 0 3 1 0 0 20 0 2 0 987654 "
                           "1000 200 18446744073709551615\n";
}

TEST(ParseStat, ReadsFieldsAfterName) {
  auto stat = parse_stat(stat_line("worker"));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "worker");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->ppid, 17);
  EXPECT_EQ(stat->flags, 4194368u);
  EXPECT_EQ(stat->start_time, 987654u);
}

TEST(ParseStat, NameWithParenthesesAndSpaces) {
  auto stat = parse_stat(stat_line("a) R (b c"));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "a) R (b c");
  EXPECT_EQ(stat->state, 'S');
  EXPECT_EQ(stat->start_time, 987654u);
}

TEST(ParseStat, EmptyName) {
  auto stat = parse_stat(stat_line(""));
  ASSERT_TRUE(stat.has_value());
  EXPECT_EQ(stat->comm, "");
  EXPECT_EQ(stat->state, 'S');
}

TEST(ParseStat, RejectsMissingParentheses) {
  EXPECT_FALSE(parse_stat("4242 worker S 17").has_value());
  EXPECT_FALSE(parse_stat("4242 ) worker ( S 17").has_value());
}

TEST(ParseStat, RejectsTruncatedLine) {
  EXPECT_FALSE(parse_stat("4242 (worker) S 17 4242").has_value());
}

}  // namespace
}  // namespace stray::proc
