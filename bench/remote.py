"""Past one machine, measured (never part of the test suite): DVC remotes, and a sweep on a SLURM array.
Run from the project root, with the project's environment active, as root (the sweep stands up a
one-node SLURM cluster on this machine, as the tests do):

    python bench/remote.py transfer   # push and pull of the default outputs: local-folder remote vs S3
    python bench/remote.py sweep      # a small grid as a SLURM array: 1 task, then 2 at once
    python bench/remote.py table      # the docs' markdown, from bench/results/remote.json only

The S3 remote is moto's server on 127.0.0.1, started here and stopped at the end, as in the tests: a real
S3 protocol over loopback HTTP, so the figures hold S3's per-request cost but no network. Every run starts
from fresh clones of the committed HEAD and an empty remote; an array task clones a shared bare git
repository, standing in for a machine. Timings come from /usr/bin/time around separate processes, or from
the submission to the array's end, all on this machine in one run; compare ratios, not absolutes. Each
measuring mode writes its section of bench/results/remote.json and keeps the other's.
"""
from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable
from importlib import metadata
from pathlib import Path

from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.processes import fresh_clone, git_output, machine_busy_s, timed
from lstm_parity.provenance import measured_lines, measured_on
from lstm_parity.sweep.grid import grid_points, load_grid, point_name, shard
from lstm_parity.sweep.local import LocalS3, bare_origin, dvc, experiment_refs, local_s3
from lstm_parity.sweep.slurm import SlurmCluster, local_slurm

PROJECT = Path(__file__).resolve().parents[1]
RESULTS_FILE = PROJECT / "bench" / "results" / "remote.json"
REMOTE = "bench"  # the DVC remote's name in every clone
# Each transfer is repeated this often, each time to an empty remote and into a fresh clone; the median counts.
REPEATS = 3
# The sweep's grid: tiny data and two epochs, so a point costs process starts and DVC's bookkeeping more
# than training, as the many small runs of a real sweep's early stage do. Single values are written here,
# not into params.yaml, so the grid file alone says what ran.
SWEEP_NAME = "bench"
SWEEP_GRID = """\
overrides:
  - data.count=2000
  - data.seq_len=16
  - data.validation_count=200
  - evaluate.lengths=[32,64]
  - evaluate.count=200
  - train.epochs=2
  - train.units=2,4
  - train.seed=0,1
"""
SWEEP_TASKS = (1, 2)  # tasks of the SLURM array at once
PACKAGES = ("dvc", "dvc-s3", "moto", "boto3")
# An empty remote: its URL, its S3 endpoint (None for a folder), and a function counting its (files, bytes).
NewRemote = tuple[str, str | None, Callable[[], tuple[int, int]]]


# Remotes

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


def objects_summary(server: LocalS3, bucket: str) -> tuple[int, int]:
    """(files, bytes) in a bucket."""
    sizes = server.objects(bucket).values()
    return len(sizes), sum(sizes)


def cache_files(repo: Path) -> tuple[int, int]:
    """(files, bytes) of the objects in a repository's DVC cache: what push and pull move (the run cache,
    which they move only with --run-cache, lies beside them)."""
    return folder_files(repo / ".dvc" / "cache" / "files")


# Transfer: push and pull of the default outputs

def transfer(root: Path) -> dict:
    source = fresh_clone(PROJECT, root / "source")
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
    with local_s3() as server:
        def new_bucket() -> NewRemote:
            bucket = server.new_bucket("bench")
            return f"s3://{bucket}/store", server.endpoint, lambda: objects_summary(server, bucket)

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
        push = timed(["dvc", "push"], source)[0].as_dict()
        pushed = remote_files()
        puller = root / f"pull-{uuid.uuid4().hex[:8]}"
        subprocess.run(["git", "clone", "-q", str(source), str(puller)], check=True)
        attach_local(puller, url, endpoint)
        pull = timed(["dvc", "pull"], puller)[0].as_dict()
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


# Sweep: a SLURM array of one task, then of two

def sweep(root: Path) -> dict:
    base = fresh_clone(PROJECT, root / "sweep-base")
    measured = measured_on([base])
    grid_file = base / "sweeps" / f"{SWEEP_NAME}.yaml"
    grid_file.write_text(SWEEP_GRID)
    grid = load_grid(grid_file)
    runs = []
    with local_s3() as server, local_slurm() as cluster:
        for tasks in SWEEP_TASKS:
            runs.append(sweep_run(root, base, grid, server, cluster, tasks))
    results = {"measured_on": measured, "versions": package_versions(), "grid": SWEEP_GRID,
               "points": len(grid_points(grid)), "runs": runs,
               "speedup": round(runs[0]["wall_s"] / runs[-1]["wall_s"], 2)}
    print("\n" + sweep_markdown(results), end="")
    return results


