// The leak check's settings: Options from code, overridden by environment
// variables, with the rules files loaded.
#pragma once

#include <chrono>
#include <string>
#include <vector>

#include "stray/gtest.hpp"
#include "stray/rules.hpp"

namespace stray::gtest {

struct Settings {
  std::chrono::microseconds grace{0};
  // The rules files' rules in order, then the builtin rules if wanted.
  std::vector<Rule> rules;
  std::string executable;
  std::chrono::milliseconds helper_timeout{0};
};

// True when STRAY_GTEST_DISABLE is set to anything but "" or "0".
bool disabled_by_environment();

// Applies STRAY_GTEST_GRACE, STRAY_GTEST_RULES, STRAY_GTEST_NO_BUILTIN_RULES
// and STRAY_EXECUTABLE to `options` and loads the rules files. Throws
// stray::Error(invalid_input) for an invalid grace and what
// load_rules_file throws for a rules file.
Settings resolve_settings(Options options, const char* default_executable);

}  // namespace stray::gtest
