"""Run one command and measure it: wall time, CPU time and peak RSS."""

import dataclasses
import os
import signal
import subprocess
import threading
import time


@dataclasses.dataclass
class RunResult:
    wall: float            # seconds from start to exit
    cpu: float             # user + system seconds of the process and its waited children
    max_rss_kib: int       # peak resident set size, from wait4's rusage
    status: int            # exit status, or -signal when killed
    timed_out: bool
    stdout_path: str       # where stdout went (os.devnull when discarded)
    stderr: str


def run_measured(argv, stdout_path, timeout, env=None):
    """Run argv with stdout sent to stdout_path; kill it with SIGKILL after timeout seconds."""
    with open(stdout_path, "wb") as stdout:
        started = time.monotonic()
        process = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=stdout,
                                   stderr=subprocess.PIPE, env=env)
        killer = threading.Timer(timeout, _kill, args=(process.pid,))
        killer.start()
        # wait4 before reading stderr would deadlock on a full pipe, so read first.
        stderr = process.stderr.read().decode(errors="replace")
        _, wait_status, usage = os.wait4(process.pid, 0)
        wall = time.monotonic() - started
        timed_out = not killer.is_alive()
        killer.cancel()
    process.returncode = os.waitstatus_to_exitcode(wait_status)  # keep Popen from waiting again
    process.stderr.close()
    return RunResult(wall=wall, cpu=usage.ru_utime + usage.ru_stime, max_rss_kib=usage.ru_maxrss,
                     status=process.returncode, timed_out=timed_out, stdout_path=stdout_path,
                     stderr=stderr)


def _kill(pid):
    try:
        os.kill(pid, signal.SIGKILL)
    except ProcessLookupError:
        pass
