"""Start the benchmark target and talk to its heartbeat thread."""

import os
import subprocess
import time


class TargetError(RuntimeError):
    """The target did not start, did not park its threads or stopped replying."""


class BenchTarget:
    """A running stray_bench_target with N parked threads.

    The process is a child of the harness, so every tool that the harness
    starts may ptrace it. Use as a context manager: leaving it kills the target.
    """

    def __init__(self, program, threads, start_timeout=60.0):
        self.threads = threads
        self.process = subprocess.Popen(
            [program, str(threads)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        self.pid = self.process.pid
        self._expect_line("threads %d" % threads)
        self._expect_line("ready")
        self._wait_until_parked(start_timeout)

    def __enter__(self):
        return self

    def __exit__(self, *exception):
        self.close()

    @property
    def total_threads(self):
        """Workers plus the main thread and the heartbeat thread."""
        return self.threads + 2

    def arm(self):
        """Start a heartbeat measurement."""
        self._send("arm")
        self._expect_line("armed")

    def stop(self):
        """End the heartbeat measurement; return the maximum gap in seconds."""
        self._send("stop")
        line = self._read_line()
        key, _, value = line.partition(" ")
        if key != "max_gap_ns":
            raise TargetError("pid %d: expected max_gap_ns, got %r" % (self.pid, line))
        return int(value) / 1e9

    def resume_if_stopped(self):
        """Send SIGCONT, for after a tool was killed while it held the target stopped."""
        os.kill(self.pid, 18)  # SIGCONT

    def close(self):
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()

    def _send(self, command):
        self.process.stdin.write(command + "\n")
        self.process.stdin.flush()

    def _read_line(self):
        line = self.process.stdout.readline()
        if not line:
            raise TargetError("pid %d: the target closed its output (exit status %r)"
                              % (self.pid, self.process.poll()))
        return line.rstrip("\n")

    def _expect_line(self, expected):
        line = self._read_line()
        if line != expected:
            raise TargetError("pid %d: expected %r from the target, got %r"
                              % (self.pid, expected, line))

    def _wait_until_parked(self, timeout):
        """Wait until no thread is runnable, so every worker is in its blocking call."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if not self._runnable_tids():
                return
            time.sleep(0.05)
        raise TargetError("pid %d: threads %s still runnable after %.0f s"
                          % (self.pid, self._runnable_tids()[:10], timeout))

    def _runnable_tids(self):
        runnable = []
        task_dir = "/proc/%d/task" % self.pid
        for tid in os.listdir(task_dir):
            try:
                with open("%s/%s/stat" % (task_dir, tid)) as stat:
                    state = stat.read().rpartition(")")[2].split()[0]
            except FileNotFoundError:
                continue
            if state not in ("S", "D"):
                runnable.append(int(tid))
        return runnable
