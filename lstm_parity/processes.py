"""The project's commands run as child processes, by the tests, the studies and the benchmarks: the
environment they run in, one command timed, and several at once as workers of one run."""
from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path


def child_env() -> dict[str, str]:
    """The environment for this project's commands run as child processes (dvc, its stage commands,
    `python -m ...`): this interpreter's bin folder first on PATH, as in an activated virtual
    environment, so that they find the same packages."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    return env


def quiet_env() -> dict[str, str]:
    """child_env with TensorFlow's start-up notices off, which would bury a failing command's error."""
    return child_env() | {"TF_CPP_MIN_LOG_LEVEL": "3"}


@dataclass(frozen=True)
class Usage:
    """What /usr/bin/time measured of one process (and its children)."""
    wall_s: float
    peak_rss_mb: int
    cpu_s: float

    def as_dict(self) -> dict:
        return {"wall_s": self.wall_s, "peak_rss_mb": self.peak_rss_mb, "cpu_s": self.cpu_s}


TIME_FORMAT = "%e %M %U %S"


def _read_usage(report: Path) -> Usage:
    # The last line: time writes a note above it when the command fails.
    wall, rss_kb, user, system = report.read_text().split()[-4:]
    return Usage(float(wall), round(int(rss_kb) / 1024), round(float(user) + float(system), 1))


def timed(argv: list[str], cwd: Path) -> tuple[Usage, str]:
    """Run a command under /usr/bin/time: (its usage, its stdout). A failure stops the caller with the
    command and the end of its output."""
    with tempfile.NamedTemporaryFile("r", suffix=".time") as report:
        result = subprocess.run(["/usr/bin/time", "-o", report.name, "-f", TIME_FORMAT, *argv],
                                cwd=cwd, env=quiet_env(), capture_output=True, text=True)
        if result.returncode != 0:
            raise SystemExit(f"`{shlex.join(argv)}` failed ({result.returncode}):\n"
                             f"{result.stdout[-2000:]}{result.stderr[-2000:]}")
        return _read_usage(Path(report.name)), result.stdout


def run_at_once(commands: list[tuple[list[str], Path]]) -> list[tuple[Usage, str]]:
    """Each (argv, cwd) started at once under /usr/bin/time, as workers of one run: (usage, its output)
    for each, in order. Output goes to a log file beside cwd, not a pipe (a pipe nobody reads stalls a
    worker once full); each command runs in its own process group, so the first to fail ends the others
    with their children, and the error shows its log's end."""
    running = []
    for argv, cwd in commands:
        log, report = cwd.parent / f"{cwd.name}.log", cwd.parent / f"{cwd.name}.time"
        with log.open("w") as out:
            process = subprocess.Popen(["/usr/bin/time", "-o", str(report), "-f", TIME_FORMAT, *argv], cwd=cwd,
                                       env=quiet_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
        running.append((process, log, report))
    try:
        while any(process.poll() is None for process, _, _ in running):
            if any(process.poll() not in (None, 0) for process, _, _ in running):
                break
            time.sleep(1)
    finally:
        for process, _, _ in running:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
    count = len(running)
    failed = [(k, process, log) for k, (process, log, _) in enumerate(running, start=1) if process.returncode]
    if failed:  # the one that failed by itself, not one ended here
        k, process, log = min(failed, key=lambda f: f[1].returncode < 0)
        raise SystemExit(f"worker {k}/{count} failed ({process.returncode}); the end of {log}:\n"
                         f"{log.read_text()[-3000:]}")
    return [(_read_usage(report), log.read_text()) for _, log, report in running]


def machine_busy_s() -> float:
    """CPU seconds all processes on this machine have used since boot (/proc/stat: all but idle and iowait),
    to tell how much of a shared machine a run had."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def git_output(repo: Path, *args: str) -> str:
    return subprocess.run(["git", *args], cwd=repo, check=True, capture_output=True, text=True).stdout.strip()


def fresh_clone(source: Path, path: Path) -> Path:
    """A clone of `source`'s committed HEAD at `path`: what is measured is a commit, never a work tree."""
    git_output(path.parent, "clone", "-q", str(source), str(path))
    return path
