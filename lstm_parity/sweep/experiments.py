"""A sweep spread over machines: each machine runs its share of a grid as DVC experiments and pushes them;
anyone collects them afterwards.

A point whose experiment is on the git remote is skipped, so a rerun resumes. Each experiment's data go
to the DVC remote (with the run cache) before its git ref goes to the git remote, so a ref there always
has its outputs. Nothing here schedules machines: a SLURM array, a Kubernetes indexed Job or a CI
matrix starts one `run` per share.
"""
from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from lstm_parity.files import write_json
from lstm_parity.params import PARAMS_FILE
from lstm_parity.sweep.grid import (
    Grid,
    SweepError,
    check_points,
    grid_points,
    overrides,
    point_name,
    points_table,
    shard,
)


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in flatten(value, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): data}


def _call(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(list(args), capture_output=True, text=True)
    except FileNotFoundError:
        raise SweepError(f"`{args[0]}` not found: run with the project's environment active") from None
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
        raise SweepError(f"`{' '.join(args)}` failed: {detail}")
    return result


def metric_prefix(path: str) -> str:
    """A metrics file's prefix in flattened keys: its path less `metrics/`, the suffix and a dvclive
    folder's own file name (metrics/eval.json -> eval, metrics/train/metrics.json -> train)."""
    parts = list(Path(path).with_suffix("").parts)
    if parts and parts[0] == "metrics":
        parts = parts[1:]
    if len(parts) > 1 and parts[-1] == "metrics":
        parts = parts[:-1]
    return ".".join(parts) + "."


def _experiment_commits(remote: str | None = None) -> dict[str, str]:
    """Experiment name -> commit, in this repository or on a git remote."""
    if remote is None:
        lines = _call("git", "for-each-ref", "--format=%(objectname) %(refname)", "refs/exps").stdout.splitlines()
    else:
        lines = _call("git", "ls-remote", remote, "refs/exps/*").stdout.splitlines()
    return {ref.rsplit("/", 1)[1]: commit for commit, ref in (line.split() for line in lines)}


def _claim(git_remote: str, name: str) -> bool:
    """Push the experiment's git ref, if and only if the remote has none by that name: a ref is created
    atomically by git (an update from nothing), so of two machines that ran the same point, exactly one
    creates it and says so; the other finds it made, and claims nothing."""
    ref = _call("git", "for-each-ref", "--format=%(refname)", f"refs/exps/**/{name}").stdout.split()[0]
    pushed = _call("git", "push", "--porcelain", git_remote, f"{ref}:{ref}", check=False)
    flags = [line.split("\t")[0] for line in pushed.stdout.splitlines() if f"\t{ref}:{ref}\t" in line]
    if flags == ["*"]:  # a new ref, ours
        return True
    if flags in (["!"], ["="]):  # rejected (the remote has one), or up to date (another pushed the same commit)
        return False
    raise SweepError(f"`git push {git_remote} {ref}` failed: {(pushed.stderr or pushed.stdout).strip()[-300:]}")


def run_share(grid: Grid, index: int, count: int, git_remote: str, dvc_remote: str | None,
              params_file: Path = PARAMS_FILE) -> int:
    """Run this machine's share of the grid, each point as a named experiment, and push each as it ends.
    The share's points are checked first, so a bad value stops it before anything runs."""
    remote = ["-r", dvc_remote] if dvc_remote else []
    points = grid_points(grid)
    mine = shard(points, index, count)
    check_points(grid, mine, params_file)
    done_remotely = _experiment_commits(git_remote)
    print(f"share {index}/{count}: {len(mine)} of {len(points)} points", flush=True)
    for point in mine:
        name = point_name(grid, point)
        if name in done_remotely:
            print(f"{name}: already on {git_remote}, skipped", flush=True)
            continue
        if name not in _experiment_commits():  # a rerun in the same clone may have run it and died before pushing
            _call("dvc", "exp", "run", "--pull", "-n", name, *overrides(point))
        # Outputs and run cache first, then the git ref: a ref on the remote always has its data.
        _call("dvc", "push", "--run-cache", *remote)
        if _claim(git_remote, name):
            print(f"{name}: ran and pushed ({' '.join(point.overrides)})", flush=True)
        else:
            print(f"{name}: another machine pushed it first; this run's result is not the one on {git_remote}",
                  flush=True)
    return 0


def experiments() -> dict[str, dict[str, Any]]:
    """Every experiment in this repository, by name: its git commit, its baseline's, its params and its
    metrics, both flattened to dotted keys (`train.units`; metrics prefixed with the file's stem,
    `eval.heldout.accuracy`, `train.step`), as `dvc exp show` reads them from the experiment's commit."""
    found: dict[str, dict[str, Any]] = {}
    for commit in json.loads(_call("dvc", "exp", "show", "--json").stdout):
        for exp in commit.get("experiments") or []:
            for entry in exp["revs"]:
                data = entry.get("data") or {}
                params = {}
                for content in (data.get("params") or {}).values():
                    params.update(flatten((content or {}).get("data") or {}))
                metrics = {}
                for path, content in (data.get("metrics") or {}).items():
                    metrics.update(flatten((content or {}).get("data") or {}, metric_prefix(path)))
                found[entry.get("name") or entry["rev"]] = {
                    "rev": entry["rev"], "baseline": commit["rev"], "params": params, "metrics": metrics}
    return found


def collect(grid: Grid, git_remote: str, with_outputs: bool = True, json_out: Path | None = None) -> int:
    points = grid_points(grid)
    names = [point_name(grid, point) for point in points]
    on_remote = _experiment_commits(git_remote)
    present = [name for name in names if name in on_remote]
    if present:
        _call("dvc", "exp", "pull", *([] if with_outputs else ["--no-cache"]), git_remote, *present)
    found = experiments()
    rows = {name: found[name]["metrics"] for name in names if name in found}
    columns = sorted({c for name in present for c in rows.get(name, {})
                      if c.startswith("eval.") and c.endswith(".accuracy") and ".buckets." not in c})
    print(points_table(grid, rows, ["train.step", *columns]))
    if json_out is not None:  # every point of the grid, in grid order, with what its experiment recorded
        write_json(json_out, [{"name": name, "point": point.values, **found.get(name, {})}
                              for point, name in zip(points, names, strict=True)])
    missing = [name for name in names if name not in rows]
    if missing:
        print(f"missing: {len(missing)} of {len(names)} points: {' '.join(missing)}", file=sys.stderr)
        return 1
    return 0
