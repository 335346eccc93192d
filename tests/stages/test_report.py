"""The report stage: the metrics of record and the copies for git, dvc.yaml's plots drawn as PNGs (the same
bytes for the same data, a perfect set told apart from a nearly perfect one), and the state figures."""
from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from lstm_parity.files import write_json
from lstm_parity.pipeline import locked_stages
from lstm_parity.states import write_states
from tests.conftest import PROJECT, run_stage
from tests.unit.test_states import fake_figures

EVAL = {"heldout": {"accuracy": 1.0, "step_accuracy": 1.0, "confidence": 0.9965, "length": 50, "count": 2000},
        "length_100": {"accuracy": 0.9995, "step_accuracy": 0.9999, "confidence": 0.996, "length": 100,
                       "count": 2000}}
SPLITS = {"training": {"count": 100000, "distinct": 100000},
          "validation": {"count": 2000, "distinct": 2000, "shared_with_training": 0},
          "heldout": {"count": 2000, "distinct": 1999, "shared_with_training": 0}}
AUTOMATON = {"states": 2, "is_parity_flip": True, "clusters": 16, "step_accuracy": 1.0,
             "machine": {"answer": [0, 1], "transitions": [[0, 1], [1, 0]]}}


def by_length(errors_at_100: int) -> list[dict]:
    return [{"set": "heldout", "length": 50, "count": 2000, "errors": 0, "accuracy": 1.0, "confidence": 0.9965},
            {"set": "length_100", "length": 100, "count": 2000, "errors": errors_at_100,
             "accuracy": 1 - errors_at_100 / 2000, "confidence": 0.996}]


@pytest.fixture
def project(tiny_run, tmp_path) -> Path:
    """A folder laid out as the project: its stages, dvc.yaml and templates, and the results report reads
    (the training log from a real tiny run, the rest written here)."""
    for name in ("stages", "dvc.yaml", ".dvc/plots"):
        source = PROJECT / name
        (shutil.copytree if source.is_dir() else shutil.copy)(source, tmp_path / name)
    shutil.copytree(tiny_run / "a/results", tmp_path / "results/train")
    write_json(tmp_path / "results/eval.json", EVAL)
    write_json(tmp_path / "results/splits.json", SPLITS)
    write_json(tmp_path / "results/automaton.json", AUTOMATON)
    write_json(tmp_path / "results/accuracy_by_length.json", {"accuracy_by_length": by_length(0)})
    write_states(tmp_path / "results/states.npz", fake_figures())
    return tmp_path


def report(folder: Path):
    """The report stage's command as dvc.lock records it, run in `folder`."""
    argv = next(stage.argv for stage in locked_stages(PROJECT) if stage.name == "report")
    return run_stage("report", *argv[3:], cwd=folder)


def pngs(folder: Path) -> dict[str, bytes]:
    return {path.name: path.read_bytes() for path in sorted((folder / "plots").glob("*.png"))}


def test_records_copies_and_figures_are_written(project):
    result = report(project)
    assert result.returncode == 0 and result.stderr == "", result.stderr
    assert json.loads((project / "metrics/eval.json").read_text()) == {
        "heldout": {"accuracy": 1.0, "confidence": 0.9965}, "length_100": {"accuracy": 0.9995, "confidence": 0.996}}
    assert json.loads((project / "metrics/automaton.json").read_text()) == {"states": 2, "is_parity_flip": True}
    assert json.loads((project / "metrics/splits.json").read_text()) == {"shared": 0}
    for copied in ("metrics.json", "plots/metrics/loss.tsv"):
        assert (project / "metrics/train" / copied).read_bytes() == (project / "results/train" / copied).read_bytes()
    assert set(pngs(project)) == {"training_curve.png", "errors_by_length.png", "doubt_by_length.png",
                                  "state_sequence.png", "state_projection.png"}
    assert all(png.startswith(b"\x89PNG") for png in pngs(project).values())


def test_same_data_same_bytes_and_one_error_shows(project):
    assert report(project).returncode == 0
    first = pngs(project)
    assert report(project).returncode == 0
    assert pngs(project) == first  # the state figures too
    write_json(project / "results/accuracy_by_length.json", {"accuracy_by_length": by_length(1)})
    assert report(project).returncode == 0
    changed = {name for name, png in pngs(project).items() if png != first[name]}
    assert changed == {"errors_by_length.png"}  # confidence and curve unchanged


def test_missing_results_are_named_in_one_line(project):
    (project / "results/eval.json").unlink()
    result = report(project)
    assert result.returncode == 2
    assert result.stderr == "error: results/eval.json: file not found; run the stage that writes it (`dvc repro`)\n"
