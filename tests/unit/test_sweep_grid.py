"""The sweep's grids, in DVC's own sweep syntax: points as DVC expands them, cases, names, shares, the
points' check against params, and grids refused before they are expanded."""
from __future__ import annotations

import re

import pytest

from lstm_parity.safe_yaml import load_yaml
from lstm_parity.sweep.grid import (
    MAX_POINTS,
    Grid,
    SweepError,
    check_points,
    count_points,
    grid_points,
    overrides,
    parse_grid,
    parse_shard,
    point_name,
    points_table,
    shard,
)
from tests.conftest import PROJECT, run_command

GRID = "overrides:\n  - train.units=2,4\n  - train.seed=range(0,3)\n"
CASES = GRID + ("cases:\n  - [train.supervision=per_step, data.min_len=null]\n"
                "  - [train.supervision=final, data.min_len=1]\n")


def grid(text: str = GRID, name: str = "tiny") -> Grid:
    return parse_grid(name, load_yaml(text))


def dvc_queue_order(strings: list[str]) -> list[list[str]]:
    """What `dvc exp run --queue -S ...` would queue for these -S strings: DVC's own expansion."""
    from dvc.utils.hydra import get_hydra_sweeps

    return [sweep["params.yaml"] for sweep in get_hydra_sweeps({"params.yaml": strings})]


def test_points_are_dvcs_expansion_in_dvcs_order():
    points = grid_points(grid())
    assert [list(p.overrides) for p in points] == dvc_queue_order(["train.units=2,4", "train.seed=range(0,3)"])
    assert [p.values for p in points] == [{"train.units": u, "train.seed": s} for u in (2, 4) for s in (0, 1, 2)]


def test_cases_run_case_after_case_each_as_dvc_would_queue_it():
    points = grid_points(grid(CASES))
    assert len(points) == count_points(grid(CASES)) == 2 * 6
    first = ["train.units=2,4", "train.seed=range(0,3)", "train.supervision=per_step", "data.min_len=null"]
    assert [list(p.overrides) for p in points[:6]] == dvc_queue_order(first)
    assert points[0].values == {"train.units": 2, "train.seed": 0, "train.supervision": "per_step",
                                "data.min_len": None}
    assert points[6].values["data.min_len"] == 1 and points[6].values["train.supervision"] == "final"


@pytest.mark.parametrize("text, value", [("evaluate.lengths=[1000,10000]", [1000, 10000]), ("data.min_len=null", None),
                                         ("train.jit_compile=true", True), ("train.learning_rate=1e-3", 0.001),
                                         ("train.supervision=final", "final")])
def test_values_are_read_as_dvc_reads_them(text, value):
    (point,) = grid_points(grid(f"overrides:\n  - {text}\n"))
    assert list(point.values.values()) == [value]


def test_points_are_counted_before_they_are_expanded():
    huge = grid("overrides:\n  - train.seed=range(0,1000000000000)\n  - train.units=1,2\n")
    assert count_points(huge) == 2 * 10**12
    with pytest.raises(SweepError, match=re.escape(f"2,000,000,000,000 points; a grid holds at most {MAX_POINTS:,}")):
        grid_points(huge)


@pytest.mark.parametrize("text, message", [
    ("units: [1]", "holds overrides"),
    ("overrides: [train.units=1]\nextra: 1", "holds overrides"),
    ("overrides: []", "empty"),
    ("overrides: train.units=1", "a list of `key=value` overrides"),
    ("overrides: [train.units]", "a list of `key=value` overrides"),
    ("overrides: ['train.units=glob(*)']", "glob"),
    ("overrides: ['train.units=shuffle(1,2)']", "random"),
    ("overrides: ['train.units=range(']", "tiny: "),
    ("overrides: [train.units=1]\ncases: []", "non-empty list"),
    ("overrides: [train.units=1]\ncases: [[train.units=2]]", "both in overrides and in cases"),
    ("overrides: [train.units=1]\ncases: [[train.seed=1], [data.seed=1]]", "same keys"),
    ("overrides: [train.units=1]\ncases: [[train.seed=1], [train.seed=1]]", "twice"),
])
def test_bad_grid_is_one_line_naming_the_problem(text, message):
    with pytest.raises(SweepError, match=re.escape(message)):
        grid(text)


