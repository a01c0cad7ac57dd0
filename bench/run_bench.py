#!/usr/bin/env python3
"""Benchmark `stray snapshot` against eu-stack, gdb and a floor probe.

For each thread count, starts bench/target (N parked threads plus a heartbeat
thread), then runs every tool in turn, round after round. Each run records
the tool's wall time, CPU time and peak RSS (from wait4), the freeze window
the tool reports, and the heartbeat's longest stall. Then snapshots the same target
repeatedly in one process (the watch case). Writes a Markdown table; when the
output file already has the generated part, only that part is replaced.

Exits 1 when a tool run fails or shows fewer threads than the target has.
"""

import argparse
import datetime
import os
import platform
import shlex
import subprocess
import sys
import tempfile
import time

sys.dont_write_bytecode = True  # keep __pycache__ out of the source tree
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))

from harness import report  # noqa: E402
from harness.measure import run_measured  # noqa: E402
from harness.target import BenchTarget  # noqa: E402
from harness.tools import ToolFailure, check_run, make_tools  # noqa: E402

IDLE_WINDOW_SECONDS = 0.2
PAUSE_BETWEEN_RUNS_SECONDS = 0.1


def parse_arguments():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--stray", required=True, help="path of the stray executable")
    parser.add_argument("--target", required=True, help="path of stray_bench_target")
    parser.add_argument("--floor-probe", required=True, help="path of stray_floor_probe")
    parser.add_argument("--watch-bench", required=True, help="path of stray_watch_bench")
    parser.add_argument("--spawn", required=True, help="path of stray_bench_spawn")
    parser.add_argument("--output", required=True, help="Markdown file to write")
    parser.add_argument("--threads", default="10,100,1000,4000",
                        help="comma-separated thread counts (default: %(default)s)")
    parser.add_argument("--runs", type=int, default=7,
                        help="runs of stray and the floor probe per thread count (default: %(default)s)")
    parser.add_argument("--slow-runs", type=int, default=3,
                        help="runs of eu-stack and gdb per thread count (default: %(default)s)")
    parser.add_argument("--gdb-runs-from-4000", type=int, default=1,
                        help="runs of gdb at 4000 threads and more (default: %(default)s)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds before a tool run is killed (default: %(default)s)")
    parser.add_argument("--watch-snapshots", type=int, default=5,
                        help="snapshots in the watch case (default: %(default)s)")
    return parser.parse_args()


def runs_for(tool, threads, arguments):
    if not tool.slow:
        return arguments.runs
    if tool.name == report.GDB and threads >= 4000:
        return min(arguments.slow_runs, arguments.gdb_runs_from_4000)
    return arguments.slow_runs


def tool_environment():
    """Copy the environment without DEBUGINFOD_URLS, so that no tool queries a debuginfod server."""
    environment = dict(os.environ)
    environment.pop("DEBUGINFOD_URLS", None)
    return environment


def run_tool_once(tool, target, record, arguments, scratch):
    output = os.path.join(scratch, "output") if tool.keeps_output else os.devnull
    target.arm()
    result = run_measured(arguments.spawn, tool.command(target.pid), output,
                          os.path.join(scratch, "measured"), arguments.timeout, tool_environment())
    stall = target.stop()
    if result.timed_out:
        target.resume_if_stopped()
        record.timeouts += 1
        record.timeout_seconds = arguments.timeout
        log("%d threads, %s: timed out after %.0f s" % (target.threads, tool.name, result.wall))
        return
    try:
        freeze = check_run(tool, result, target.total_threads)
    except ToolFailure as failure:
        record.failures.append(str(failure))
        log("%d threads: FAILED: %s" % (target.threads, failure))
        return
    record.samples.append(report.Sample(result.wall, result.cpu, result.max_rss_kib, freeze, stall))
    log("%d threads, %s: wall %.1f ms, stall %.1f ms%s" % (
        target.threads, tool.name, result.wall * 1e3, stall * 1e3,
        "" if freeze is None else ", freeze %.1f ms" % (freeze * 1e3)))


def measure_idle(target, record):
    """Record the heartbeat's longest stall with no tool running, the noise floor."""
    target.arm()
    time.sleep(IDLE_WINDOW_SECONDS)
    record.samples.append(report.Sample(stall=target.stop()))


