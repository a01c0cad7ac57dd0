#!/bin/sh
# Measures the overhead of `stray run` on a test binary that creates and
# joins 10,000 threads and forks 1,000 children (thread_churn.cpp).
# Runs the binary ROUNDS times alone, under the do-nothing supervisor of
# notify_floor.cpp (the floor of the seccomp design), under `stray run` and
# under `stray run --catch-faults`, alternating, and prints the median wall
# time of each and their ratios to the time alone.
#
# Usage: measure.sh STRAY THREAD_CHURN [ROUNDS [NOTIFY_FLOOR]]
#   ROUNDS defaults to 7; NOTIFY_FLOOR to stray_notify_floor next to
#   THREAD_CHURN.
set -eu

stray=$1
churn=$2
rounds=${3:-7}
floor=${4:-$(dirname "$churn")/stray_notify_floor}

now() { date +%s.%N; }

elapsed() {
  start=$(now)
  "$@" > /dev/null
  end=$(now)
  awk "BEGIN { printf \"%.3f\n\", $end - $start }"
}

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }

plain=$(mktemp)
floored=$(mktemp)
under=$(mktemp)
traced=$(mktemp)
trap 'rm -f "$plain" "$floored" "$under" "$traced"' EXIT
i=0
while [ "$i" -lt "$rounds" ]; do
  elapsed "$churn" >> "$plain"
  elapsed "$floor" "$churn" 2> /dev/null >> "$floored"
  elapsed "$stray" run -- "$churn" >> "$under"
  elapsed "$stray" run --catch-faults -- "$churn" >> "$traced"
  i=$((i + 1))
done

plain_median=$(median < "$plain")
floor_median=$(median < "$floored")
under_median=$(median < "$under")
traced_median=$(median < "$traced")
echo "rounds: $rounds"
echo "alone: $(tr '\n' ' ' < "$plain")"
echo "under the do-nothing supervisor: $(tr '\n' ' ' < "$floored")"
echo "under stray run: $(tr '\n' ' ' < "$under")"
echo "under stray run --catch-faults: $(tr '\n' ' ' < "$traced")"
echo "median alone: $plain_median s"
echo "median under the do-nothing supervisor: $floor_median s"
echo "median under stray run: $under_median s"
echo "median under stray run --catch-faults: $traced_median s"
awk "BEGIN { printf \"ratio of the do-nothing supervisor: %.3f\n\", $floor_median / $plain_median }"
awk "BEGIN { printf \"ratio: %.3f\n\", $under_median / $plain_median }"
awk "BEGIN { printf \"ratio with --catch-faults: %.3f\n\", $traced_median / $plain_median }"
