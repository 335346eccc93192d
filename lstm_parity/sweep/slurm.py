"""A one-node SLURM cluster on this machine, stood up for the tests and the benchmarks of sweeps on a
scheduler: the distribution's slurmctld and slurmd (installed with apt-get when missing, as root), a
minimal configuration written into a temporary folder that holds every file they use, the two daemons
started as children of this process and stopped by their process ids at the end. Nothing is left running
and nothing outside the folder is configured.

    with local_slurm() as cluster:
        job = cluster.sbatch(Path("sweeps/slurm-array.sh"), "sweeps/tiny.yaml", options=("--array=1-2",))
        tasks = cluster.wait(job)
"""
from __future__ import annotations

import contextlib
import ctypes
import os
import re
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

PACKAGES = ("slurmctld", "slurmd", "slurm-client")  # Debian's, SLURM 22.05 on Debian 12
PROGRAMS = ("slurmctld", "slurmd", "sbatch", "sinfo", "scontrol", "scancel", "squeue")
SEARCH_PATH = os.pathsep.join([os.environ.get("PATH", ""), "/usr/sbin", "/sbin"])
MARKER = "LSTM_PARITY_SLURM"  # in the daemons' environment, so in every job's: how leftovers are found
FINISHED = {"COMPLETED", "FAILED", "CANCELLED", "TIMEOUT", "NODE_FAIL", "OUT_OF_MEMORY", "BOOT_FAIL", "DEADLINE",
            "PREEMPTED"}


class SlurmUnavailable(Exception):
    """SLURM cannot run here (not root, no apt-get, the install failed): tests skip, or fail in CI."""


class SlurmError(RuntimeError):
    """The cluster misbehaved: the message carries the daemons' logs."""


def missing_programs() -> list[str]:
    return [name for name in PROGRAMS if shutil.which(name, path=SEARCH_PATH) is None]


