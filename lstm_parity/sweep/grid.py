"""A sweep's grid, in DVC's own sweep syntax: the points it holds, their names, and each machine's share.
No dvc command runs here (lstm_parity.sweep.experiments runs the points).

A grid file lists `-S` overrides as `dvc exp run --queue -S` takes them (Hydra's grammar: `a=1,2`,
`a=range(0,10)`, `a=choice(1,2)`; anything else is one value, a list `[1000,10000]` included), and may list
cases, each a list of overrides set together:

    overrides:
      - train.units=1,2,4
      - train.seed=range(0,10)
    cases:                        # optional
      - [train.supervision=per_step, data.min_len=null]
      - [train.supervision=final, data.min_len=1]

The points are, case after case, what `dvc exp run --queue -S <overrides> -S <case>` would queue, expanded
by DVC's own parser (dvc.utils.hydra), in DVC's order; a one-machine queue and a sweep over a cluster
read the same grid. Points are counted before they are expanded, and a grid of more than MAX_POINTS is
refused then, in one line.
"""
from __future__ import annotations

import copy
import hashlib
import itertools
import json
import math
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_parity.errors import ParamsError, UsageError
from lstm_parity.params import Params, flow_yaml, parse
from lstm_parity.safe_yaml import YamlRefused, load_yaml_file

# The most points a grid may hold: a hundred thousand experiments is already years of one machine's work
# at seconds each, and DVC's parser lists every point in memory.
MAX_POINTS = 100_000
NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]*")  # a sweep's name prefixes git refs


class SweepError(UsageError):
    """A grid file, shard or remote the sweep cannot use."""


@dataclass(frozen=True)
class Grid:
    name: str                                  # the file's stem; prefixes every experiment's name
    overrides: tuple[str, ...]                 # `-S` strings, as `dvc exp run --queue -S` takes them
    cases: tuple[tuple[str, ...], ...] = ((),)  # each a list of `-S` strings set together


@dataclass(frozen=True)
class Point:
    overrides: tuple[str, ...]   # `key=value` strings, as DVC expanded them and as `dvc exp run -S` takes them
    values: dict[str, Any]       # key -> the value, as DVC's parser reads it (what it writes into params.yaml)


def _hydra(strings: list[str], where: str):
    """DVC's parse of -S strings (Hydra's override grammar), with a parse error as one line."""
    from dvc.utils.hydra import to_hydra_overrides

    try:
        return to_hydra_overrides(strings)
    except Exception as error:  # Hydra's OverrideParseException and DVC's InvalidArgumentError, mostly
        first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        raise SweepError(f"{where}: {first[:200]}") from None


def _count(override, where: str) -> int:
    """The values one parsed override sweeps over, counted without listing them (a range is len(range))."""
    from hydra.core.override_parser.types import ChoiceSweep, RangeSweep, ValueType

    if not override.is_sweep_override():
        return 1
    if override.value_type == ValueType.GLOB_CHOICE_SWEEP or not override.is_discrete_sweep():
        raise SweepError(f"{where}: {override.input_line!r}: glob() and interval() cannot be listed as points")
    value = override._value  # Hydra keeps the sweep's parts here; its public value() would list them all
    if getattr(value, "shuffle", False):
        raise SweepError(f"{where}: {override.input_line!r}: shuffle() would make the points' order random")
    if isinstance(value, ChoiceSweep):
        return len(value.list)
    if isinstance(value, RangeSweep):
        values = value.range()
        if isinstance(values, range):
            return len(values)
        return sum(1 for _ in itertools.islice(values, MAX_POINTS + 1))  # a float range: walked, with a bound
    return len(value)


def count_points(grid: Grid) -> int:
    """How many points the grid holds, from its parsed overrides alone: nothing is expanded."""
    total = 0
    for case in grid.cases:
        per_key: dict[str, int] = {}  # a key given twice: the last one counts, as in DVC's expansion
        for override in _hydra([*grid.overrides, *case], grid.name):
            per_key[override.get_key_element()] = _count(override, grid.name)
        total += math.prod(per_key.values())
    return total


def grid_points(grid: Grid) -> list[Point]:
    """Every point, case after case, each in DVC's order (the last key varies fastest); refused before
    anything is expanded when there are more than MAX_POINTS."""
    from dvc.utils.hydra import get_hydra_sweeps

    count = count_points(grid)
    if count > MAX_POINTS:
        raise SweepError(f"{grid.name}: {count:,} points; a grid holds at most {MAX_POINTS:,}")
    points = []
    for case in grid.cases:
        strings = [*grid.overrides, *case]
        expanded = get_hydra_sweeps({"params.yaml": strings}) if any(
            o.is_sweep_override() for o in _hydra(strings, grid.name)) else [{"params.yaml": strings}]
        for sweep in expanded:
            parsed = _hydra(sweep["params.yaml"], grid.name)
            values = {o.key_or_group: o.value() for o in parsed}
            points.append(Point(tuple(o.input_line for o in parsed), values))
    return points


def _strings(where: str, listed: Any) -> tuple[str, ...]:
    if not isinstance(listed, list) or not all(isinstance(item, str) and "=" in item for item in listed):
        raise SweepError(f"{where} must be a list of `key=value` overrides, as `dvc exp run -S` takes them")
    return tuple(listed)


