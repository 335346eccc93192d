"""The rerun rules, from dvc.yaml's dependencies alone, with the real dvc CLI on tiny params."""
from __future__ import annotations

import json

import pytest

from tests.conftest import dvc, ran_stages, set_param, snapshot

pytestmark = pytest.mark.pipeline


def changed(before: dict, after: dict, prefix: str, content_only: bool = False) -> set[str]:
    """Files under prefix that appeared, vanished or were rewritten (or whose bytes changed)."""
    keys = {k for k in set(before) | set(after) if k.startswith(prefix)}
    if content_only:
        return {k for k in keys if (before.get(k) or (None,))[0] != (after.get(k) or (None,))[0]}
    return {k for k in keys if before.get(k) != after.get(k)}


def repro(repo, key=None, value=None):
    if key:
        set_param(repo, key, value)
    before = snapshot(repo, "data", "models", "metrics", "plots")
    result = dvc(repo, "repro")
    return before, snapshot(repo, "data", "models", "metrics", "plots"), ran_stages(result)


def test_train_param_retrains_and_reevaluates_without_touching_data(repo):
    before, after, ran = repro(repo, "train.epochs", 3)
    assert ran == ["check_params", "train", "evaluate", "explain", "report"]
    assert not changed(before, after, "data/")
    assert changed(before, after, "models/model.keras")
    assert changed(before, after, "metrics/eval.json")


def test_count_regenerates_train_set_only(repo):
    before, after, ran = repro(repo, "data.count", 1500)
    assert "generate_train" in ran and not [s for s in ran if s.startswith(("generate_heldout", "generate_length"))]
    assert changed(before, after, "data/train/", content_only=True)
    assert not changed(before, after, "data/heldout/") and not changed(before, after, "data/lengths/")


def test_seq_len_regenerates_train_and_heldout_not_lengths(repo):
    before, after, ran = repro(repo, "data.seq_len", 10)
    assert {"generate_train", "generate_heldout", "train", "evaluate"} <= set(ran)
    assert changed(before, after, "data/heldout/", content_only=True)
    assert not changed(before, after, "data/lengths/")
    sections = json.loads((repo / "results/eval.json").read_text())  # the metrics of record omit constants
    assert sections["heldout"]["length"] == 10


def test_new_length_adds_its_set_keeps_the_others_bytes_and_reevaluates(repo):
    """All length sets are one output, so the stage writes them all again: the old ones byte for byte."""
    before, after, ran = repro(repo, "evaluate.lengths", [16, 20, 24])
    assert ran == ["check_params", "generate_lengths", "evaluate", "report"]
    assert {k.split("/")[2] for k in changed(before, after, "data/", content_only=True)} == {"20"}
    assert not changed(before, after, "models/")
    assert json.loads((repo / "results/eval.json").read_text())["length_20"]["length"] == 20
    recorded = json.loads((repo / "metrics/eval.json").read_text())
    assert set(recorded) == {"heldout", "length_16", "length_20", "length_24"}


def test_explain_param_reruns_only_explain_and_its_figures(repo):
    """What the model learned is read apart from how it scores: an explain.* edit neither retrains nor
    evaluates the lengths again."""
    before, after, ran = repro(repo, "explain.seed", 1)
    assert ran == ["check_params", "explain", "report"]
    assert not changed(before, after, "data/") and not changed(before, after, "models/")
    assert not changed(before, after, "metrics/eval.json", content_only=True)  # report copies it again, same bytes
    assert changed(before, after, "plots/state_projection.png", content_only=True)


def test_removed_length_leaves_nothing_behind(repo):
    _, _, ran = repro(repo, "evaluate.lengths", [24])
    assert ran == ["check_params", "generate_lengths", "evaluate", "report"]
    assert sorted(p.name for p in (repo / "data/lengths").iterdir()) == ["24"]
    assert "length_16" not in json.loads((repo / "metrics/eval.json").read_text())
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout


def test_nothing_changed_runs_nothing(repo):
    before, after, ran = repro(repo)
    assert ran == []
    assert before == after
    assert "Data and pipelines are up to date" in dvc(repo, "status").stdout


def test_metrics_cover_heldout_and_every_length(reproduced):
    """The metrics of record hold the compared figures of every set; the results beside them the rest."""
    shown = json.loads(dvc(reproduced, "metrics", "show", "--json").stdout)
    sections = shown[""]["data"]["metrics/eval.json"]["data"]
    assert set(sections) == {"heldout", "length_16", "length_24"}
    for section in sections.values():
        assert set(section) == {"accuracy", "confidence"} and 0.5 <= section["confidence"] <= 1.0
    results = json.loads((reproduced / "results/eval.json").read_text())
    for name, section in results.items():
        assert {"accuracy", "step_accuracy", "confidence", "length", "count"} <= set(section)
        assert {key: section[key] for key in ("accuracy", "confidence")} == sections[name]
