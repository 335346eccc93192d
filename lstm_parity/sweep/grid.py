"""A sweep's grid: the points it holds, their names, and each machine's share of them. Pure: no dvc
or git here (lstm_parity.sweep.experiments runs the points)."""
from __future__ import annotations

import hashlib
import itertools
import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from lstm_parity.errors import UsageError
from lstm_parity.params import flow_yaml

Point = dict[str, Any]  # param key ("train.units") -> value
KEY = re.compile(r"^[a-z_]+\.[a-z_]+$")


class SweepError(UsageError):
    """A grid file, shard or remote the sweep cannot use."""


@dataclass(frozen=True)
class Grid:
    name: str                              # the file's stem; prefixes every experiment's name
    values: dict[str, tuple[Any, ...]]     # param key -> the values it takes, in file order
    cases: tuple[Point, ...] = ({},)       # keys set together (supervision with min_len); crossed with values


def _check_key(name: str, key: Any) -> None:
    if not isinstance(key, str) or not KEY.match(key):
        raise SweepError(f"{name}: param key {key!r} is not of the form section.name")


def _parse_cases(name: str, listed: Any, values: dict[str, tuple[Any, ...]]) -> tuple[Point, ...]:
    """`cases: [{key: value, ...}, ...]`: each case sets the same keys, none of them also in params."""
    if not isinstance(listed, list) or not listed or not all(isinstance(c, dict) and c for c in listed):
        raise SweepError(f"{name}: cases needs a non-empty list of non-empty mappings of param keys to values")
    keys = list(listed[0])
    for case in listed:
        for key in case:
            _check_key(name, key)
        if list(case) != keys:
            raise SweepError(f"{name}: every case must set the same keys, in the same order: {', '.join(keys)}")
    if set(keys) & set(values):
        raise SweepError(f"{name}: {sorted(set(keys) & set(values))[0]} is in both params and cases")
    if len({json.dumps(c, sort_keys=True) for c in listed}) != len(listed):
        raise SweepError(f"{name}: cases lists a case twice")
    return tuple(listed)


def parse_grid(name: str, text: str) -> Grid:
    """A grid from YAML `params: {key: [values...]}` and, optionally, `cases: [{key: value, ...}, ...]`;
    keys are `section.name` as `dvc exp run -S` takes them."""
    if not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_-]*", name):
        raise SweepError(f"sweep name {name!r}: use letters, digits, '-' and '_' (it names git refs)")
    try:
        raw = yaml.safe_load(text)
    except yaml.YAMLError as error:
        raise SweepError(f"{name}: not valid YAML: {getattr(error, 'problem', error)}") from None
    if (not isinstance(raw, dict) or "params" not in raw or not set(raw) <= {"params", "cases"}
            or not isinstance(raw["params"], dict)):
        raise SweepError(f"{name}: a grid file holds params, mapping param keys to lists of values, and "
                         f"optionally cases")
    values = {}
    for key, listed in raw["params"].items():
        _check_key(name, key)
        if not isinstance(listed, list) or not listed:
            raise SweepError(f"{name}: {key} needs a non-empty list of values")
        if len({json.dumps(v, sort_keys=True) for v in listed}) != len(listed):
            raise SweepError(f"{name}: {key} lists a value twice")
        values[key] = tuple(listed)
    if not values:
        raise SweepError(f"{name}: params is empty")
    cases = _parse_cases(name, raw["cases"], values) if "cases" in raw else ({},)
    return Grid(name=name, values=values, cases=cases)


def load_grid(path: Path) -> Grid:
    try:
        text = path.read_text()
    except FileNotFoundError:
        raise SweepError(f"{path}: no such grid file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise SweepError(f"{path}: cannot read the grid file: {getattr(error, 'strerror', None) or error}") from None
    return parse_grid(path.stem, text)


def grid_points(grid: Grid) -> list[Point]:
    """Every case times every combination of values, the case varying slowest, then the first key: the
    same file always gives the same order."""
    keys = list(grid.values)
    return [{**case, **dict(zip(keys, combo, strict=True))}
            for case in grid.cases for combo in itertools.product(*grid.values.values())]


def point_name(grid: Grid, point: Point) -> str:
    """The experiment's name: the sweep's name and a hash of the point's keys and values.

    Stable across machines and reruns, valid as a git ref, and independent of the point's place in the
    grid, so adding values to a grid keeps the names of points already run.
    """
    digest = hashlib.sha256(json.dumps(point, sort_keys=True).encode()).hexdigest()[:10]
    return f"{grid.name}-{digest}"


def parse_shard(text: str) -> tuple[int, int]:
    """`k/n` -> (k, n), 1 <= k <= n: the k-th of n shares."""
    match = re.fullmatch(r"(\d+)/(\d+)", text)
    if not match:
        raise SweepError(f"--shard {text!r}: give k/n, e.g. 1/4")
    index, count = int(match.group(1)), int(match.group(2))
    if not 1 <= index <= count:
        raise SweepError(f"--shard {text}: k must be between 1 and n")
    return index, count


def shard(points: list[Point], index: int, count: int) -> list[Point]:
    """The k-th of n shares, dealt round-robin: shares differ in size by one at most, and together they
    hold every point exactly once."""
    return points[index - 1::count]


def overrides(point: Point) -> list[str]:
    return [arg for key, value in point.items() for arg in ("-S", f"{key}={flow_yaml(value)}")]


def points_table(grid: Grid, rows: dict[str, dict[str, Any]], columns: list[str]) -> str:
    """One line per grid point, in grid order: its name, its values and the chosen metrics ('-': none)."""
    keys = [*grid.cases[0], *grid.values]
    header = ["experiment", *keys, *columns]
    lines = [header]
    for point in grid_points(grid):
        name = point_name(grid, point)
        metrics = rows.get(name)
        cells = [name, *(flow_yaml(point[key]) for key in keys)]
        cells += [("-" if metrics is None or metrics.get(c) is None else f"{metrics[c]:.4g}"
                   if isinstance(metrics.get(c), float) else str(metrics[c])) for c in columns]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)
