// Rules added in code with stray::gtest::ExpectThreads, each kept for the
// scope it was added in: one test, one test suite, or the whole program.
#pragma once

#include <mutex>
#include <vector>

#include "stray/rules.hpp"

namespace stray::gtest {

class ExpectedThreads {
 public:
  static ExpectedThreads& instance();

  // Adds `rules` to the scope GoogleTest is in now: the running test, else
  // the running test suite (SetUpTestSuite), else the program.
  void add(std::vector<Rule> rules);
  // The rules that apply to the running test: its own, its suite's, then
  // the program's.
  std::vector<Rule> current() const;
  void end_test();
  void end_suite();

 private:
  mutable std::mutex mutex_;
  std::vector<Rule> test_;
  std::vector<Rule> suite_;
  std::vector<Rule> program_;
};

}  // namespace stray::gtest