def ensure_installed() -> None:
    """Install the distribution's SLURM packages when a program is missing, without starting their system
    services (the packages' scripts would: a policy-rc.d forbids it for the length of the install)."""
    missing = missing_programs()
    if not missing:
        return
    if os.geteuid() != 0:
        raise SlurmUnavailable(f"SLURM is not installed ({', '.join(missing)} missing), and installing it needs "
                               f"root: apt-get install {' '.join(PACKAGES)}")
    if shutil.which("apt-get") is None:
        raise SlurmUnavailable(f"SLURM is not installed ({', '.join(missing)} missing), and there is no apt-get")
    policy = Path("/usr/sbin/policy-rc.d")
    written = not policy.exists()
    if written:
        policy.write_text("#!/bin/sh\nexit 101\n")
        policy.chmod(0o755)
    env = os.environ | {"DEBIAN_FRONTEND": "noninteractive"}
    install = ["apt-get", "install", "-y", "-q", "--no-install-recommends", *PACKAGES]
    try:
        result = subprocess.run(install, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
        if result.returncode != 0:  # package lists may be stale on a fresh machine
            subprocess.run(["apt-get", "update", "-q"], env=env, capture_output=True, stdin=subprocess.DEVNULL)
            result = subprocess.run(install, env=env, capture_output=True, text=True, stdin=subprocess.DEVNULL)
    finally:
        if written:
            policy.unlink(missing_ok=True)
    if missing_programs():
        raise SlurmUnavailable(f"apt-get could not install {' '.join(PACKAGES)}: {result.stderr[-1000:]}")


def slurm_conf(root: Path, node: str, cpus: int, memory_mb: int, ports: tuple[int, int]) -> str:
    """One node of this machine's CPUs; every file the daemons use lives under root."""
    return f"""\
ClusterName=lstm-parity
SlurmctldHost={node}(127.0.0.1)
SlurmctldPort={ports[0]}
SlurmdPort={ports[1]}
SlurmUser=root
SlurmdUser=root
# No munge: requests are not authenticated, which is fine for daemons bound to this machine in a test.
AuthType=auth/none
CredType=cred/none
# No cgroups: processes are tracked by parentage, and tasks are not bound to CPUs.
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
JobAcctGatherType=jobacct_gather/none
MpiDefault=none
SwitchType=switch/none
# No slurmdbd, so no sacct: scontrol keeps a job's record for MinJobAge seconds after it ends.
AccountingStorageType=accounting_storage/none
MinJobAge=600
StateSaveLocation={root}/state
SlurmdSpoolDir={root}/spool
SlurmctldPidFile={root}/run/slurmctld.pid
SlurmdPidFile={root}/run/slurmd.pid
SlurmctldLogFile={root}/log/slurmctld.log
SlurmdLogFile={root}/log/slurmd.log
PlugStackConfig={root}/plugstack.conf
MailProg=/bin/true
# Schedule CPUs, not whole nodes, so one-CPU array tasks share the node (22.05's default is select/linear).
SelectType=select/cons_tres
SelectTypeParameters=CR_CPU
SchedulerType=sched/backfill
# A task may be requeued (scontrol requeue); it may start again 5 s after (cred_expire, 120 s by default).
JobRequeue=1
AuthInfo=cred_expire=5
ReturnToService=2
# Start a batch job at once, and look at pending ones every second (the defaults wait seconds to minutes).
SchedulerParameters=batch_sched_delay=0,sched_interval=1,bf_interval=1
KillWait=5
InactiveLimit=0
Waittime=0
# RealMemory a little under the machine's, or the node drains as 'Low RealMemory'.
NodeName={node} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory_mb} State=UNKNOWN
PartitionName=main Nodes={node} Default=YES MaxTime=INFINITE State=UP OverSubscribe=NO
"""


@dataclass(frozen=True)
class Task:
    task_id: int | None   # the array index; None for a job that is not an array
    state: str            # PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, ...
    exit_code: int        # the script's exit status
    log: Path | None      # where its output went (the job's StdOut)


_FIELD = re.compile(r"(?:^|\s)([A-Za-z][A-Za-z0-9_:/]*)=")


def _fields(line: str) -> dict[str, str]:
    """`scontrol show job -o`: Key=Value pairs whose values may hold spaces."""
    found = list(_FIELD.finditer(line))
    return {match.group(1): line[match.end():(found[i + 1].start() if i + 1 < len(found) else len(line))].strip()
            for i, match in enumerate(found)}


def _indices(text: str) -> list[int]:
    """Array indices as scontrol writes them: `2`, `1-4`, `1,3-4`, `1-4%2` (at most 2 at once)."""
    indices = []
    for part in filter(None, text.split("%")[0].split(",")):
        low, _, high = part.partition("-")
        if not low.isdigit():
            return []
        indices.extend(range(int(low), int(high or low) + 1))
    return indices


@dataclass
class SlurmCluster:
    root: Path
    env: dict[str, str]   # SLURM_CONF for the clients (sbatch, scontrol, ...)
    cpus: int

    def run(self, *args: str, check: bool = True, env: dict | None = None,
            cwd: Path | None = None) -> subprocess.CompletedProcess:
        result = subprocess.run(list(args), env=env or self.env, cwd=cwd, capture_output=True, text=True,
                                stdin=subprocess.DEVNULL, timeout=120)
        if check and result.returncode != 0:
            raise SlurmError(f"`{' '.join(args)}` exited {result.returncode}: {result.stderr}\n{self.logs()}")
        return result

    def logs(self, lines: int = 20) -> str:
        return "\n".join(f"--- {log.name}\n" + "\n".join(log.read_text(errors="replace").splitlines()[-lines:])
                         for log in sorted((self.root / "log").glob("*.log")))

    def sbatch(self, script: Path, *arguments: str, options: tuple[str, ...] = (), env: dict | None = None,
               cwd: Path | None = None) -> int:
        """Submit a batch script with sbatch `options` and the script's own `arguments`: the job id."""
        result = self.run("sbatch", "--parsable", *options, str(script), *arguments, env=self.env | (env or {}),
                          cwd=cwd)
        return int(result.stdout.strip().split(";")[0])

    def tasks(self, job: int) -> dict[int | None, Task]:
        """Each task of a job, by array index, from `scontrol show job` (kept MinJobAge after it ends)."""
        found = {}
        for line in self.run("scontrol", "show", "job", "-o", str(job)).stdout.splitlines():
            if not line.strip():
                continue
            fields = _fields(line)
            state = fields.get("JobState", "?").split()[0]
            log = Path(fields["StdOut"]) if fields.get("StdOut") else None
            # Tasks not started yet show as one record of their indices: 1-4, 1,3-4, 1-4%2.
            for index in _indices(fields.get("ArrayTaskId", "")) or [None]:
                found[index] = Task(index, state, int(fields.get("ExitCode", "0:0").split(":")[0]), log)
        return found

    def wait(self, job: int, timeout: float = 900) -> dict[int | None, Task]:
        """Poll until every task of the job has ended."""
        deadline = time.monotonic() + timeout
        while True:
            tasks = self.tasks(job)
            if tasks and None not in tasks and all(task.state in FINISHED for task in tasks.values()):
                return tasks
            if time.monotonic() > deadline:
                raise SlurmError(f"job {job}: not done after {timeout:.0f} s: "
                                 f"{ {k: t.state for k, t in tasks.items()} }\n{self.logs()}")
            time.sleep(0.5)

    def cancel(self, job: int, task: int) -> None:
        self.run("scancel", f"{job}_{task}")

    def requeue(self, job: int, task: int) -> None:
        """Run an ended task again, under the same job and index (JobRequeue=1)."""
        self.run("scontrol", "requeue", f"{job}_{task}")

    def node_state(self) -> str:
        return self.run("sinfo", "-h", "-o", "%T", check=False).stdout.strip()


def _free_ports(count: int) -> tuple[int, ...]:
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return tuple(sock.getsockname()[1] for sock in sockets)
    finally:
        for sock in sockets:
            sock.close()


def _memory_mb() -> int:
    total_kb = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text().splitlines()
                    if line.startswith("MemTotal:"))
    return max(1, total_kb * 9 // 10 // 1024)


def _die_with_parent() -> None:
    """In a daemon, before it starts: SIGTERM when this process dies, even by SIGKILL (PR_SET_PDEATHSIG)."""
    ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)


