"""Past one machine, measured (never part of the test suite): DVC remotes and a sweep over workers. Run
from the project root, with the project's environment active (dvc-s3 and moto[server] installed):

    python bench/remote.py transfer   # push and pull of the default outputs: local-folder remote vs S3
    python bench/remote.py sweep      # a small grid with `stages.sweep run`: 1 worker, then 2 at once
    python bench/remote.py table      # README's markdown, from bench/results/remote.json only

The S3 remote is moto's server on 127.0.0.1, started here and stopped at the end, as in the tests: a real
S3 protocol over loopback HTTP, so the figures hold S3's per-request cost but no network. Every run starts
from fresh clones of the committed HEAD and an empty remote; a "worker" is a fresh clone of a shared bare
git repository, standing in for a machine. Timings come from /usr/bin/time around separate processes, all
on this machine in one run; compare ratios, not absolutes. Each measuring mode writes its section of
bench/results/remote.json and keeps the other's.
"""
from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/remote.py`, which puts bench/, not the project, on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.run import bench_env, fresh_clone, git_output, markdown_table, measured_on, read_json, timed
from stages.files import write_json
from stages.sweep import grid_points, parse_grid, point_name, shard

PROJECT = Path(__file__).resolve().parents[1]
RESULTS = PROJECT / "bench" / "results" / "remote.json"
# moto accepts any credentials; DVC reads them from the environment, as on a user's machine.
CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing", "AWS_DEFAULT_REGION": "us-east-1"}
REMOTE = "bench"  # the DVC remote's name in every clone
# Each transfer is repeated this often, each time to an empty remote and into a fresh clone; the median counts.
REPEATS = 3
# The sweep's grid: tiny data and two epochs, so a point costs process starts and DVC's bookkeeping more
# than training, as the many small runs of a real sweep's early stage do. Single values are written here,
# not into params.yaml, so the grid file alone says what ran.
SWEEP_NAME = "bench"
SWEEP_GRID = """\
params:
  data.count: [2000]
  data.seq_len: [16]
  data.validation_count: [200]
  evaluate.lengths: [[32, 64]]
  evaluate.count: [200]
  train.epochs: [2]
  train.units: [2, 4]
  train.seed: [0, 1]
"""
SWEEP_WORKERS = (1, 2)
PACKAGES = ("dvc", "dvc-s3", "moto", "boto3")
# An empty remote: its URL, its S3 endpoint (None for a folder), and a function counting its (files, bytes).
NewRemote = tuple[str, str | None, Callable[[], tuple[int, int]]]


# Remotes

@dataclass(frozen=True)
class S3Server:
    endpoint: str   # http://127.0.0.1:<port>

    def new_bucket(self) -> str:
        import boto3

        bucket = f"bench-{uuid.uuid4().hex[:12]}"
        self._client(boto3).create_bucket(Bucket=bucket)
        return bucket

    def objects(self, bucket: str) -> tuple[int, int]:
        """(files, bytes) in a bucket."""
        import boto3

        files = size = 0
        for page in self._client(boto3).get_paginator("list_objects_v2").paginate(Bucket=bucket):
            for entry in page.get("Contents", []):
                files, size = files + 1, size + entry["Size"]
        return files, size

    def _client(self, boto3):
        return boto3.client("s3", endpoint_url=self.endpoint, region_name=CREDENTIALS["AWS_DEFAULT_REGION"],
                            aws_access_key_id=CREDENTIALS["AWS_ACCESS_KEY_ID"],
                            aws_secret_access_key=CREDENTIALS["AWS_SECRET_ACCESS_KEY"])


@contextlib.contextmanager
def s3_server() -> Iterator[S3Server]:
    """moto's S3 server on a free loopback port, in a thread of this process (which only waits meanwhile),
    with the credentials in this process's environment, which every command inherits."""
    import logging

    from moto import server as moto_server

    logging.getLogger("werkzeug").setLevel(logging.WARNING)  # one line per request otherwise
    os.environ.update(CREDENTIALS)
    server = moto_server.ThreadedMotoServer("127.0.0.1", 0, verbose=False)
    server.start()
    try:
        host, port = server.get_host_and_port()
        yield S3Server(f"http://{host}:{port}")
    finally:
        server.stop()


def dvc(repo: Path, *args: str) -> str:
    result = subprocess.run(["dvc", *args], cwd=repo, env=bench_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`dvc {' '.join(args)}` in {repo} failed:\n{result.stdout[-2000:]}{result.stderr[-2000:]}")
    return result.stdout


def attach_local(repo: Path, url: str, endpoint: str | None = None) -> None:
    """The repository's default remote, all in --local config: the measured clones' tracked files stay as
    committed."""
    dvc(repo, "remote", "add", "--local", "-d", "-f", REMOTE, url)
    if endpoint is not None:
        dvc(repo, "remote", "modify", "--local", REMOTE, "endpointurl", endpoint)


def folder_files(folder: Path) -> tuple[int, int]:
    """(files, bytes) under a folder."""
    sizes = [path.stat().st_size for path in folder.rglob("*") if path.is_file()]
    return len(sizes), sum(sizes)


def cache_files(repo: Path) -> tuple[int, int]:
    """(files, bytes) of the objects in a repository's DVC cache: what push and pull move (the run cache,
    which they move only with --run-cache, lies beside them)."""
    return folder_files(repo / ".dvc" / "cache" / "files")


# Transfer: push and pull of the default outputs

def transfer(root: Path) -> dict:
    source = fresh_clone(root, "source")
    measured = measured_on([source])
    print("`dvc repro` at the default params in a fresh clone ...", flush=True)
    repro, _ = timed(["dvc", "repro"], source)
    # The pull clones are clones of this one, so they see the dvc.lock its outputs match even if this
    # machine's repro wrote a different one (the project is byte-reproducible, so it should not).
    lock_changed = bool(git_output(source, "status", "--porcelain", "--", "dvc.lock"))
    if lock_changed:
        subprocess.run(["git", "commit", "-qm", "bench: this machine's dvc.lock", "dvc.lock"], cwd=source, check=True)
    cache = cache_files(source)
    print(f"repro {repro['wall_s']:.1f} s; cache {cache[0]} files, {cache[1] / 1e6:.1f} MB", flush=True)

    remotes = []
    local_count = 0

    def new_local() -> NewRemote:
        nonlocal local_count
        local_count += 1
        folder = root / f"remote-{local_count}"
        folder.mkdir()
        return str(folder), None, lambda: folder_files(folder)

    remotes.append(measure_remote("local folder", root, source, new_local))
    with s3_server() as server:
        def new_bucket() -> NewRemote:
            bucket = server.new_bucket()
            return f"s3://{bucket}/store", server.endpoint, lambda: server.objects(bucket)

        remotes.append(measure_remote("S3 (moto, 127.0.0.1)", root, source, new_bucket))
    results = {"measured_on": measured, "versions": package_versions(), "repeats": REPEATS,
               "repro_wall_s": repro["wall_s"], "repro_changed_dvc_lock": lock_changed,
               "cache_files": cache[0], "cache_bytes": cache[1], "remotes": remotes}
    print("\n" + transfer_markdown(results), end="")
    return results


def measure_remote(label: str, root: Path, source: Path, new_remote: Callable[[], NewRemote]) -> dict:
    """`dvc push` from `source` to an empty remote, then `dvc pull` into a fresh clone of `source`, REPEATS
    times; `new_remote()` gives (url, endpoint or None, a function counting the remote's (files, bytes))."""
    runs = []
    for attempt in range(REPEATS):
        url, endpoint, remote_files = new_remote()
        attach_local(source, url, endpoint)
        push, _ = timed(["dvc", "push"], source)
        pushed = remote_files()
        puller = root / f"pull-{uuid.uuid4().hex[:8]}"
        subprocess.run(["git", "clone", "-q", str(source), str(puller)], check=True)
        attach_local(puller, url, endpoint)
        pull, _ = timed(["dvc", "pull"], puller)
        pulled = cache_files(puller)
        status = dvc(puller, "status", "--json")
        runs.append({"push_wall_s": push["wall_s"], "push_peak_rss_mb": push["peak_rss_mb"],
                     "pushed_files": pushed[0], "pushed_bytes": pushed[1],
                     "pull_wall_s": pull["wall_s"], "pull_peak_rss_mb": pull["peak_rss_mb"],
                     "pulled_files": pulled[0], "pulled_bytes": pulled[1],
                     "pull_up_to_date": json.loads(status or "{}") == {}})
        shutil.rmtree(puller)
        print(f"{label}, run {attempt + 1}: push {push['wall_s']:.1f} s ({pushed[0]} files), "
              f"pull {pull['wall_s']:.1f} s ({pulled[0]} files)", flush=True)
    return {"remote": label, "runs": runs,
            **{f"median_{key}": statistics.median(run[key] for run in runs) for key in ("push_wall_s", "pull_wall_s")}}


# Sweep: one worker vs two at once

def sweep(root: Path) -> dict:
    grid = parse_grid(SWEEP_NAME, SWEEP_GRID)
    base = fresh_clone(root, "sweep-base")
    measured = measured_on([base])
    grid_file = base / "sweeps" / f"{SWEEP_NAME}.yaml"
    grid_file.write_text(SWEEP_GRID)
    runs = []
    with s3_server() as server:
        for workers in SWEEP_WORKERS:
            runs.append(sweep_run(root, base, grid, server, workers))
    results = {"measured_on": measured, "versions": package_versions(), "grid": SWEEP_GRID,
               "points": len(grid_points(grid)), "runs": runs,
               "speedup": round(runs[0]["wall_s"] / runs[-1]["wall_s"], 2)}
    print("\n" + sweep_markdown(results), end="")
    return results


def sweep_run(root: Path, base: Path, grid, server: S3Server, workers: int) -> dict:
    """The grid over `workers` fresh clones of a new bare repository and a new bucket, all started at once:
    wall seconds from the first start to the last end, and what reached the git remote."""
    bucket = server.new_bucket()
    # The remote's URL is tracked, as a team would commit it; each machine adds the endpoint locally.
    dvc(base, "remote", "add", "-d", "-f", REMOTE, f"s3://{bucket}/store")
    subprocess.run(["git", "add", "-A"], cwd=base, check=True)
    subprocess.run(["git", "commit", "-qm", f"bench: sweep on {workers} workers"], cwd=base, check=True)
    origin = root / f"origin-{workers}.git"
    subprocess.run(["git", "clone", "-q", "--bare", str(base), str(origin)], check=True)
    clones = []
    for index in range(1, workers + 1):
        clone = root / f"sweep-{workers}-worker-{index}"
        subprocess.run(["git", "clone", "-q", str(origin), str(clone)], check=True)
        dvc(clone, "remote", "modify", "--local", REMOTE, "endpointurl", server.endpoint)
        clones.append(clone)
    print(f"sweep of {len(grid_points(grid))} points on {workers} worker(s) at once ...", flush=True)
    load = os.getloadavg()[0]
    machine_before, own_before = machine_busy_s(), own_cpu_s()
    started = time.monotonic()
    finished = run_at_once([([sys.executable, "-m", "stages.sweep", "run", "--grid", f"sweeps/{SWEEP_NAME}.yaml",
                              "--shard", f"{index}/{workers}"], clone) for index, clone in enumerate(clones, start=1)])
    wall = round(time.monotonic() - started, 1)
    machine_cpu, own_cpu = machine_busy_s() - machine_before, own_cpu_s() - own_before

    refs = git_output(origin, "for-each-ref", "--format=%(refname)", "refs/exps").split()
    landed = sorted(ref.rsplit("/", 1)[1] for ref in refs)
    expected = sorted(point_name(grid, point) for point in grid_points(grid))
    if landed != expected:
        raise SystemExit(f"{workers} worker(s): the git remote holds {landed}, not each of {expected} once")
    per_worker = []
    for index, (measured, output) in enumerate(finished, start=1):
        ran = output.count("ran and pushed")
        if ran != len(shard(grid_points(grid), index, workers)):
            raise SystemExit(f"worker {index}/{workers} ran {ran} points:\n{output}")
        per_worker.append({"shard": f"{index}/{workers}", "points": ran, **measured})
    sweep_cpu = own_cpu + sum(w["cpu_s"] for w in per_worker)
    print(f"{workers} worker(s): {wall:.1f} s; each point once on the git remote", flush=True)
    # The machine is shared: what the others used in the meantime says how much of it the workers had.
    return {"workers": workers, "wall_s": wall, "loadavg_1min_at_start": round(load, 2),
            "sweep_cpu_s": round(sweep_cpu, 1), "machine_busy_cpu_s": round(machine_cpu, 1),
            "others_cpu_s": round(max(0.0, machine_cpu - sweep_cpu), 1),
            "refs_on_git_remote": len(refs), "objects_on_s3": server.objects(bucket)[0], "per_worker": per_worker}


def run_at_once(commands: list[tuple[list[str], Path]]) -> list[tuple[dict, str]]:
    """Each (argv, cwd) started at once under /usr/bin/time, as workers of one run: ({wall_s, peak_rss_mb,
    cpu_s}, its output) for each, in order. Output goes to a log file beside cwd, not a pipe (a pipe nobody
    reads stalls a worker once full); each command runs in its own process group, so the first to fail
    ends the others with their children, and the error shows its log's end."""
    running = []
    for argv, cwd in commands:
        log, report = cwd.parent / f"{cwd.name}.log", cwd.parent / f"{cwd.name}.time"
        with log.open("w") as out:
            process = subprocess.Popen(["/usr/bin/time", "-o", str(report), "-f", "%e %M %U %S", *argv], cwd=cwd,
                                       env=bench_env(), stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
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
    finished = []
    for _, log, report in running:
        wall, rss_kb, user, system = report.read_text().split()[-4:]
        finished.append(({"wall_s": float(wall), "peak_rss_mb": round(int(rss_kb) / 1024),
                          "cpu_s": round(float(user) + float(system), 1)}, log.read_text()))
    return finished


def machine_busy_s() -> float:
    """CPU seconds all processes on this machine have used since boot (/proc/stat: all but idle and iowait)."""
    fields = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:9]]
    return (sum(fields) - fields[3] - fields[4]) / os.sysconf("SC_CLK_TCK")


def own_cpu_s() -> float:
    """CPU seconds of this process: the S3 server's thread, mostly."""
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# What was measured on

def package_versions() -> dict:
    """The remote's side of the stack; measured_on has the pipeline's (Python, TensorFlow, Keras, DVC)."""
    return {name: metadata.version(name) for name in PACKAGES}


# Markdown for the README, from results alone

def transfer_markdown(results: dict) -> str:
    rows = [[r["remote"], f"{r['median_push_wall_s']:.1f}", f"{r['median_pull_wall_s']:.1f}",
             files_text(r["runs"])] for r in results["remotes"]]
    lines = [*markdown_table(["remote", "push s", "pull s", "files"], ["---", "---:", "---:", "---:"], rows), "",
             f"Default outputs of one `dvc repro` ({results['repro_wall_s']:.0f} s; {results['cache_files']} "
             f"objects, {results['cache_bytes'] / 1e6:.1f} MB, in the cache), each pushed to an empty remote and "
             f"pulled into a fresh clone; median of {results['repeats']} runs."]
    return "\n".join(lines) + "\n"


def files_text(runs: list[dict]) -> str:
    """Files pushed (objects on the remote) and pulled (in the fresh clone's cache): one figure when they
    agree in every run, as they should."""
    counts = {(run["pushed_files"], run["pulled_files"]) for run in runs}
    if len(counts) == 1 and len({*counts.pop()}) == 1:
        return str(runs[0]["pushed_files"])
    return " / ".join(f"{run['pushed_files']} pushed, {run['pulled_files']} pulled" for run in runs)


def sweep_markdown(results: dict) -> str:
    rows = [[str(run["workers"]), f"{run['wall_s']:.1f}", f"{run['sweep_cpu_s']:.0f}", f"{run['others_cpu_s']:.0f}",
             ", ".join(f"{w['points']} ({w['wall_s']:.1f} s)" for w in run["per_worker"])]
            for run in results["runs"]]
    first, last = results["runs"][0], results["runs"][-1]
    lines = [*markdown_table(["workers at once", "wall s", "sweep's CPU s", "others' CPU s meanwhile",
                              "points per worker (its wall s)"], ["---:", "---:", "---:", "---:", "---"], rows), "",
             f"{results['points']} grid points, each run with `python -m stages.sweep run --shard k/N` in a fresh "
             f"clone of a shared bare git repository, pushing to one S3 remote; every point reached the git "
             f"remote once. {first['workers']} worker to {last['workers']}: **{results['speedup']}x**. The machine "
             f"is shared: CPU seconds are the sweep's processes' (and the S3 server's), and all other processes' "
             f"on its {results['measured_on']['machine']['cores']} cores in the same wall time."]
    return "\n".join(lines) + "\n"


def measured_text(measured: dict, commands: list[str]) -> str:
    machine = measured["machine"]
    runs = " and ".join(f"`{command}`" for command in commands)
    changed = " with local changes" if measured["modified"] else ""
    return f"Measured on commit {measured['commit'][:7]}{changed} ({machine['cpu']}, {machine['cores']} cores): {runs}"


def table(results: dict) -> str:
    sections = [name for name in ("transfer", "sweep") if name in results]
    if not sections:
        raise SystemExit(f"{RESULTS}: no transfer or sweep results; run `python bench/remote.py transfer` first")
    # One line when both were measured on the same commit and machine, one per mode otherwise.
    groups: dict[str, list[str]] = {}
    for name in sections:
        key = json.dumps({k: results[name]["measured_on"][k] for k in ("commit", "modified", "machine")},
                         sort_keys=True)
        groups.setdefault(key, []).append(f"python bench/remote.py {name}")
    blocks = {"transfer": transfer_markdown, "sweep": sweep_markdown}
    body = "\n".join(blocks[name](results[name]) for name in sections)
    versions = results[sections[0]]["versions"]
    footer = "; ".join(measured_text(json.loads(key), commands) for key, commands in groups.items())
    footer += ". " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items())) + "."
    return body + "\n" + footer + "\n"


# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/remote.py", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS, help="results file (default: %(default)s)")
    parser.add_argument("mode", choices=["transfer", "sweep", "table"])
    args = parser.parse_args(argv)
    results = read_json(args.results) if args.results.exists() else {}
    if args.mode == "table":
        print(table(results), end="")
        return 0
    root = Path(tempfile.mkdtemp(prefix="parity-remote-"))
    try:
        results[args.mode] = {"transfer": transfer, "sweep": sweep}[args.mode](root)
    finally:
        shutil.rmtree(root, ignore_errors=True)
    args.results.parent.mkdir(parents=True, exist_ok=True)
    write_json(args.results, results)
    print(f"\nwrote {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
