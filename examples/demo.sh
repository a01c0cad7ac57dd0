#!/usr/bin/env bash
# Starts the leaky example, runs `stray snapshot` on it, and stops it.
# Usage: examples/demo.sh [BUILD_DIR]   (default: build)
set -euo pipefail
build=${1:-build}
example="$build/examples/leaky_pipeline"
stray="$build/stray"
for file in "$example" "$stray"; do
  [ -x "$file" ] || { echo "demo.sh: $file not found; build first" >&2; exit 1; }
done

output=$(mktemp)
"$example" >"$output" &
pid=$!
trap 'kill "$pid" 2>/dev/null; rm -f "$output"' EXIT
for _ in $(seq 100); do
  grep -q '^ready$' "$output" && break
  sleep 0.05
done
grep -q '^ready$' "$output" || { echo "demo.sh: the example did not start" >&2; exit 1; }

"$stray" snapshot "$pid"
