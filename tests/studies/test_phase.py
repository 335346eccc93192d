"""studies/phase/run.py's pure parts: each run's outcome from the params and metrics its experiment recorded, and
the cells, tables and heatmap drawn from a results file. Nothing here trains or runs DVC."""
from __future__ import annotations

import itertools
import json

import pytest

from studies.phase import run as phase
from tests.bench.test_run import MEASURED_ON


def point(supervision="per_step", min_len=None, units=4, seq_len=50, seed=0, heldout=1.0, long=1.0,
          longer=1.0, steps=200, reached=True, states=2, flip=True) -> dict:
    params = {"train.supervision": supervision, "data.min_len": min_len, "train.units": units,
              "data.seq_len": seq_len, "train.seed": seed, "data.count": 128000, "train.epochs": 1,
              "train.batch_size": 128, "evaluate.count": 500, "evaluate.lengths": [1000, 10000]}
    metrics = {"eval.heldout.accuracy": heldout, "eval.length_1000.accuracy": long,
               "eval.length_10000.accuracy": longer, "train.steps": steps, "train.reached_target": reached,
               "automaton.states": states, "automaton.is_parity_flip": flip}
    return {"name": f"phase-{units}-{seq_len}-{seed}-{supervision}", "rev": "f" * 40, "params": params,
            "metrics": metrics}


def results(points: list[dict]) -> dict:
    return {"measured_on": MEASURED_ON, "grid_file": "sweeps/phase.yaml", "workers": 2, "wall_s": 1800.0,
            "resumed": False, "sweep_cpu_s": 3000.0, "others_cpu_s": 60.0, "points": points}


@pytest.mark.parametrize("heldout, long, success", [(1.0, 1.0, True), (0.999, 0.99, True),
                                                   (0.998, 1.0, False), (1.0, 0.989, False)])
def test_success_needs_both_bars(heldout, long, success):
    assert phase.run_outcome(point(heldout=heldout, long=long)).success is success


@pytest.mark.parametrize("heldout, long, longer, holds_to", [
    (1.0, 1.0, 1.0, 10000), (1.0, 1.0, 0.98, 1000), (1.0, 0.5, 1.0, 50), (0.5, 1.0, 1.0, None)])
def test_a_model_holds_up_to_the_first_length_it_fails(heldout, long, longer, holds_to):
    assert phase.run_outcome(point(heldout=heldout, long=long, longer=longer)).holds_to == holds_to


def test_cells_count_steps_of_runs_at_the_target_and_lengths_and_automata_of_runs_that_passed():
    cell = [phase.run_outcome(p) for p in (
        point(seed=0, steps=100), point(seed=1, steps=300, longer=0.9, states=3, flip=False),
        point(seed=2, steps=1000, heldout=0.5, reached=False), point(seed=3, steps=200),
        point(seed=4, steps=1000, reached=False, states=3, flip=False), point(seed=5, steps=50, long=0.9))]
    assert phase.success_text(cell) == "4/6"  # seed 4 passed without reaching the target; seed 5 slipped
    assert phase.steps_text(cell) == "150 (50-300)"  # the runs that reached the target, passed or not
    assert phase.held_text(cell, 10000) == "3/4"
    assert phase.flip_text(cell) == "2/4"
    failed = cell[2:3]  # no target, no pass
    assert (phase.steps_text(failed), phase.held_text(failed, 10000), phase.flip_text(failed)) == ("-", "-", "-")


def test_render_draws_every_cell_and_tables_each_case_length_and_size(tmp_path):
    points = [point(supervision=s, min_len=m, units=u, seq_len=n, seed=seed, heldout=1.0 if seed else 0.5)
              for (s, m), u, n, seed in itertools.product([("per_step", None), ("final", 1)], [1, 4], [10, 50],
                                                          range(3))]
    text = phase.render(results(points), tmp_path / "phase.png")
    assert (tmp_path / "phase.png").read_bytes().startswith(b"\x89PNG")
    assert "Measured on commit 0123456" in text and "**30.0 minutes**" in text and "16 runs passed; 8 more" in text
    tables = [line for line in text.splitlines() if line.startswith("| units")]
    assert len(tables) == 4
    assert tables[0].split(" | ")[1:] == ["every bit, length 10", "every bit, length 50",
                                          "last bit, lengths 1..10", "last bit, lengths 1..50 |"]
    rows = [line for line in text.splitlines() if line.startswith("| 1 |") or line.startswith("| 4 |")]
    assert len(rows) == 8  # units 1 and 4 in each of the four tables
    assert all(line.count("2/3") == 4 for line in rows[:2]) and all(line.count("2/2") == 4 for line in rows[4:])
    assert all(line.count("| 200 (200-200)") == 4 for line in rows[2:4])  # every seed reached the target


def test_an_unknown_supervision_is_refused():
    with pytest.raises(SystemExit, match=r"train\.supervision 'sometimes'"):
        phase.run_outcome(point(supervision="sometimes"))


def test_a_median_between_two_runs_is_shown_as_it_is():
    cell = [phase.run_outcome(point(seed=0, steps=275)), phase.run_outcome(point(seed=1, steps=350))]
    assert phase.steps_text(cell) == "312.5 (275-350)"


def test_render_refuses_points_without_an_experiment(tmp_path):
    missing = {"name": "phase-0", "point": {}}
    with pytest.raises(SystemExit, match="1 points have no experiment"):
        phase.render(results([point(), missing]), tmp_path / "phase.png")


def test_committed_heatmap_is_what_the_committed_results_draw(tmp_path):
    """The README's heatmap is redrawn, not pasted: the committed results give the committed PNG's bytes."""
    phase.render(json.loads(phase.RESULTS_FILE.read_text()), tmp_path / "phase.png")
    assert (tmp_path / "phase.png").read_bytes() == phase.HEATMAP.read_bytes()
