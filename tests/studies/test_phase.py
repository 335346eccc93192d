"""studies/phase/run.py's pure parts: each run's outcome from the params and metrics its record holds, and the
cells, intervals, contrasts, tables and heatmap drawn from a results file. Nothing here trains or runs DVC."""
from __future__ import annotations

import itertools
import json

import pytest

from studies.phase import run as phase
from tests.bench.test_run import MEASURED_ON


def point(supervision="per_step", min_len=None, units=4, seq_len=50, seed=0, heldout=1.0, ten=1.0, hundred=1.0,
          fixed=1.0, steps=200, reached=True, states=2, flip=True, heldout_count=4000) -> dict:
    lengths = sorted({10 * seq_len, 100 * seq_len, 10_000})
    params = {"train.supervision": supervision, "data.min_len": min_len, "train.units": units,
              "data.seq_len": seq_len, "train.seed": seed, "data.count": 128000, "train.epochs": 1,
              "train.batch_size": 128, "evaluate.heldout_count": heldout_count, "evaluate.count": 1000,
              "evaluate.lengths": lengths}
    accuracy = {10 * seq_len: ten, 100 * seq_len: hundred, 10_000: fixed}
    metrics = {"eval.heldout.accuracy": heldout, **{f"eval.length_{n}.accuracy": a for n, a in accuracy.items()},
               "train.step": steps, "train.reached_target": reached, "automaton.states": states,
               "automaton.is_parity_flip": flip}
    return {"name": f"phase-{units}-{seq_len}-{seed}-{supervision}", "params": params, "metrics": metrics,
            "cpu_s": {"train": 4.0, "evaluate": 1.0, "explain": 0.1}, "zero_run_first_wrong": None}


def results(points: list[dict]) -> dict:
    points[0]["cell_cpu_s"] = 2.0 + sum(sum(p["cpu_s"].values()) for p in points if "cpu_s" in p)
    return {"measured_on": MEASURED_ON, "grid_file": "studies/phase/phase.yaml", "workers": 2, "cells": 1,
            "wall_s": 1800.0, "resumed": False, "workers_cpu_s": 3000.0, "points": points}


@pytest.mark.parametrize("heldout, ten, success", [(1.0, 1.0, True), (0.999, 0.99, True),
                                                   (0.9985, 1.0, False), (1.0, 0.989, False)])
def test_success_needs_both_bars(heldout, ten, success):
    assert phase.run_outcome(point(heldout=heldout, ten=ten)).success is success


def test_the_bars_are_read_at_ten_times_the_training_length():
    assert phase.run_outcome(point(seq_len=10, ten=0.5, hundred=1.0)).success is False
    assert phase.run_outcome(point(seq_len=10, ten=1.0, hundred=0.5)).success is True


@pytest.mark.parametrize("heldout, ten, close", [(1.0, 1.0, False), (1.0, 0.5, False), (1.0, 0.99, True),
                                                 (1.0, 0.993, True), (1.0, 0.985, True), (1.0, 0.97, False),
                                                 (0.9995, 1.0, True)])
def test_a_verdict_is_close_when_the_bar_is_inside_its_interval(heldout, ten, close):
    """1,000 sequences at 0.99: an accuracy of 0.985 or 0.993 could be the other side of the bar, 0.97 not;
    4,000 held-out sequences at 0.999: a perfect score could not, two errors could."""
    assert phase.run_outcome(point(heldout=heldout, ten=ten)).close_call is close


def test_a_heldout_set_of_the_whole_split_is_exact():
    """At 10 bits the held-out set is all 128 held-out strings: 127 right is a fail, and not a close one."""
    run = phase.run_outcome(point(seq_len=10, heldout=127 / 128, heldout_count=128))
    assert not run.success and not run.close_call
    assert phase.run_outcome(point(seq_len=10, heldout=1.0, heldout_count=100)).close_call


def test_holding_is_read_at_a_hundred_times_and_at_ten_thousand():
    run = phase.run_outcome(point(seq_len=200, hundred=1.0, fixed=0.8))
    assert (run.holds_multiple, run.holds_fixed) == (True, False)


def test_cells_count_steps_of_runs_at_the_target_and_lengths_and_automata_of_runs_that_passed():
    cell = [phase.run_outcome(p) for p in (
        point(seed=0, steps=100), point(seed=1, steps=300, fixed=0.9, states=3, flip=False),
        point(seed=2, steps=1000, heldout=0.5, reached=False), point(seed=3, steps=200),
        point(seed=4, steps=1000, reached=False, states=3, flip=False), point(seed=5, steps=50, ten=0.9))]
    assert phase.success_text(cell) == "4/6 (0.30-0.90)"  # seed 4 passed without reaching the target
    assert phase.steps_text(cell) == "150 (50-300)"  # the runs that reached the target, passed or not
    assert phase.of_passed(cell, lambda r: r.holds_fixed) == "3/4"
    assert phase.of_passed(cell, lambda r: r.two_state_flip) == "2/4"
    failed = cell[2:3]
    assert (phase.steps_text(failed), phase.of_passed(failed, lambda r: r.holds_fixed)) == ("-", "-")


