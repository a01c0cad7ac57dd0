// main() for test binaries that link stray::gtest_main: GoogleTest's own
// main with the leak check installed. Compiled in the test's project, so
// STRAY_GTEST_EXECUTABLE is the one of the stray package it found.
#include <cstdio>

#include <gtest/gtest.h>

#include "stray/gtest.hpp"

int main(int argc, char** argv) {
  testing::InitGoogleTest(&argc, argv);
  try {
    stray::gtest::Install();
  } catch (const stray::Error& error) {
    std::fprintf(stderr, "stray: %s\n", error.what());
    return 2;
  }
  return RUN_ALL_TESTS();
}
