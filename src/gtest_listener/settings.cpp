#include "gtest_listener/settings.hpp"

#include <cstdlib>
#include <string_view>

#include "cli/duration.hpp"

namespace stray::gtest {

namespace {

std::string_view environment(const char* name) {
  const char* value = std::getenv(name);
  return value != nullptr ? value : "";
}

bool is_set(const char* name) {
  std::string_view value = environment(name);
  return !value.empty() && value != "0";
}

std::vector<std::string> split_paths(std::string_view text) {
  std::vector<std::string> paths;
  while (!text.empty()) {
    std::size_t colon = text.find(':');
    std::string_view path = text.substr(0, colon);
    if (!path.empty()) paths.emplace_back(path);
    if (colon == std::string_view::npos) break;
    text.remove_prefix(colon + 1);
  }
  return paths;
}

void apply_environment(Options& options) {
  if (std::string_view grace = environment("STRAY_GTEST_GRACE"); !grace.empty()) {
    std::string problem = cli::validate_duration(grace, {}, cli::kMaxGrace);
    if (!problem.empty()) throw Error(ErrorKind::invalid_input, "STRAY_GTEST_GRACE: " + problem);
    options.grace = *cli::parse_duration(grace);
  }
  for (std::string& path : split_paths(environment("STRAY_GTEST_RULES"))) {
    options.rules_files.push_back(std::move(path));
  }
  if (is_set("STRAY_GTEST_NO_BUILTIN_RULES")) options.builtin_rules = false;
  if (std::string_view executable = environment("STRAY_EXECUTABLE"); !executable.empty()) {
    options.stray_executable = executable;
  }
}

}  // namespace

bool disabled_by_environment() { return is_set("STRAY_GTEST_DISABLE"); }

Settings resolve_settings(Options options, const char* default_executable) {
  apply_environment(options);
  Settings settings;
  settings.grace = options.grace;
  for (const std::string& file : options.rules_files) {
    std::vector<Rule> rules = load_rules_file(file);
    settings.rules.insert(settings.rules.end(), rules.begin(), rules.end());
  }
  if (options.builtin_rules) {
    settings.rules.insert(settings.rules.end(), builtin_rules().begin(), builtin_rules().end());
  }
  settings.executable = options.stray_executable.empty() ? default_executable : options.stray_executable;
  settings.helper_timeout = options.helper_timeout;
  return settings;
}

}  // namespace stray::gtest
