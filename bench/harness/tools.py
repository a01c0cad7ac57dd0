"""The tools under comparison: how to run each one and how to check its output."""

import dataclasses
import json
import os
import re


class ToolFailure(RuntimeError):
    """A tool run exited with an error or printed fewer threads than the target has."""


@dataclasses.dataclass
class Tool:
    name: str
    argv: list             # command line; "{pid}" is replaced by the target's pid
    keeps_output: bool     # False: stdout goes to /dev/null, as for `stray snapshot`
    slow: bool             # runs fewer times (eu-stack, gdb)
    # Reads the run's output file; returns (threads printed, freeze seconds or None).
    parse: object

    def command(self, pid):
        return [part.replace("{pid}", str(pid)) for part in self.argv]


def _parse_nothing(_path):
    return None, None


def _parse_stray_json(path):
    with open(path) as output:
        snapshot = json.load(output)
    return len(snapshot["threads"]), snapshot["freeze_duration_ns"] / 1e9


def _count_lines(path, pattern):
    expression = re.compile(pattern)
    with open(path, errors="replace") as output:
        return sum(1 for line in output if expression.match(line))


def _parse_eu_stack(path):
    return _count_lines(path, r"TID \d+:"), None


def _parse_gdb(path):
    return _count_lines(path, r"Thread \d+ \("), None


def _parse_floor_probe(path):
    values = {}
    with open(path) as output:
        for line in output:
            key, _, value = line.partition(" ")
            values[key] = int(value)
    return values["threads"], values["freeze_ns"] / 1e9


def make_tools(stray, floor_probe):
    """Build the tool list, in the order in which each round runs them."""
    return [
        Tool("stray snapshot", [stray, "snapshot", "{pid}"], False, False, _parse_nothing),
        Tool("stray snapshot --json", [stray, "snapshot", "--json", "{pid}"], True, False,
             _parse_stray_json),
        Tool("eu-stack -p", ["eu-stack", "-p", "{pid}"], True, True, _parse_eu_stack),
        Tool("gdb thread apply all bt",
             ["gdb", "-p", "{pid}", "-batch", "-ex", "thread apply all bt"], True, True, _parse_gdb),
        Tool("floor probe", [floor_probe, "{pid}"], True, False, _parse_floor_probe),
    ]


def check_run(tool, result, expected_threads):
    """Raise ToolFailure unless the run exited with 0 and printed every thread.

    Returns the freeze window the tool reported about itself, or None.
    """
    if result.timed_out:
        raise ToolFailure("%s: timed out after %.0f s" % (tool.name, result.wall))
    if result.status != 0:
        lines = result.stderr.strip().splitlines() or ["(no message)"]
        more = " (and %d more lines on stderr)" % (len(lines) - 1) if len(lines) > 1 else ""
        raise ToolFailure("%s: exit status %d: %s%s" % (tool.name, result.status,
                                                       lines[0][:300], more))
    if result.stdout_path == os.devnull:
        return None
    printed, freeze = tool.parse(result.stdout_path)
    if printed is not None and printed != expected_threads:
        raise ToolFailure("%s: printed %d threads, but the target has %d"
                          % (tool.name, printed, expected_threads))
    return freeze
