"""A sweep spread over machines: workers in fresh clones of a shared bare git repository and one S3
remote run their shares at the same time; one is killed and its share rerun; a collector sees it all."""
from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import yaml

from lstm_parity.sweep.grid import grid_points, parse_grid, point_name, shard
from tests.conftest import dvc, git, run, run_command, tool_env

pytestmark = pytest.mark.pipeline

GRID = "params:\n  train.units: [2, 4]\n  train.seed: [0, 1]\n"


def machine(origin: Path, path: Path, endpoint: str) -> Path:
    """A fresh clone: what a job on another machine starts from."""
    run(["git", "clone", "-q", str(origin), str(path)], path.parent)
    dvc(path, "remote", "modify", "--local", "shared", "endpointurl", endpoint)
    return path


def sweep(clone: Path, *args: str) -> subprocess.Popen:
    return subprocess.Popen([sys.executable, "-m", "lstm_parity", "sweep", *args, "--grid", "sweeps/tiny.yaml"],
                            cwd=clone, env=tool_env(), stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                            text=True, start_new_session=True)


def exp_refs(origin: Path) -> list[str]:
    refs = git(origin, "for-each-ref", "--format=%(refname)", "refs/exps").stdout.split()
    return [ref.rsplit("/", 1)[1] for ref in refs]


def test_sweep_over_two_machines_survives_a_killed_worker(repo, s3_remote, tmp_path):
    grid = parse_grid("tiny", GRID)
    names = [point_name(grid, p) for p in grid_points(grid)]
    (repo / "sweeps").mkdir()
    (repo / "sweeps/tiny.yaml").write_text(GRID)
    s3_remote.attach(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "sweep and shared remote")
    dvc(repo, "push", "--run-cache")
    origin = tmp_path / "origin.git"
    run(["git", "clone", "-q", "--bare", str(repo), str(origin)], tmp_path)

    started = time.monotonic()
    first = machine(origin, tmp_path / "machine1", s3_remote.endpoint)
    second = machine(origin, tmp_path / "machine2", s3_remote.endpoint)
    workers = [sweep(first, "run", "--shard", "1/2"), sweep(second, "run", "--shard", "2/2")]
    # Kill the second worker once its first point is on the git remote: its second is then mid-run.
    second_share = {point_name(grid, p) for p in shard(grid_points(grid), 2, 2)}
    while not second_share & set(exp_refs(origin)):
        assert workers[1].poll() is None, workers[1].stdout.read()
        time.sleep(0.3)
    assert workers[1].poll() is None  # still running its second point
    os.killpg(workers[1].pid, signal.SIGKILL)
    workers[1].wait()
    out, _ = workers[0].communicate(timeout=600)
    assert workers[0].returncode == 0, out
    assert len(exp_refs(origin)) == 3, exp_refs(origin)

    rerun = sweep(machine(origin, tmp_path / "machine3", s3_remote.endpoint), "run", "--shard", "2/2")
    out, _ = rerun.communicate(timeout=600)
    assert rerun.returncode == 0, out
    assert out.count("already on origin, skipped") == 1 and out.count("ran and pushed") == 1, out
    print(f"sweep of {len(names)} points on 2 machines, one killed and rerun: {time.monotonic() - started:.0f} s")
    assert sorted(exp_refs(origin)) == sorted(names)  # every point once: none lost, none twice

    collector = machine(origin, tmp_path / "collector", s3_remote.endpoint)
    shown = run_command("sweep", "collect", "--grid", "sweeps/tiny.yaml", "--json", str(tmp_path / "points.json"),
                      cwd=collector)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    lines = shown.stdout.splitlines()
    assert "eval.heldout.accuracy" in lines[0]
    assert {line.split()[0] for line in lines[1:]} == set(names)
    assert not [line for line in lines[1:] if " - " in f" {line} "], shown.stdout
    listed = {e.get("name") for c in json.loads(dvc(collector, "exp", "show", "--json").stdout)
              for x in (c.get("experiments") or []) for e in x["revs"]}
    assert set(names) <= listed
    # The results file: every point in grid order, with the commit its experiment is on the git remote
    # under, and the params and metrics that commit recorded.
    commits = dict(line.split()[::-1] for line in git(origin, "for-each-ref", "--format=%(objectname) %(refname)",
                                                      "refs/exps").stdout.splitlines())
    recorded = json.loads((tmp_path / "points.json").read_text())
    seq_len = yaml.safe_load((repo / "params.yaml").read_text())["data"]["seq_len"]  # the baseline's, unswept
    assert [entry["name"] for entry in recorded] == names
    for entry in recorded:
        assert commits[next(ref for ref in commits if ref.endswith(f"/{entry['name']}"))] == entry["rev"]
        assert {key: entry["params"][key] for key in entry["point"]} == entry["point"]
        assert entry["params"]["data.seq_len"] == seq_len and 0 <= entry["metrics"]["eval.heldout.accuracy"] <= 1

    # The first machine's last point: its model is still in that machine's workspace.
    last = point_name(grid, shard(grid_points(grid), 1, 2)[-1])
    dvc(collector, "exp", "apply", last)
    dvc(collector, "pull")
    assert (collector / "models/model.keras").read_bytes() == (first / "models/model.keras").read_bytes()
    assert "Data and pipelines are up to date" in dvc(collector, "status").stdout
