"""The phase diagram: for which sizes and training lengths an LSTM learns parity, how often and how fast.
Run from the project root, with the project's environment active:

    python bench/phase.py run       # the grid of sweeps/phase.yaml as DVC experiments; writes bench/results/phase.json
    python bench/phase.py table     # from that JSON only: bench/results/phase.png and the README's markdown

`run` runs the grid exactly as a team would over machines (README, "Past one machine"), here with two
workers on this one machine: a bare clone of the committed HEAD stands in for the shared git remote, a
local folder for the shared DVC remote, and each worker is a fresh clone running
`python -m stages.sweep run --grid sweeps/phase.yaml --shard k/N`. The wall time is from the first
worker's start to the last one's end. Then a fresh clone collects every experiment's commit, params and
metrics (`python -m stages.sweep collect --metrics-only --json ...`) into the results file, with the
commit the grid ran on. `--workdir DIR` keeps the clones and remotes in DIR; running again with the same
DIR resumes (the sweep skips points already pushed), and the results say so.
"""
from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

if __package__ in (None, ""):  # run as `python bench/phase.py`, which puts bench/, not the project, on sys.path
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.remote import finish_timed, machine_busy_s, start_timed
from bench.run import PROJECT, RESULTS, bench_env, measured_on
from stages.files import write_json

GRID = Path("sweeps/phase.yaml")
RESULTS_FILE = RESULTS / "phase.json"
REMOTE = "shared"
WORKERS = 2


def git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True)


def dvc(repo: Path, *args: str) -> str:
    result = subprocess.run(["dvc", *args], cwd=repo, env=bench_env(), capture_output=True, text=True)
    if result.returncode != 0:
        raise SystemExit(f"`dvc {' '.join(args)}` in {repo} failed:\n{result.stdout}{result.stderr}")
    return result.stdout


def clone(origin: Path, repo: Path, storage: Path) -> Path:
    """A worker: a clone of the shared git remote, the shared DVC remote set in its local config (a
    machine's own setting, so the experiments' commits are the project's, untouched)."""
    if not repo.exists():
        git("clone", "-q", str(origin), str(repo))
        dvc(repo, "remote", "add", "--local", "-d", REMOTE, str(storage))
    return repo


def run(workdir: Path, workers: int) -> dict:
    origin, storage = workdir / "origin.git", workdir / "dvc-remote"
    resumed = origin.exists()
    if not resumed:
        git("clone", "-q", "--bare", str(PROJECT), str(origin))
        storage.mkdir()
    clones = [clone(origin, workdir / f"worker-{k}", storage) for k in range(1, workers + 1)]
    measured = measured_on(clones)
    print(f"{GRID} on {workers} workers at once, in {workdir} ...", flush=True)
    load = os.getloadavg()[0]
    busy_before = machine_busy_s()
    started = time.monotonic()
    running = [start_timed([sys.executable, "-m", "stages.sweep", "run", "--grid", str(GRID),
                            "--shard", f"{k}/{workers}"], repo) for k, repo in enumerate(clones, start=1)]
    try:
        finished = [finish_timed(*process) for process in running]
    finally:
        for process, _ in running:  # a failed worker stops the run: end the others too
            if process.poll() is None:
                process.kill()
    wall = round(time.monotonic() - started, 1)
    machine_cpu = machine_busy_s() - busy_before
    per_worker = [{"shard": f"{k}/{workers}", "ran": output.count("ran and pushed"),
                   "skipped": output.count("skipped"), **stats}
                  for k, (stats, output) in enumerate(finished, start=1)]
    sweep_cpu = sum(w["cpu_s"] for w in per_worker)
    print(f"{wall:.0f} s on {workers} workers; collecting ...", flush=True)

    collector = clone(origin, workdir / "collector", storage)
    collected = workdir / "collected.json"
    subprocess.run([sys.executable, "-m", "stages.sweep", "collect", "--grid", str(GRID), "--metrics-only",
                    "--json", str(collected)], cwd=collector, env=bench_env(), check=True,
                   stdout=subprocess.DEVNULL)
    return {"measured_on": measured, "grid_file": str(GRID), "grid": (collector / GRID).read_text(),
            "workers": workers, "wall_s": wall, "resumed": resumed, "loadavg_1min_at_start": round(load, 2),
            "sweep_cpu_s": round(sweep_cpu, 1), "others_cpu_s": round(max(0.0, machine_cpu - sweep_cpu), 1),
            "per_worker": per_worker, "points": json.loads(collected.read_text())}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    run_parser = modes.add_parser("run", help=f"run {GRID} as DVC experiments; write {RESULTS_FILE.name}")
    run_parser.add_argument("--workers", type=int, default=WORKERS, help=f"workers at once (default {WORKERS})")
    run_parser.add_argument("--workdir", type=Path, help="keep clones and remotes here; the same DIR resumes")
    modes.add_parser("table", help="the heatmap PNG and the README's markdown, from the results file only")
    args = parser.parse_args(argv)
    if args.mode == "run":
        if args.workdir is None:
            args.workdir = Path(tempfile.mkdtemp(prefix="phase-"))
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = run(args.workdir.resolve(), args.workers)
        write_json(RESULTS_FILE, results)
        print(f"wrote {RESULTS_FILE.relative_to(PROJECT)}")
        return 0
    from bench.phase_table import render  # matplotlib only here
    print(render(json.loads(RESULTS_FILE.read_text()), RESULTS / "phase.png"), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
