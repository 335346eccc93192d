"""The DVC workflow on this project, with the real CLI: run cache, experiments, a queued sweep,
comparison across commits, plots, and sharing through a remote."""
from __future__ import annotations

import json
import re
import time

import pytest

from tests.conftest import dvc, exp_rows, git, ran_stages, run, run_command, set_param, snapshot

pytestmark = pytest.mark.pipeline


def test_reverted_param_is_restored_from_the_run_cache(repo):
    before = snapshot(repo, "models", "metrics", "plots")
    set_param(repo, "train.learning_rate", 0.02)
    dvc(repo, "repro")
    set_param(repo, "train.learning_rate", 0.01)
    result = dvc(repo, "repro")
    output = result.stdout + result.stderr
    # Nothing recomputed: report, whose outputs git keeps (cache: false) and no run cache can carry, writes
    # them again from the restored results, the same bytes
    assert not [s for s in ran_stages(result) if s not in ("check_params", "report")]
    assert "Stage 'train' is cached - skipping run, checking out outputs" in output
    assert {k: v[0] for k, v in snapshot(repo, "models", "metrics", "plots").items()} == \
        {k: v[0] for k, v in before.items()}
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout


def test_experiment_is_recorded_shown_and_applied(repo):
    result = dvc(repo, "exp", "run", "-S", "train.epochs=3", "-S", "data.count=600")
    name = re.search(r"Ran experiment\(s\): (\S+)", result.stdout + result.stderr).group(1)
    rows = {row["name"]: row for row in exp_rows(repo)}
    assert rows[name]["params"]["train"]["epochs"] == 3 and rows[name]["params"]["data"]["count"] == 600
    assert "heldout" in rows[name]["metrics"]
    baseline = next(row for row in rows.values() if row["params"]["train"]["epochs"] == 2)
    assert "heldout" in baseline["metrics"]
    git(repo, "checkout", "--", "params.yaml", "dvc.lock", "metrics", "plots")
    dvc(repo, "checkout")
    dvc(repo, "exp", "apply", name)
    assert "epochs: 3" in (repo / "params.yaml").read_text()
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout


def test_queued_sweep_runs_with_two_workers(repo):
    dvc(repo, "exp", "run", "--queue", "-S", "train.units=1,2,4")
    dvc(repo, "queue", "start", "-j", "2")
    deadline = time.time() + 600
    while time.time() < deadline:
        status = dvc(repo, "queue", "status").stdout
        if not re.search(r"\b(Queued|Running)\b", status):
            break
        time.sleep(2)
    assert "Failed" not in status, status
    assert status.count("Success") == 3, status
    units = {row["params"]["train"]["units"] for row in exp_rows(repo) if "heldout" in row["metrics"]}
    assert {1, 2, 4} <= units


def test_params_metrics_and_plots_diff_across_commits(repo, tmp_path):
    set_param(repo, "train.epochs", 3)
    dvc(repo, "repro")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "three epochs")
    params_diff = json.loads(dvc(repo, "params", "diff", "HEAD~1", "HEAD", "--json").stdout)
    assert params_diff["params.yaml"]["train.epochs"] == {"old": 2, "new": 3, "diff": 1}
    metrics_diff = json.loads(dvc(repo, "metrics", "diff", "HEAD~1", "HEAD", "--json", "--all").stdout)
    assert "heldout.accuracy" in metrics_diff["metrics/eval.json"]
    assert "step" in metrics_diff["metrics/train/metrics.json"]
    dvc(repo, "plots", "diff", "HEAD~1", "HEAD", "-o", str(tmp_path / "diff"))
    html = (tmp_path / "diff" / "index.html").read_text()
    for expected in ("training_curve", "errors_by_length", "doubt_by_length", "HEAD~1", "HEAD",
                     "state_sequence.png"):
        assert expected in html


def test_plots_show_leaves_git_status_clean(repo):
    dvc(repo, "plots", "show")
    assert (repo / "dvc_plots" / "index.html").exists()
    assert git(repo, "status", "--porcelain").stdout == ""


def test_metrics_show_fits_a_terminal(reproduced):
    """The metrics of record hold the figures a reader compares; constants and lists stay in results/: a
    column each for the held-out set's and two lengths' accuracy and confidence, training's step and
    outcome, the strings shared with training, and the automaton's states and flip (11 columns, about 230
    characters); the results would add dozens."""
    table = dvc(reproduced, "metrics", "show").stdout.splitlines()
    assert len(table[0].split()) == 1 + 11 and max(map(len, table)) <= 240, "\n".join(table)


def test_plots_show_renders_curves_and_images(repo, tmp_path):
    dvc(repo, "plots", "show", "-o", str(tmp_path / "show"))
    html = (tmp_path / "show" / "index.html").read_text()
    assert "training_curve" in html and "errors_by_length" in html and "doubt_by_length" in html
    images = sorted(p.name for p in (tmp_path / "show").rglob("*.png"))
    assert any("state_sequence" in name for name in images) and any("state_projection" in n for n in images)


def test_push_then_pull_in_a_fresh_clone_needs_no_rerun(repo, tmp_path):
    store = tmp_path / "store"
    dvc(repo, "remote", "add", "-d", "shared", str(store))
    git(repo, "add", ".dvc/config")
    git(repo, "commit", "-qm", "remote")
    dvc(repo, "push")
    clone = tmp_path / "clone"
    run(["git", "clone", "-q", str(repo), str(clone)], tmp_path)
    dvc(clone, "pull")
    assert "Data and pipelines are up to date" in dvc(clone, "status").stdout
    assert ran_stages(dvc(clone, "repro")) == []
    predicted = run_command("predict", "1101", cwd=clone)
    assert predicted.returncode == 0 and "actual:     1" in predicted.stdout
    # The model is a declared artifact: register a version (a GTO git tag), then fetch it by name from
    # the repository and its remote.
    git(repo, "tag", "-a", "parity-lstm@v0.1.0", "-m", "Registering artifact parity-lstm version 0.1.0")
    dvc(tmp_path, "artifacts", "get", str(repo), "parity-lstm", "-o", str(tmp_path / "fetched.keras"))
    assert (tmp_path / "fetched.keras").read_bytes() == (clone / "models/model.keras").read_bytes()
