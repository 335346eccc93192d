"""Switching branches, with and without DVC's git hooks: outputs stay consistent with the committed lock,
because no stage removes or edits another stage's outputs."""
from __future__ import annotations

import pytest

from tests.conftest import dvc, exp_rows, git, ran_stages, set_param

pytestmark = pytest.mark.pipeline


def branch_with_other_lengths(repo) -> None:
    """A branch `other` whose params list other lengths (and more data), reproduced and committed;
    the workspace is left on it."""
    git(repo, "checkout", "-q", "-b", "other")
    set_param(repo, "evaluate.lengths", [12, 20, 24, 40])
    set_param(repo, "data.count", 1200)
    dvc(repo, "repro")
    git(repo, "add", "-A")
    git(repo, "commit", "-qm", "other lengths")


def lock_is_committed(repo) -> bool:
    return git(repo, "status", "--porcelain", "dvc.lock", "metrics").stdout == ""


def test_checkout_then_repro_gives_the_committed_lock(repo):
    branch_with_other_lengths(repo)
    git(repo, "checkout", "-q", "main")  # without `dvc checkout`: the workspace still holds other's outputs
    dvc(repo, "repro")
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout
    assert lock_is_committed(repo)
    assert sorted(p.name for p in (repo / "data/lengths").iterdir()) == ["16", "24"]


def test_with_dvc_hooks_git_checkout_alone_is_enough(repo):
    dvc(repo, "install")  # post-checkout hook: `dvc checkout` after every `git checkout`
    branch_with_other_lengths(repo)
    git(repo, "checkout", "-q", "main")
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout
    assert ran_stages(dvc(repo, "repro")) == []
    git(repo, "checkout", "-q", "other")
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout
    assert sorted(p.name for p in (repo / "data/lengths").iterdir()) == ["12", "20", "24", "40"]


def test_temp_experiments_leave_the_workspace_and_do_not_inherit(repo):
    """`dvc exp run --temp`, as the README says to run experiments: the workspace's params.yaml is not
    rewritten, so a second experiment does not inherit the first one's -S."""
    params_before = (repo / "params.yaml").read_bytes()
    dvc(repo, "exp", "run", "--temp", "-n", "three-epochs", "-S", "train.epochs=3")
    assert (repo / "params.yaml").read_bytes() == params_before
    assert git(repo, "status", "--porcelain").stdout == ""
    dvc(repo, "exp", "run", "--temp", "-n", "one-unit", "-S", "train.units=1")
    rows = {row["name"]: row["params"]["train"] for row in exp_rows(repo)}
    assert rows["three-epochs"]["epochs"] == 3
    assert (rows["one-unit"]["units"], rows["one-unit"]["epochs"]) == (1, 2)  # TINY's epochs, not the 3 before