def parse_grid(name: str, raw: Any) -> Grid:
    """A grid from a loaded grid file: `overrides`, a list of -S strings, and optionally `cases`, a list of
    lists of -S strings setting the same keys, none of which `overrides` sets."""
    if not NAME.fullmatch(name):
        raise SweepError(f"sweep name {name[:40]!r}: use letters, digits, '-' and '_' (it names git refs)")
    if not isinstance(raw, dict) or not set(raw) <= {"overrides", "cases"} or "overrides" not in raw:
        raise SweepError(f"{name}: a grid file holds overrides (a list of -S strings) and optionally cases")
    overrides = _strings(f"{name}: overrides", raw["overrides"])
    if not overrides:
        raise SweepError(f"{name}: overrides is empty")
    cases: tuple[tuple[str, ...], ...] = ((),)
    if "cases" in raw:
        if not isinstance(raw["cases"], list) or not raw["cases"]:
            raise SweepError(f"{name}: cases must be a non-empty list of lists of -S strings")
        cases = tuple(_strings(f"{name}: each case", case) for case in raw["cases"])
        keys = [tuple(o.get_key_element() for o in _hydra(list(case), name)) for case in cases]
        if len(set(keys)) != 1 or not keys[0]:
            raise SweepError(f"{name}: every case must set the same keys, in the same order")
        shared = set(keys[0]) & {o.get_key_element() for o in _hydra(list(overrides), name)}
        if shared:
            raise SweepError(f"{name}: {sorted(shared)[0]} is set both in overrides and in cases")
        if len(set(cases)) != len(cases):
            raise SweepError(f"{name}: cases lists a case twice")
    grid = Grid(name, overrides, cases)
    count_points(grid)  # every override parses, and lists
    return grid


def check_points(grid: Grid, points: list[Point], params_file: Path) -> None:
    """Each point's params as params.yaml would hold them once `dvc exp run -S` applied its values, checked
    as check_params checks them: a bad value stops the sweep before any point runs, naming the point."""
    base = _base_params(params_file)
    for point in points:
        point_params(grid, point, params_file, base)


def _base_params(params_file: Path) -> Any:
    try:
        return load_yaml_file(params_file)
    except YamlRefused as error:
        raise SweepError(str(error)) from None


def point_params(grid: Grid, point: Point, params_file: Path, base: Any = None) -> Params:
    """The params a point runs with: params_file with the point's values set, as `dvc exp run -S` sets
    them, checked as check_params checks them (SweepError naming the point)."""
    raw = copy.deepcopy(_base_params(params_file) if base is None else base)
    for key, value in point.values.items():
        section, _, name = key.partition(".")
        if not name or not isinstance(raw, dict) or not isinstance(raw.get(section), dict):
            raise SweepError(f"{grid.name}: {point_name(grid, point)}: {key!r} is not a key of {params_file}")
        raw[section][name] = value
    try:
        return parse(raw)
    except ParamsError as error:
        raise SweepError(f"{grid.name}: {point_name(grid, point)} ({' '.join(point.overrides)}): "
                         f"{error}") from None


def load_grid(path: Path) -> Grid:
    try:
        raw = load_yaml_file(Path(path))
    except YamlRefused as error:
        raise SweepError(str(error)) from None
    return parse_grid(Path(path).stem, raw)


def point_name(grid: Grid, point: Point) -> str:
    """The experiment's name: the sweep's name and a hash of the point's keys and values.

    Stable across machines and reruns, valid as a git ref, and independent of the point's place in the
    grid, so adding values to a grid keeps the names of points already run.
    """
    digest = hashlib.sha256(json.dumps(point.values, sort_keys=True).encode()).hexdigest()[:10]
    return f"{grid.name}-{digest}"


def parse_shard(text: str) -> tuple[int, int]:
    """`k/n` -> (k, n), 1 <= k <= n: the k-th of n shares."""
    match = re.fullmatch(r"(\d{1,6})/(\d{1,6})", text)
    if not match:
        raise SweepError(f"--shard {text[:20]!r}: give k/n, e.g. 1/4")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise SweepError(f"--shard {text}: k must be between 1 and n")
    return index, count


def shard(points: list[Point], index: int, count: int) -> list[Point]:
    """The k-th of n shares, dealt round-robin: shares differ in size by one at most, and together they
    hold every point exactly once."""
    return points[index - 1::count]


def overrides(point: Point) -> list[str]:
    """The point as `dvc exp run` arguments: -S key=value, the strings DVC expanded."""
    return [arg for override in point.overrides for arg in ("-S", override)]


def points_table(grid: Grid, rows: dict[str, dict[str, Any]], columns: list[str]) -> str:
    """One line per grid point, in grid order: its name, its values and the chosen metrics ('-': none)."""
    points = grid_points(grid)
    keys = list(dict.fromkeys(key for point in points for key in point.values))
    lines = [["experiment", *keys, *columns]]
    for point in points:
        metrics = rows.get(point_name(grid, point))
        cells = [point_name(grid, point), *(flow_yaml(point.values.get(key)) for key in keys)]
        cells += [("-" if metrics is None or metrics.get(c) is None else f"{metrics[c]:.4g}"
                   if isinstance(metrics.get(c), float) else str(metrics[c])) for c in columns]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(lines[0]))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)
