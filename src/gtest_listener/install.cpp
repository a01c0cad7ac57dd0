#include <spdlog/spdlog.h>

#include "gtest_listener/leak_listener.hpp"
#include "gtest_listener/settings.hpp"
#include "stray/gtest.hpp"

namespace stray::gtest::detail {

void install(Options options, const char* default_executable) {
  static bool installed = false;
  if (disabled_by_environment()) return;
  if (installed) {
    spdlog::warn("stray::gtest::Install was called again; the leak check is installed once");
    return;
  }
  auto listener = std::make_unique<LeakListener>(resolve_settings(std::move(options), default_executable));
  testing::UnitTest::GetInstance()->listeners().Append(listener.release());  // GoogleTest owns it
  installed = true;
}

}  // namespace stray::gtest::detail
