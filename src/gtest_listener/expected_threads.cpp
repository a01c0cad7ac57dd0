#include "gtest_listener/expected_threads.hpp"

#include <filesystem>

#include <gtest/gtest.h>

#include "stray/gtest.hpp"

namespace stray::gtest {

ExpectedThreads& ExpectedThreads::instance() {
  static ExpectedThreads* expected = new ExpectedThreads;  // never destroyed: used until exit
  return *expected;
}

void ExpectedThreads::add(std::vector<Rule> rules) {
  const testing::UnitTest& unit_test = *testing::UnitTest::GetInstance();
  std::lock_guard lock(mutex_);
  std::vector<Rule>& scope = unit_test.current_test_info() != nullptr    ? test_
                             : unit_test.current_test_suite() != nullptr ? suite_
                                                                         : program_;
  scope.insert(scope.end(), rules.begin(), rules.end());
}

std::vector<Rule> ExpectedThreads::current() const {
  std::lock_guard lock(mutex_);
  std::vector<Rule> rules = test_;
  rules.insert(rules.end(), suite_.begin(), suite_.end());
  rules.insert(rules.end(), program_.begin(), program_.end());
  return rules;
}

void ExpectedThreads::end_test() {
  std::lock_guard lock(mutex_);
  test_.clear();
}

void ExpectedThreads::end_suite() {
  std::lock_guard lock(mutex_);
  suite_.clear();
}

void ExpectThreads(std::string_view rules, std::source_location location) {
  const std::string where = std::filesystem::path(location.file_name()).filename().string() + ':' +
                            std::to_string(location.line());
  std::vector<Rule> parsed = parse_rules(rules, "ExpectThreads at " + where);
  for (Rule& rule : parsed) rule.origin = where;
  ExpectedThreads::instance().add(std::move(parsed));
}

}  // namespace stray::gtest