def run_watch(target, arguments, scratch):
    """Run stray_watch_bench and return one dict of costs per snapshot, or [] if it failed."""
    output = os.path.join(scratch, "watch")
    command = [arguments.watch_bench, str(target.pid), str(arguments.watch_snapshots)]
    result = run_measured(arguments.spawn, command, output, os.path.join(scratch, "measured"),
                          arguments.timeout, tool_environment())
    if result.status != 0 or result.timed_out:
        log("%d threads: FAILED: stray_watch_bench exit status %d: %s" % (
            target.threads, result.status, result.stderr.strip()[-500:]))
        return []
    snapshots = []
    with open(output) as lines:
        for line in lines:
            fields = line.split()
            values = dict(zip(fields[0::2], fields[1::2]))
            snapshots.append({"wall": int(values["wall_ns"]) / 1e9,
                              "cpu": int(values["cpu_ns"]) / 1e9,
                              "freeze": int(values["freeze_ns"]) / 1e9})
    log("%d threads, watch: %s ms" % (
        target.threads, ", ".join("%.1f" % (s["wall"] * 1e3) for s in snapshots)))
    return snapshots


def measure_thread_count(threads, tools, arguments, scratch):
    records = {tool.name: report.ToolRecord() for tool in tools}
    records[report.IDLE] = report.ToolRecord()
    with BenchTarget(arguments.target, threads) as target:
        rounds = max(runs_for(tool, threads, arguments) for tool in tools)
        for round_index in range(rounds):
            for tool in tools:
                if round_index < runs_for(tool, threads, arguments):
                    run_tool_once(tool, target, records[tool.name], arguments, scratch)
                    time.sleep(PAUSE_BETWEEN_RUNS_SECONDS)
            if round_index < arguments.runs:
                measure_idle(target, records[report.IDLE])
        watch = run_watch(target, arguments, scratch)
    return records, watch


def first_line(command):
    try:
        output = subprocess.run(command, capture_output=True, text=True, check=False).stdout
    except OSError:
        return "not found"
    return output.splitlines()[0] if output else "unknown"


def cpu_model():
    with open("/proc/cpuinfo") as cpuinfo:
        for line in cpuinfo:
            if line.startswith("model name"):
                return line.partition(":")[2].strip()
    return "unknown"


def source_revision():
    source = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    commit = first_line(["git", "-C", source, "rev-parse", "--short", "HEAD"])
    dirty = subprocess.run(["git", "-C", source, "diff", "--quiet", "HEAD"],
                           check=False).returncode != 0
    return commit + (" with uncommitted changes" if dirty else "")


def header_lines(arguments, load_before, load_after, started):
    command = "python3 " + shlex.join(sys.argv)
    return [
        "Measured %s UTC, %.0f s in all." % (
            started.strftime("%Y-%m-%d %H:%M"),
            (datetime.datetime.now(datetime.timezone.utc) - started).total_seconds()),
        "",
        "- Machine: %d cores, %s, Linux %s" % (os.cpu_count(), cpu_model(), platform.release()),
        "- Load average (1 min) at start and end: %.1f and %.1f" % (load_before, load_after),
        "- stray %s; %s; %s" % (source_revision(), first_line(["eu-stack", "--version"]),
                                first_line(["gdb", "--version"])),
        "- Runs per thread count: %d of stray, the floor probe and the idle heartbeat; %d of "
        "eu-stack and gdb, but %d of gdb from 4000 threads; a run is killed after %.0f s" % (
            arguments.runs, arguments.slow_runs,
            min(arguments.slow_runs, arguments.gdb_runs_from_4000), arguments.timeout),
        "- Command: `%s`" % command,
        "",
    ]


def log(message):
    print(message, file=sys.stderr, flush=True)


def main():
    arguments = parse_arguments()
    started = datetime.datetime.now(datetime.timezone.utc)
    load_before = os.getloadavg()[0]
    tools = make_tools(arguments.stray, arguments.floor_probe)
    results, watch = {}, {}
    with tempfile.TemporaryDirectory(prefix="stray-bench-") as scratch:
        for threads in [int(count) for count in arguments.threads.split(",")]:
            results[threads], watch[threads] = measure_thread_count(
                threads, tools, arguments, scratch)
    header = header_lines(arguments, load_before, os.getloadavg()[0], started)
    report.write(arguments.output, report.render(header, results, watch),
                 "Benchmark: stray, eu-stack, gdb and the floor probe")

    with open(arguments.output) as written:
        if report.BEGIN_MARK not in written.read():
            log("FAILED: %s does not contain the table" % arguments.output)
            return 1
    failed = any(record.failures for records in results.values() for record in records.values())
    failed = failed or any(not snapshots for snapshots in watch.values())
    log("wrote %s%s" % (arguments.output, "; some runs FAILED" if failed else ""))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