def sweep_run(root: Path, base: Path, grid, server: LocalS3, cluster: SlurmCluster, tasks: int) -> dict:
    """The grid as one array of `tasks` tasks of the committed job script, over a new bare repository and a
    new bucket: wall seconds from the submission to the last task's end, and what reached the git remote."""
    bucket = server.new_bucket("bench")
    # The remote's URL is tracked, as a team would commit it; each task adds the endpoint locally.
    dvc(base, "remote", "add", "-d", "-f", REMOTE, f"s3://{bucket}/store")
    subprocess.run(["git", "add", "-A"], cwd=base, check=True)
    subprocess.run(["git", "commit", "-qm", f"bench: sweep on {tasks} tasks"], cwd=base, check=True)
    origin = bare_origin(base, root / f"origin-{tasks}.git")
    logs = root / f"logs-{tasks}"
    logs.mkdir()
    print(f"sweep of {len(grid_points(grid))} points as an array of {tasks} task(s) ...", flush=True)
    load = os.getloadavg()[0]
    machine_before, own_before = machine_busy_s(), own_cpu_s()
    started = time.monotonic()
    job = cluster.sbatch(base / "sweeps" / "slurm-array.sh", f"sweeps/{SWEEP_NAME}.yaml",
                         options=(f"--array=1-{tasks}",), cwd=logs,
                         env=os.environ | {"REPO": str(origin), "VENV": sys.prefix, "S3_ENDPOINT": server.endpoint})
    finished = cluster.wait(job)
    wall = round(time.monotonic() - started, 1)
    machine_cpu, own_cpu = machine_busy_s() - machine_before, own_cpu_s() - own_before

    landed = sorted(experiment_refs(origin))
    expected = sorted(point_name(grid, point) for point in grid_points(grid))
    if landed != expected or any(task.state != "COMPLETED" for task in finished.values()):
        raise SystemExit(f"{tasks} task(s): {[(k, t.state, str(t.log)) for k, t in finished.items()]}; the git "
                         f"remote holds {landed}, not each of {expected} once")
    per_task = []
    for index, task in sorted(finished.items()):
        ran = task.log.read_text().count("ran and pushed")
        if ran != len(shard(grid_points(grid), index, tasks)):
            raise SystemExit(f"task {index}/{tasks} ran {ran} points:\n{task.log.read_text()}")
        per_task.append({"shard": f"{index}/{tasks}", "points": ran})
    print(f"{tasks} task(s): {wall:.1f} s; each point once on the git remote", flush=True)
    # The machine is shared: what the others used in the meantime says how much of it the sweep had.
    return {"tasks": tasks, "wall_s": wall, "loadavg_1min_at_start": round(load, 2),
            "machine_busy_cpu_s": round(machine_cpu, 1), "own_cpu_s": round(own_cpu, 1),
            "refs_on_git_remote": len(landed), "objects_on_s3": len(server.objects(bucket)), "per_task": per_task}


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
    rows = [[str(run["tasks"]), f"{run['wall_s']:.1f}", f"{run['machine_busy_cpu_s']:.0f}",
             f"{run['loadavg_1min_at_start']:.1f}", ", ".join(str(task["points"]) for task in run["per_task"])]
            for run in results["runs"]]
    first, last = results["runs"][0], results["runs"][-1]
    lines = [*markdown_table(["array tasks at once", "wall s", "machine's CPU s meanwhile", "load at start",
                              "points per task"], ["---:", "---:", "---:", "---:", "---"], rows), "",
             f"{results['points']} grid points as one SLURM array (`sweeps/slurm-array.sh`, each task a fresh clone "
             f"of a shared bare git repository running `lstm-parity sweep run --shard k/N`, pushing to one S3 "
             f"remote), on a one-node SLURM cluster of this machine's {results['measured_on']['machine']['cores']} "
             f"cores; every point reached the git remote once. {first['tasks']} task to {last['tasks']}: "
             f"**{results['speedup']}x**."]
    return "\n".join(lines) + "\n"


def results_markdown(results: dict) -> str:
    sections = [name for name in ("transfer", "sweep") if name in results]
    if not sections:
        raise SystemExit(f"{RESULTS_FILE}: no transfer or sweep results; run `python bench/remote.py transfer` first")
    blocks = {"transfer": transfer_markdown, "sweep": sweep_markdown}
    body = "\n".join(blocks[name](results[name]) for name in sections)
    versions = results[sections[0]]["versions"]
    # One line when both were measured on the same commit and machine, one per mode otherwise.
    footer = " ".join(measured_lines([(results[name]["measured_on"], f"python bench/remote.py {name}")
                                      for name in sections]))
    footer += " Remote packages: " + ", ".join(f"{name} {version}" for name, version in sorted(versions.items())) + "."
    return body + "\n" + footer + "\n"


# Command line

def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python bench/remote.py", description=__doc__.splitlines()[0])
    parser.add_argument("--results", type=Path, default=RESULTS_FILE, help="results file (default: %(default)s)")
    parser.add_argument("mode", choices=["transfer", "sweep", "table"])
    args = parser.parse_args(argv)
    results = json.loads(args.results.read_text()) if args.results.exists() else {}
    if args.mode == "table":
        print(results_markdown(results), end="")
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