def _marked(marker: str) -> list[int]:
    """Processes carrying this cluster's marker in their environment: slurmstepd and the jobs' processes,
    including any that left their process group."""
    needle = f"{MARKER}={marker}".encode()
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit() and int(entry.name) != os.getpid():
            with contextlib.suppress(OSError):
                if needle in (entry / "environ").read_bytes().split(b"\0"):
                    found.append(int(entry.name))
    return found


def _stop(process: subprocess.Popen, timeout: float = 15) -> None:
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(10)


@contextlib.contextmanager
def local_slurm(start_timeout: float = 60) -> Iterator[SlurmCluster]:
    """A running one-node cluster, installed first when missing (SlurmUnavailable where it cannot be)."""
    ensure_installed()
    if os.geteuid() != 0:
        raise SlurmUnavailable("slurmd must run as root: it starts each job as its submitter")
    root = Path(tempfile.mkdtemp(prefix="lstm-parity-slurm-"))
    os.chmod(root, 0o755)  # the job steps read the folder too
    for folder in ("state", "spool", "run", "log"):
        (root / folder).mkdir()
    node = socket.gethostname().split(".")[0]  # slurmctld must find itself among the configured hosts
    cpus = len(os.sched_getaffinity(0))
    conf = root / "slurm.conf"
    conf.write_text(slurm_conf(root, node, cpus, _memory_mb(), _free_ports(2)))
    (root / "plugstack.conf").write_text("")
    # An outer SLURM job's settings must not reach this cluster's clients or jobs.
    env = {k: v for k, v in os.environ.items() if not k.startswith(("SLURM_", "SBATCH_", "SQUEUE_"))}
    env["SLURM_CONF"] = str(conf)
    daemons: list[subprocess.Popen] = []
    cluster = SlurmCluster(root, env, cpus)
    try:
        for argv in ([shutil.which("slurmctld", path=SEARCH_PATH), "-D", "-c", "-i", "-f", str(conf)],
                     [shutil.which("slurmd", path=SEARCH_PATH), "-D", "-f", str(conf), "-N", node]):
            with open(root / "log" / f"{Path(argv[0]).name}.out", "wb") as out:
                daemons.append(subprocess.Popen(argv, env=env | {MARKER: root.name}, stdout=out,
                                                stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, cwd=root,
                                                start_new_session=True, preexec_fn=_die_with_parent))
        deadline = time.monotonic() + start_timeout
        while cluster.node_state() != "idle":
            stopped = [d.args[0] for d in daemons if d.poll() is not None]
            if stopped or time.monotonic() > deadline:
                raise SlurmError(f"the node is not idle ({', '.join(stopped) or 'timed out'}):\n{cluster.logs()}")
            time.sleep(0.2)
        yield cluster
    finally:
        if all(daemon.poll() is None for daemon in daemons) and daemons:
            cluster.run("scancel", "--user", str(os.geteuid()), check=False)
        for daemon in reversed(daemons):  # slurmd first, then slurmctld
            _stop(daemon)
        for pid in _marked(root.name):
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
        shutil.rmtree(root, ignore_errors=True)