def test_sweep_name_must_be_usable_in_a_git_ref():
    with pytest.raises(SweepError, match="sweep name"):
        grid(name="my sweep")


def test_every_point_is_checked_against_params_before_anything_runs():
    bad = grid("overrides:\n  - train.units=2,0\n")
    points = grid_points(bad)
    check_points(bad, points[:1], PROJECT / "params.yaml")
    with pytest.raises(SweepError, match=rf"tiny: {point_name(bad, points[1])} \(train.units=0\): "
                                         r"train.units must be >= 1, got 0"):
        check_points(bad, points, PROJECT / "params.yaml")
    unknown = grid("overrides:\n  - train.unit=2\n")
    with pytest.raises(SweepError, match=r"unknown key train\.unit"):
        check_points(unknown, grid_points(unknown), PROJECT / "params.yaml")


def test_names_are_stable_distinct_valid_refs_and_ignore_grid_order():
    names = [point_name(grid(), p) for p in grid_points(grid())]
    assert len(set(names)) == len(names)
    assert all(re.fullmatch(r"tiny-[0-9a-f]{10}", n) for n in names)
    wider = grid("overrides:\n  - train.seed=5,0,1,2\n  - train.units=4,2\n")
    assert set(names) <= {point_name(wider, p) for p in grid_points(wider)}


@pytest.mark.parametrize("count", [1, 2, 3, 4, 7])
def test_shares_hold_every_point_once_and_differ_by_one_at_most(count):
    points = grid_points(grid())
    shares = [shard(points, k, count) for k in range(1, count + 1)]
    dealt = [p for share in shares for p in share]
    assert sorted(map(repr, dealt)) == sorted(map(repr, points))
    assert max(map(len, shares)) - min(map(len, shares)) <= 1


@pytest.mark.parametrize("text", ["0/2", "3/2", "2", "a/b", "1/0", "1/99999999"])
def test_bad_shard_is_refused(text):
    with pytest.raises(SweepError, match="--shard"):
        parse_shard(text)


def test_a_point_runs_with_the_strings_dvc_expanded():
    (point,) = grid_points(grid("overrides:\n  - evaluate.lengths=[16,24]\n  - data.min_len=null\n"))
    assert overrides(point) == ["-S", "evaluate.lengths=[16,24]", "-S", "data.min_len=null"]


def test_table_lists_every_point_and_marks_missing_ones():
    small = grid("overrides:\n  - train.units=2,4\n", name="t")
    done = point_name(small, grid_points(small)[0])
    lines = points_table(small, {done: {"eval.heldout.accuracy": 0.987654}}, ["eval.heldout.accuracy"]).splitlines()
    assert lines[0].split() == ["experiment", "train.units", "eval.heldout.accuracy"]
    assert lines[1].split() == [done, "2", "0.9877"]
    assert lines[2].split() == [point_name(small, grid_points(small)[1]), "4", "-"]


@pytest.mark.parametrize("text, message", [
    ("overrides: [\n", "bad.yaml: not valid YAML at line 2"),
    ("overrides: &a [train.units=1]\ncases: *a\n", "bad.yaml: line 1: an anchor (&a)"),
    ("overrides: [train.units=1]\noverrides: [train.units=2]\n", "bad.yaml: line 2: key 'overrides' is written twice"),
])
def test_a_grid_file_the_reader_refuses_is_one_line(tmp_path, text, message):
    (tmp_path / "bad.yaml").write_text(text)
    result = run_command("sweep", "collect", "--grid", str(tmp_path / "bad.yaml"))
    assert result.returncode == 2 and len(result.stderr.splitlines()) == 1, result.stderr
    assert result.stderr.startswith(f"error: {tmp_path / message}"), result.stderr


def test_a_grid_of_too_many_points_is_refused_fast_and_small(tmp_path):
    (tmp_path / "huge.yaml").write_text("overrides:\n  - train.seed=range(0,1000000000000)\n")
    result = run_command("sweep", "collect", "--grid", str(tmp_path / "huge.yaml"))
    assert result.returncode == 2
    assert result.stderr == f"error: huge: 1,000,000,000,000 points; a grid holds at most {MAX_POINTS:,}\n"
