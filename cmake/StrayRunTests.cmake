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
#
# The arguments are checked here, at configure time, against what `stray
# run` accepts, because gtest_discover_tests runs the target under stray at
# build time and shows none of stray's own error output.

# Sets <out_var> to the microseconds that `stray run` reads from <text>, or
# to "" when stray rejects it. It follows parse_duration in
# src/cli/duration.cpp: digits, an optional '.' with at least one digit
# after it, and a unit (us, ms, s, m, h or d), exact to the microsecond
# (digits beyond are cut), and at most 365 days.
function(_stray_parse_duration text out_var)
  set(${out_var} "" PARENT_SCOPE)
  if(NOT text MATCHES "^([0-9]+)(\\.([0-9]+))?(us|ms|s|m|h|d)$")
    return()
  endif()
  set(whole_digits "${CMAKE_MATCH_1}")
  set(fraction_digits "${CMAKE_MATCH_3}")
  set(unit_us_us 1)
  set(unit_us_ms 1000)
  set(unit_us_s 1000000)
  set(unit_us_m 60000000)
  set(unit_us_h 3600000000)
  set(unit_us_d 86400000000)
  set(unit "${unit_us_${CMAKE_MATCH_4}}")
  set(max_us 31536000000000)

  # Digit by digit, so that a long number stops before it overflows.
  set(whole 0)
  string(LENGTH "${whole_digits}" length)
  math(EXPR last "${length} - 1")
  foreach(index RANGE ${last})
    string(SUBSTRING "${whole_digits}" ${index} 1 digit)
    math(EXPR whole "${whole} * 10 + ${digit}")
    math(EXPR micros "${whole} * ${unit}")
    if(micros GREATER max_us)
      return()
    endif()
  endforeach()

  set(place ${unit})
  string(LENGTH "${fraction_digits}" length)
  if(length GREATER 0)
    math(EXPR last "${length} - 1")
    foreach(index RANGE ${last})
      string(SUBSTRING "${fraction_digits}" ${index} 1 digit)
      math(EXPR place "${place} / 10")
      math(EXPR micros "${micros} + ${digit} * ${place}")
    endforeach()
  endif()
  if(micros GREATER max_us)
    return()
  endif()
  set(${out_var} ${micros} PARENT_SCOPE)
endfunction()

# Stops with an error naming <argument> unless <text> is a duration from
# <min_us> to <max_us> microseconds. <range> states that range in words.
function(_stray_check_duration argument text min_us max_us range)
  _stray_parse_duration("${text}" micros)
  if(micros STREQUAL "" OR micros LESS min_us OR micros GREATER max_us)
    message(FATAL_ERROR "stray_run_tests: invalid ${argument} '${text}': expected a number with "
                        "a unit (us, ms, s, m, h or d), ${range}, such as 250ms or 1.5s")
  endif()
endfunction()

function(stray_run_tests)
  cmake_parse_arguments(PARSE_ARGV 0 STRAY "FOLLOW_FORKS;CATCH_FAULTS;NO_BUILTIN_RULES"
                        "TARGET;GRACE;TIMEOUT;ERROR_EXITCODE" "RULES")
  if(NOT STRAY_TARGET)
    message(FATAL_ERROR "stray_run_tests: TARGET is required")
  endif()
  if(STRAY_UNPARSED_ARGUMENTS)
    message(FATAL_ERROR "stray_run_tests: unknown arguments: ${STRAY_UNPARSED_ARGUMENTS}")
  endif()
  if(STRAY_KEYWORDS_MISSING_VALUES)
    message(FATAL_ERROR "stray_run_tests: missing value after ${STRAY_KEYWORDS_MISSING_VALUES}")
  endif()
  if(DEFINED STRAY_GRACE)
    _stray_check_duration(GRACE "${STRAY_GRACE}" 0 3600000000 "from 0s to 1h")
  endif()
  if(DEFINED STRAY_TIMEOUT)
    _stray_check_duration(TIMEOUT "${STRAY_TIMEOUT}" 1000 31536000000000 "from 1ms to 365d")
  endif()
  if(DEFINED STRAY_ERROR_EXITCODE)
    # `stray run` reserves 2 to 6 for its own errors, 126 and 127 for exec
    # failures and 128+N for a command killed by signal N.
    set(code "${STRAY_ERROR_EXITCODE}")
    if(NOT code MATCHES "^[1-9][0-9]?[0-9]?$" OR (code GREATER 1 AND code LESS 7) OR code GREATER 125)
      message(FATAL_ERROR "stray_run_tests: invalid ERROR_EXITCODE '${code}': expected 1 or 7 to "
                          "125, so that it differs from success (0), stray's error codes (2 to 6), "
                          "exec failures (126, 127) and signals (128+N)")
    endif()
  endif()

  get_target_property(stray_location stray::stray IMPORTED_LOCATION)
  set(command "${stray_location}" run)
  foreach(file IN LISTS STRAY_RULES)
    get_filename_component(path "${file}" ABSOLUTE BASE_DIR "${CMAKE_CURRENT_SOURCE_DIR}")
    # NOTE: a rules file generated at build time must exist at configure
    # time too, for example written with file(WRITE) or configure_file.
    if(NOT EXISTS "${path}" OR IS_DIRECTORY "${path}")
      message(FATAL_ERROR "stray_run_tests: RULES file '${file}' not found (looked for ${path}); "
                          "give a path to an existing file, absolute or relative to "
                          "${CMAKE_CURRENT_SOURCE_DIR}")
    endif()
    list(APPEND command --rules "${path}")
  endforeach()
  if(DEFINED STRAY_GRACE)
    list(APPEND command --grace "${STRAY_GRACE}")
  endif()
  if(DEFINED STRAY_TIMEOUT)
    list(APPEND command --timeout "${STRAY_TIMEOUT}")
  endif()
  if(DEFINED STRAY_ERROR_EXITCODE)
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
