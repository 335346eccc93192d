"""A sweep on a real SLURM cluster: the committed job script (sweeps/slurm-array.sh), submitted as it is,
runs a grid as an array of tasks, each a fresh clone of a shared bare git repository pushing to one S3
remote (moto's); then the faults: a task cancelled mid-run and requeued, a task whose share holds a bad
value, and two tasks on the same share."""
from __future__ import annotations

import json
import os
import re
import sys
import time
from pathlib import Path

import pytest

from lstm_parity.sweep.grid import grid_points, load_grid, point_name, shard
from lstm_parity.sweep.local import bare_origin, experiment_refs, worker_clone
from tests.conftest import PROJECT, dvc, git, run_command

pytestmark = pytest.mark.pipeline

JOB_SCRIPT = PROJECT / "sweeps" / "slurm-array.sh"


def sweep_repo(repo: Path, s3_remote, tmp_path: Path, overrides: list[str]) -> tuple[Path, Path]:
    """The tiny project with a grid file and the S3 remote committed, its data pushed, and a bare clone of it
    as the git remote every task clones: (origin, grid path inside the repository)."""
    grid = Path("sweeps/tiny.yaml")
    (repo / grid).parent.mkdir(exist_ok=True)
    (repo / grid).write_text("overrides:\n" + "".join(f"  - {line}\n" for line in overrides))
    s3_remote.attach(repo)
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "a grid and the shared remote")
    dvc(repo, "push", "--run-cache")
    return bare_origin(repo, tmp_path / "origin.git"), grid


def submit(slurm_cluster, origin: Path, grid: Path, s3_remote, folder: Path, tasks: int = 2, **env: str) -> int:
    """The job script as a user submits it: an array of `tasks`, logs in `folder`."""
    env = {"REPO": str(origin), "VENV": sys.prefix, "S3_ENDPOINT": s3_remote.endpoint, **env}
    return slurm_cluster.sbatch(JOB_SCRIPT, str(grid), options=(f"--array=1-{tasks}",), env=os.environ | env,
                                cwd=folder)


def log_text(task) -> str:
    return task.log.read_text() if task.log and task.log.exists() else ""


def test_an_array_runs_the_grid_and_a_cancelled_task_requeued_loses_nothing(slurm_cluster, repo, s3_remote, tmp_path):
    origin, grid = sweep_repo(repo, s3_remote, tmp_path, ["train.units=2,4", "train.seed=0,1"])
    points = grid_points(load_grid(repo / grid))
    names = [point_name(load_grid(repo / grid), p) for p in points]
    second_share = [point_name(load_grid(repo / grid), p) for p in shard(points, 2, 2)]
    job = submit(slurm_cluster, origin, grid, s3_remote, tmp_path)

    # Cancel task 2 once its first point is on the git remote: its second point is then running.
    deadline = time.monotonic() + 600
    while second_share[0] not in experiment_refs(origin):
        assert time.monotonic() < deadline and slurm_cluster.tasks(job)[2].state in {"PENDING", "RUNNING"}, \
            log_text(slurm_cluster.tasks(job)[2])
        time.sleep(0.5)
    slurm_cluster.cancel(job, 2)
    assert slurm_cluster.wait(job)[2].state == "CANCELLED"
    assert second_share[1] not in experiment_refs(origin)

    slurm_cluster.requeue(job, 2)
    while slurm_cluster.tasks(job)[2].state == "CANCELLED":  # requeued: it pends, then runs again
        time.sleep(0.2)
    tasks = slurm_cluster.wait(job)
    assert {k: t.state for k, t in tasks.items()} == {1: "COMPLETED", 2: "COMPLETED"}
    rerun = log_text(tasks[2])
    assert f"{second_share[0]}: already on origin, skipped" in rerun, rerun
    assert f"{second_share[1]}: ran and pushed" in rerun, rerun
    assert sorted(experiment_refs(origin)) == sorted(names)  # every point once: none lost, none twice

    # Anyone collects the table; every point's outputs are on S3: a collector pulls them, and one model.
    collector = worker_clone(origin, tmp_path / "collector", "shared", endpoint=s3_remote.endpoint)
    shown = run_command("sweep", "collect", "--grid", str(grid), "--json", str(tmp_path / "points.json"),
                        cwd=collector)
    assert shown.returncode == 0, shown.stdout + shown.stderr
    assert {line.split()[0] for line in shown.stdout.splitlines()[1:]} == set(names)
    recorded = json.loads((tmp_path / "points.json").read_text())
    assert [entry["name"] for entry in recorded] == names
    for entry in recorded:
        assert entry["rev"] == experiment_refs(origin)[entry["name"]]
        assert {key: entry["params"][key] for key in entry["point"]} == entry["point"]
        assert 0 <= entry["metrics"]["eval.heldout.accuracy"] <= 1 and entry["metrics"]["train.step"] > 0
    dvc(collector, "exp", "apply", names[-1])
    dvc(collector, "pull")
    assert "Data and pipelines are up to date" in dvc(collector, "status").stdout


def test_a_failing_task_ends_the_array_and_names_its_log(slurm_cluster, repo, s3_remote, tmp_path):
    """Task 2's share holds a value params refuse: it fails at once, before running anything, with one line
    naming the point and the key, then cancels the array; its last line names its log."""
    origin, grid = sweep_repo(repo, s3_remote, tmp_path, ["train.units=2,0"])
    job = submit(slurm_cluster, origin, grid, s3_remote, tmp_path)
    tasks = slurm_cluster.wait(job, timeout=300)
    assert tasks[2].state == "FAILED" and tasks[2].exit_code == 2
    assert tasks[1].state in {"CANCELLED", "COMPLETED"}
    errors = [line for line in log_text(tasks[2]).splitlines() if line.startswith("error:")]
    assert re.fullmatch(r"error: tiny: tiny-[0-9a-f]{10} \(train.units=0\): train.units must be >= 1, got 0",
                        errors[0]), errors
    assert errors[1].startswith(f"error: task 2 of array {job} failed (exit 2); its log: {tasks[2].log};")
    assert not experiment_refs(origin) or list(experiment_refs(origin)) == [
        point_name(load_grid(repo / grid), grid_points(load_grid(repo / grid))[0])]


def test_two_tasks_on_one_share_do_not_both_claim_a_point(slurm_cluster, repo, s3_remote, tmp_path):
    """The same one-task array submitted twice (as after a resubmission while the first still runs): both
    run the whole grid at once; each point reaches the git remote once, and only the task whose run is
    there says it ran and pushed it."""
    origin, grid = sweep_repo(repo, s3_remote, tmp_path, ["train.seed=0,1"])
    jobs = [submit(slurm_cluster, origin, grid, s3_remote, tmp_path, tasks=1) for _ in range(2)]
    tasks = [slurm_cluster.wait(job)[1] for job in jobs]
    assert [task.state for task in tasks] == ["COMPLETED", "COMPLETED"], [log_text(task) for task in tasks]
    logs = "\n".join(log_text(task) for task in tasks)
    names = [point_name(load_grid(repo / grid), p) for p in grid_points(load_grid(repo / grid))]
    assert sorted(experiment_refs(origin)) == sorted(names)
    for name in names:
        assert logs.count(f"{name}: ran and pushed") == 1, logs
        assert logs.count(f"{name}: already on origin, skipped") + \
            logs.count(f"{name}: another machine pushed it first") == 1, logs
