"""The report stage's PNGs: written from the plot files, the same bytes for the same figures, and a
perfect set told apart from a nearly perfect one."""
from __future__ import annotations

import json

from lstm_parity.files import write_json, write_text
from lstm_parity.states import write_states
from tests.conftest import run_stage
from tests.unit.test_states import fake_figures

CURVE = "step,epoch,loss,accuracy,validation_final_accuracy,validation_confidence\n" \
        "25,0.5,0.6,0.7,0.6,0.55\n50,1.0,0.1,0.99,1.0,0.995\n"


def rows(errors_at_100: int) -> list[dict]:
    return [{"set": "heldout", "length": 50, "count": 2000, "errors": 0, "accuracy": 1.0, "confidence": 0.9965},
            {"set": "length_100", "length": 100, "count": 2000, "errors": errors_at_100,
             "accuracy": 1 - errors_at_100 / 2000, "confidence": 0.996}]


def state_args(folder) -> list[str]:
    """The report's state-figure arguments, on states written from fake trajectories (no Keras)."""
    write_states(folder / "states.npz", fake_figures())
    return ["--states", str(folder / "states.npz"), "--state-sequence-png", str(folder / "sequence.png"),
            "--state-projection-png", str(folder / "projection.png")]


def report(tmp_path, name: str, by_length: list[dict]):
    folder = tmp_path / name
    write_text(folder / "curve.csv", CURVE)
    write_json(folder / "by_length.json", {"accuracy_by_length": by_length})
    result = run_stage("report", "--curve", str(folder / "curve.csv"), "--by-length", str(folder / "by_length.json"),
                       "--curve-png", str(folder / "curve.png"), "--by-length-png", str(folder / "by_length.png"),
                       *state_args(folder))
    assert result.returncode == 0 and result.stderr == "", result.stderr
    return tuple((folder / f"{png}.png").read_bytes() for png in ("curve", "by_length", "sequence", "projection"))


def test_same_figures_same_bytes_and_one_error_shows(tmp_path):
    first, again, one_error = report(tmp_path, "a", rows(0)), report(tmp_path, "b", rows(0)), \
        report(tmp_path, "c", rows(1))
    assert first == again  # the state figures too
    assert all(png.startswith(b"\x89PNG") for png in first)
    assert one_error[1] != first[1]


def test_unreadable_plot_data_is_named(tmp_path):
    (tmp_path / "by_length.json").write_text(json.dumps({"wrong": []}))
    write_text(tmp_path / "curve.csv", CURVE)
    result = run_stage("report", "--curve", str(tmp_path / "curve.csv"), "--by-length",
                       str(tmp_path / "by_length.json"), "--curve-png", str(tmp_path / "c.png"),
                       "--by-length-png", str(tmp_path / "b.png"), *state_args(tmp_path))
    assert result.returncode == 2 and result.stderr.startswith("error: cannot read the plot data")


def test_results_are_published_byte_for_byte(tmp_path):
    write_text(tmp_path / "results/eval.json", '{"heldout": {"accuracy": 1.0}}\n')
    write_text(tmp_path / "curve.csv", CURVE)
    write_json(tmp_path / "by_length.json", {"accuracy_by_length": rows(0)})
    result = run_stage("report", "--publish", str(tmp_path / "results/eval.json"), str(tmp_path / "metrics/eval.json"),
                       "--curve", str(tmp_path / "curve.csv"), "--by-length", str(tmp_path / "by_length.json"),
                       "--curve-png", str(tmp_path / "c.png"), "--by-length-png", str(tmp_path / "b.png"),
                       *state_args(tmp_path))
    assert result.returncode == 0, result.stderr
    assert (tmp_path / "metrics/eval.json").read_bytes() == (tmp_path / "results/eval.json").read_bytes()
    missing = run_stage("report", "--publish", str(tmp_path / "nothing.json"), str(tmp_path / "copy.json"),
                        "--curve", str(tmp_path / "curve.csv"), "--by-length", str(tmp_path / "by_length.json"),
                        "--curve-png", str(tmp_path / "c.png"), "--by-length-png", str(tmp_path / "b.png"),
                        *state_args(tmp_path))
    assert missing.returncode == 2 and missing.stderr.startswith(f"error: {tmp_path / 'nothing.json'}: file not found")


def test_a_certain_set_draws_without_warnings(tmp_path):
    certain = [{**row, "confidence": 1.0} for row in rows(0)]
    report(tmp_path, "certain", certain)  # asserts an empty stderr: no matplotlib warning either
