"""Run one command through stray_bench_spawn and collect its measurements."""

import dataclasses
import subprocess


@dataclasses.dataclass
class RunResult:
    wall: float            # seconds from start to exit
    cpu: float             # user + system seconds of the command and its waited children
    max_rss_kib: int       # peak resident set size, from wait4's rusage
    status: int            # exit status, or minus the signal number that killed it
    timed_out: bool
    stdout_path: str       # where stdout went (os.devnull when discarded)
    stderr: str


def run_measured(spawner, argv, stdout_path, result_path, timeout, env=None):
    """Run argv with stdout sent to stdout_path; kill it with SIGKILL after timeout seconds.

    spawner is stray_bench_spawn, which writes its measurements to result_path.
    """
    with open(stdout_path, "wb") as stdout:
        spawn = subprocess.run([spawner, result_path, str(int(timeout * 1000))] + argv,
                               stdin=subprocess.DEVNULL, stdout=stdout, stderr=subprocess.PIPE,
                               env=env, check=False)
    stderr = spawn.stderr.decode(errors="replace")
    if spawn.returncode != 0:
        raise RuntimeError("stray_bench_spawn failed with exit status %d: %s"
                           % (spawn.returncode, stderr.strip()))
    with open(result_path) as result:
        fields = result.read().split()
    values = {key: int(value) for key, value in zip(fields[0::2], fields[1::2])}
    return RunResult(wall=values["wall_ns"] / 1e9, cpu=values["cpu_ns"] / 1e9,
                     max_rss_kib=values["max_rss_kib"], status=values["status"],
                     timed_out=values["timed_out"] == 1, stdout_path=stdout_path, stderr=stderr)

