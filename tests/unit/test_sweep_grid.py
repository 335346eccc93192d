"""The sweep's pure parts: grid files, points, names, shares, -S values and the table."""
from __future__ import annotations

import re

import pytest

from lstm_parity.sweep.grid import (
    Grid,
    SweepError,
    grid_points,
    overrides,
    parse_grid,
    parse_shard,
    point_name,
    points_table,
    shard,
)
from tests.conftest import run_command

GRID = "params:\n  train.units: [2, 4]\n  train.seed: [0, 1, 2]\n"


def test_grid_points_are_every_combination_first_key_slowest():
    points = grid_points(parse_grid("tiny", GRID))
    assert points == [{"train.units": u, "train.seed": s} for u in (2, 4) for s in (0, 1, 2)]


CASES = GRID + ("cases:\n  - {train.supervision: per_step, data.min_len: null}\n"
                "  - {train.supervision: final, data.min_len: 1}\n")


def test_cases_set_their_keys_together_and_cross_every_combination():
    points = grid_points(parse_grid("tiny", CASES))
    assert len(points) == 2 * 6
    assert points[0] == {"train.supervision": "per_step", "data.min_len": None, "train.units": 2, "train.seed": 0}
    assert {(p["train.supervision"], p["data.min_len"]) for p in points} == {("per_step", None), ("final", 1)}
    assert all(sum(p == q for q in points) == 1 for p in points)


def test_table_shows_the_case_keys_too():
    grid = parse_grid("tiny", CASES)
    header = points_table(grid, {}, []).splitlines()[0].split()
    assert header == ["experiment", "train.supervision", "data.min_len", "train.units", "train.seed"]


@pytest.mark.parametrize("cases, message", [
    ("cases: []", "non-empty list"),
    ("cases: [{}]", "non-empty list"),
    ("cases: [{train.units: 1}]", "both params and cases"),
    ("cases: [{supervision: final}]", "section.name"),
    ("cases: [{train.supervision: final}, {data.min_len: 1}]", "same keys"),
    ("cases: [{train.supervision: final}, {train.supervision: final}]", "twice"),
])
def test_bad_cases_are_one_line_naming_the_problem(cases, message):
    with pytest.raises(SweepError, match=message):
        parse_grid("tiny", GRID + cases)


@pytest.mark.parametrize("text, message", [
    ("units: [1]", "holds params"),
    ("params: {train.units: [1]}\nextra: 1", "holds params"),
    ("params: {units: [1]}", "section.name"),
    ("params: {train.units: []}", "non-empty list"),
    ("params: {train.units: 4}", "non-empty list"),
    ("params: {train.units: [4, 4]}", "twice"),
    ("params: {}", "empty"),
])
def test_bad_grid_is_one_line_naming_the_problem(text, message):
    with pytest.raises(SweepError, match=message):
        parse_grid("tiny", text)


def test_sweep_name_must_be_usable_in_a_git_ref():
    with pytest.raises(SweepError, match="sweep name"):
        parse_grid("my sweep", GRID)


def test_names_are_stable_distinct_valid_refs_and_ignore_grid_order():
    grid = parse_grid("tiny", GRID)
    names = [point_name(grid, p) for p in grid_points(grid)]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"tiny-[0-9a-f]{10}", n) for n in names)
    wider = parse_grid("tiny", "params:\n  train.seed: [5, 0, 1, 2]\n  train.units: [4, 2]\n")
    assert set(names) <= {point_name(wider, p) for p in grid_points(wider)}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shares_hold_every_point_once_and_differ_by_one_at_most(count):
    points = grid_points(parse_grid("tiny", GRID))
    shares = [shard(points, k, count) for k in range(1, count + 1)]
    dealt = [p for share in shares for p in share]
    assert sorted(map(repr, dealt)) == sorted(map(repr, points))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0"])
def test_bad_shard_is_refused(text):
    with pytest.raises(SweepError, match="--shard"):
        parse_shard(text)


def test_overrides_write_values_as_yaml():
    point = {"train.learning_rate": 0.02, "train.target_accuracy": None, "evaluate.lengths": [16, 24],
             "train.jit_compile": True, "train.supervision": "final"}
    assert overrides(point) == ["-S", "train.learning_rate=0.02", "-S", "train.target_accuracy=null",
                                "-S", "evaluate.lengths=[16, 24]", "-S", "train.jit_compile=true",
                                "-S", "train.supervision=final"]


def test_table_lists_every_point_and_marks_missing_ones():
    grid = Grid(name="t", values={"train.units": (2, 4)})
    done = point_name(grid, {"train.units": 2})
    text = points_table(grid, {done: {"eval.heldout.accuracy": 0.987654}}, ["eval.heldout.accuracy"])
    lines = text.splitlines()
    assert lines[0].split() == ["experiment", "train.units", "eval.heldout.accuracy"]
    assert lines[1].split() == [done, "2", "0.9877"]
    assert lines[2].split() == [point_name(grid, {"train.units": 4}), "4", "-"]


def test_a_grid_file_that_is_not_yaml_is_one_line(tmp_path):
    (tmp_path / "bad.yaml").write_text("params: [\n")
    result = run_command("sweep", "collect", "--grid", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2 and result.stderr.startswith("error: bad: not valid YAML"), result.stderr
