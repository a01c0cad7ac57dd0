# stray_run_tests(TARGET <target>
#                 [RULES <file>...] [GRACE <duration>] [TIMEOUT <duration>]
#                 [ERROR_EXITCODE <n>] [FOLLOW_FORKS] [CATCH_FAULTS]
#                 [NO_BUILTIN_RULES])
#
# Makes every test that runs <target> run it under `stray run`, by setting
# the target's CROSSCOMPILING_EMULATOR property. add_test(NAME ... COMMAND
# <target> ...) and gtest_discover_tests(<target>) both honour it (CMake
# 3.25 and later), so a test whose process ends with threads that no rule
# expects fails, with their stacks in the test output. RULES files are
# made absolute relative to the current source directory. TIMEOUT passes
# `stray run --timeout`: keep it below the tests' ctest TIMEOUT, which ends
# a test with SIGKILL and no stacks.
function(stray_run_tests)
  cmake_parse_arguments(PARSE_ARGV 0 STRAY "FOLLOW_FORKS;CATCH_FAULTS;NO_BUILTIN_RULES"
                        "TARGET;GRACE;TIMEOUT;ERROR_EXITCODE" "RULES")
  if(NOT STRAY_TARGET)
    message(FATAL_ERROR "stray_run_tests: TARGET is required")
  endif()
  if(STRAY_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "stray_run_tests: unknown arguments: ${STRAY_UNPARSED_ARGUMENTS}")
  endif()

  get_target_property(stray_location stray::stray IMPORTED_LOCATION)
  set(command "${stray_location}" run)
  foreach(file IN LISTS STRAY_RULES)
    get_filename_component(file "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    list(APPEND command --rules "${file}")
  endforeach()
  if(STRAY_GRACE)
    list(APPEND command --grace "${STRAY_GRACE}")
  endif()
  if(STRAY_TIMEOUT)
    list(APPEND command --timeout "${STRAY_TIMEOUT}")
  endif()
  if(STRAY_ERROR_EXITCODE)
    list(APPEND command --error-exitcode "${STRAY_ERROR_EXITCODE}")
  endif()
  if(STRAY_FOLLOW_FORKS)
    list(APPEND command --follow-forks)
  endif()
  if(STRAY_CATCH_FAULTS)
    list(APPEND command --catch-faults)
  endif()
  if(STRAY_NO_BUILTIN_RULES)
    list(APPEND command --no-builtin-rules)
  endif()
  list(APPEND command --)
  set_property(TARGET ${STRAY_TARGET} PROPERTY CROSSCOMPILING_EMULATOR "${command}")
endfunction()
