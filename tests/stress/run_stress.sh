#!/bin/sh
# Long runs of the race scenarios, outside the default test suite:
# stray killed with SIGKILL at random moments during snapshots of a
# 200-thread target, and snapshots of a target that creates and joins
# threads without pause. Each run checks that the target is released,
# untraced and still counting. Prints the counts (runs, failures).
#
# Usage: tests/stress/run_stress.sh BUILD_DIR [RUNS]   (RUNS defaults to 1000)
set -eu
build=${1:?usage: run_stress.sh BUILD_DIR [RUNS]}
runs=${2:-1000}
STRAY_STRESS_RUNS=$runs exec "$build/tests/robust_race_test" \
  --gtest_filter='KillStray.*:Churn.*' --gtest_print_time=1
