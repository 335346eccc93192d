"""Training shows in DVC's tools while it runs: `dvc exp show` lists a running experiment's steps (dvclive
writes the training metrics of record at every validation check), and its step files hold a row per check."""
from __future__ import annotations

import json
import subprocess
import time

import pytest

from tests.conftest import TINY, dvc, set_param, tool_env

pytestmark = pytest.mark.pipeline

LIVE_METRICS = "metrics/train/metrics.json"


def shown_step(repo, name: str) -> int | None:
    """The step `dvc exp show` reports for the experiment `name`, from its training metrics of record."""
    for commit in json.loads(dvc(repo, "exp", "show", "--json").stdout):
        for experiment in commit.get("experiments") or []:
            for entry in experiment["revs"]:
                if entry.get("name") == name:
                    metrics = ((entry.get("data") or {}).get("metrics") or {}).get(LIVE_METRICS) or {}
                    return (metrics.get("data") or {}).get("step")
    return None


def test_a_running_experiment_shows_its_steps(repo):
    epochs = 100  # long enough to be seen mid-run: 100 x 31 steps, a check every 10
    set_param(repo, "train.epochs", epochs)
    baseline = json.loads((repo / LIVE_METRICS).read_text())["step"]
    run = subprocess.Popen(["dvc", "exp", "run", "--temp", "-n", "live"], cwd=repo, env=tool_env(),
                           stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    seen: list[int] = []
    deadline = time.monotonic() + 600
    while run.poll() is None and time.monotonic() < deadline:
        step = shown_step(repo, "live")
        if step is not None and run.poll() is None:
            seen.append(step)
    out, _ = run.communicate()
    assert run.returncode == 0, out
    total = epochs * (TINY["data"]["count"] // TINY["train"]["batch_size"])
    # Before training starts the run's copy shows the baseline's step; then its own, as it goes.
    progress = [step for step in seen if step != baseline]
    assert [step for step in progress if 0 < step < total], f"no step of the running experiment seen: {seen}"
    assert progress == sorted(progress)
    assert shown_step(repo, "live") == total