def test_a_median_between_two_runs_is_shown_as_it_is():
    cell = [phase.run_outcome(point(seed=0, steps=275)), phase.run_outcome(point(seed=1, steps=350))]
    assert phase.steps_text(cell) == "312.5 (275-350)"


def test_contrasts_pool_cells_and_test_them():
    runs = [phase.run_outcome(point(units=u, seq_len=n, seed=s, heldout=1.0 if u > 1 else 0.5))
            for u, n, s in itertools.product([1, 2, 4], [10, 50, 200], range(10))]
    rows = phase.contrast_rows(runs, phase.contrasts([phase.Case("per_step", None)]))
    assert rows[0][:3] == ["every bit: one unit against two or more (every length)", "1 unit: 0/30 (0.00-0.11)",
                           "2-8 units: 60/60 (0.94-1.00)"]
    assert float(rows[0][3]) < 1e-20 and rows[1][3] == "1"  # lengths 10 and 50 alike


def test_render_draws_every_cell_and_tables_each_case_length_and_size(tmp_path):
    points = [point(supervision=s, min_len=m, units=u, seq_len=n, seed=seed, heldout=1.0 if seed else 0.5)
              for (s, m), u, n, seed in itertools.product([("per_step", None), ("final", 1)], [1, 4], [10, 50],
                                                          range(3))]
    text = phase.render(results(points), tmp_path / "phase.png")
    assert (tmp_path / "phase.png").read_bytes().startswith(b"\x89PNG")
    assert "Measured on commit 0123456" in text and "**30.0 minutes**" in text
    assert "train 4.0, evaluate 1.0, explain 0.1; 2.0 per cell for its data sets and importing Keras" in text
    tables = [line for line in text.splitlines() if line.startswith("| units")]
    assert len(tables) == 6
    assert tables[0].split(" | ")[1:] == ["every bit, length 10", "every bit, length 50",
                                          "last bit, lengths 1..10", "last bit, lengths 1..50 |"]
    passed = [line for line in text.splitlines() if line.startswith(("| 1 |", "| 4 |"))][:2]
    assert all(line.count("2/3 (0.21-0.94)") == 4 for line in passed)
    assert "| a loss at every bit against at the last bit only (every cell) | every bit: 8/12" in text


def test_a_resumed_run_counts_cpu_from_the_cells_not_from_its_last_part():
    """The workers' CPU of a resumed run covers only its last part; the cells' own records cover every part."""
    points = [point(seed=seed) for seed in range(3)]
    resumed = {**results(points), "resumed": True, "workers_cpu_s": 1.0}
    text = phase.cpu_text(resumed, [phase.run_outcome(p) for p in points])
    assert "resumed: its last part took **30.0 minutes**" in text
    assert "used 17 CPU seconds, 5.8 per run: train 4.0" in text  # 2.0 for the cell, 5.1 for each of 3 runs


def test_the_answer_is_the_contrasts_with_the_count_that_passed():
    points = [point(units=u, seed=seed, heldout=1.0 if u > 1 else 0.5)
              for u, seed in itertools.product([1, 2], range(3))]
    points[-1]["zero_run_first_wrong"] = 12
    text = phase.answer(results(points))
    assert text.startswith("Measured on commit 0123456")
    assert "3 of 6 runs passed; 1 of those answer an input of the zero-run probe wrong" in text
    assert "| every bit: one unit against two or more (every length) | 1 unit: 0/3 (0.00-0.56) | 2-8 units: 3/3" in text


def test_an_unknown_supervision_is_refused():
    with pytest.raises(SystemExit, match=r"train\.supervision 'sometimes'"):
        phase.run_outcome(point(supervision="sometimes"))


def test_render_refuses_points_without_a_record(tmp_path):
    with pytest.raises(SystemExit, match="1 points have no record"):
        phase.render(results([point(), {"name": "phase-0"}]), tmp_path / "phase.png")


def test_committed_heatmap_is_what_the_committed_results_draw(tmp_path):
    """The README's heatmap is redrawn, not pasted: the committed results give the committed PNG's bytes."""
    phase.render(json.loads(phase.RESULTS_FILE.read_text()), tmp_path / "phase.png")
    assert (tmp_path / "phase.png").read_bytes() == phase.HEATMAP.read_bytes()
