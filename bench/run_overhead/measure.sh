#!/bin/sh
# Measures the overhead of `stray run` on a test binary that creates and
# joins 10,000 threads and forks 1,000 children (thread_churn.cpp).
# Runs the binary ROUNDS times alone, under `stray run` and under
# `stray run --catch-faults`, alternating, and prints the median wall time
# of each and their ratios to the time alone.
#
# Usage: measure.sh STRAY THREAD_CHURN [ROUNDS]   (ROUNDS defaults to 7)
set -eu

stray=$1
churn=$2
rounds=${3:-7}

now() { date +%s.%N; }

elapsed() {
  start=$(now)
  "$@" > /dev/null
  end=$(now)
  awk "BEGIN { printf \"%.3f\n\", $end - $start }"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

plain=$(mktemp)
under=$(mktemp)
traced=$(mktemp)
trap 'rm -f "$plain" "$under" "$traced"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
  elapsed "$churn" >> "$plain"
  elapsed "$stray" run -- "$churn" >> "$under"
  elapsed "$stray" run --catch-faults -- "$churn" >> "$traced"
  i=$((i + 1))
done

plain_median=$(median < "$plain")
under_median=$(median < "$under")
traced_median=$(median < "$traced")
echo "rounds: $rounds"
echo "alone: $(tr '\n' ' ' < "$plain")"
echo "under stray run: $(tr '\n' ' ' < "$under")"
echo "under stray run --catch-faults: $(tr '\n' ' ' < "$traced")"
echo "median alone: $plain_median s"
echo "median under stray run: $under_median s"
echo "median under stray run --catch-faults: $traced_median s"
awk "BEGIN { printf \"ratio: %.3f\n\", $under_median / $plain_median }"
awk "BEGIN { printf \"ratio with --catch-faults: %.3f\n\", $traced_median / $plain_median }"
