"""A sweep spread over machines: each machine runs its share of a grid as DVC experiments and pushes them.

    python -m stages.sweep run --grid sweeps/<name>.yaml --shard 2/8     # on each machine, in a clone
    python -m stages.sweep collect --grid sweeps/<name>.yaml             # anywhere: pull all, print the table

A grid file lists values per param key, and may list cases, each setting several keys together; every
combination of values (times every case) is one experiment, named from the sweep and
the point's values, so a rerun finds what is already done: a point whose experiment is on the git remote
is skipped. Each experiment's data goes to the DVC remote (with the run cache) before its git ref goes
to the git remote, so a ref there always has its outputs. Nothing here schedules machines: a SLURM
array, a Kubernetes indexed Job or a CI matrix starts one `run` per share.
"""
from __future__ import annotations

import argparse
import hashlib
import itertools
import json
import re
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from stages import cli
from stages.errors import UsageError
from stages.files import write_json

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


def set_value(value: Any) -> str:
    """A value as `dvc exp run -S key=value` reads it: YAML, flow style (null, true, [16, 24], 0.02)."""
    return yaml.safe_dump(value, default_flow_style=True, width=10_000).removesuffix("\n...\n").strip()


def overrides(point: Point) -> list[str]:
    return [arg for key, value in point.items() for arg in ("-S", f"{key}={set_value(value)}")]


def flatten(data: Any, prefix: str = "") -> dict[str, Any]:
    if isinstance(data, dict):
        return {k: v for key, value in data.items() for k, v in flatten(value, f"{prefix}{key}.").items()}
    return {prefix.rstrip("."): data}


def table(grid: Grid, rows: dict[str, dict[str, Any]], columns: list[str]) -> str:
    """One line per grid point, in grid order: its name, its values and the chosen metrics ('-': none)."""
    keys = [*grid.cases[0], *grid.values]
    header = ["experiment", *keys, *columns]
    lines = [header]
    for point in grid_points(grid):
        name = point_name(grid, point)
        metrics = rows.get(name)
        cells = [name, *(set_value(point[key]) for key in keys)]
        cells += [("-" if metrics is None or metrics.get(c) is None else f"{metrics[c]:.4g}"
                   if isinstance(metrics.get(c), float) else str(metrics[c])) for c in columns]
        lines.append(cells)
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    return "\n".join("  ".join(cell.ljust(w) for cell, w in zip(line, widths, strict=True)).rstrip()
                     for line in lines)


# ---- the thin part: the dvc and git commands a user would type ----

def _call(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    try:
        result = subprocess.run(list(args), capture_output=True, text=True)
    except FileNotFoundError:
        raise SweepError(f"`{args[0]}` not found: run with the project's environment active") from None
    if check and result.returncode != 0:
        lines = (result.stderr or result.stdout).strip().splitlines()
        detail = next((line for line in reversed(lines) if line.startswith("ERROR")), lines[-1] if lines else "")
        raise SweepError(f"`{' '.join(args)}` failed: {detail}")
    return result


def _names(*args: str) -> set[str]:
    return set(_call("dvc", "exp", "list", "--name-only", *args).stdout.split())


def run_share(grid: Grid, index: int, count: int, git_remote: str, dvc_remote: str | None) -> int:
    remote = ["-r", dvc_remote] if dvc_remote else []
    mine = shard(grid_points(grid), index, count)
    done_remotely = _names(git_remote)
    print(f"share {index}/{count}: {len(mine)} of {len(grid_points(grid))} points", flush=True)
    for point in mine:
        name = point_name(grid, point)
        if name in done_remotely:
            print(f"{name}: already on {git_remote}, skipped", flush=True)
            continue
        if name not in _names():  # a rerun in the same clone may have run it and died before pushing
            _call("dvc", "exp", "run", "--pull", "-n", name, *overrides(point))
        # Outputs and run cache first, then the git ref: a ref on the remote always has its data.
        _call("dvc", "push", "--run-cache", *remote)
        _call("dvc", "exp", "push", *remote, git_remote, name)
        print(f"{name}: ran and pushed ({' '.join(overrides(point))})", flush=True)
    return 0


def experiments() -> dict[str, dict[str, Any]]:
    """Every experiment in this repository, by name: its git commit, its baseline's, its params and its
    metrics, both flattened to dotted keys (`train.units`; metrics prefixed with the file's stem,
    `eval.heldout.accuracy`), as `dvc exp show` reads them from the experiment's commit."""
    found: dict[str, dict[str, Any]] = {}
    for commit in json.loads(_call("dvc", "exp", "show", "--json").stdout):
        for exp in commit.get("experiments") or []:
            for entry in exp["revs"]:
                data = entry.get("data") or {}
                params = {}
                for content in (data.get("params") or {}).values():
                    params.update(flatten((content or {}).get("data") or {}))
                metrics = {}
                for path, content in (data.get("metrics") or {}).items():
                    metrics.update(flatten((content or {}).get("data") or {}, f"{Path(path).stem}."))
                found[entry.get("name") or entry["rev"]] = {
                    "rev": entry["rev"], "baseline": commit["rev"], "params": params, "metrics": metrics}
    return found


def collect(grid: Grid, git_remote: str, with_outputs: bool = True, json_out: Path | None = None) -> int:
    names = [point_name(grid, point) for point in grid_points(grid)]
    on_remote = _names(git_remote)
    present = [name for name in names if name in on_remote]
    if present:
        _call("dvc", "exp", "pull", *([] if with_outputs else ["--no-cache"]), git_remote, *present)
    found = experiments()
    rows = {name: found[name]["metrics"] for name in names if name in found}
    columns = sorted({c for name in present for c in rows.get(name, {})
                      if c.startswith("eval.") and c.endswith(".accuracy") and ".buckets." not in c})
    print(table(grid, rows, ["train.epochs", *columns]))
    if json_out is not None:  # every point of the grid, in grid order, with what its experiment recorded
        write_json(json_out, [{"name": name, "point": point, **found.get(name, {})}
                              for point, name in zip(grid_points(grid), names, strict=True)])
    missing = [name for name in names if name not in rows]
    if missing:
        print(f"missing: {len(missing)} of {len(names)} points: {' '.join(missing)}", file=sys.stderr)
        return 1
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.sweep", description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    run = commands.add_parser("run", help="run this machine's share and push it")
    run.add_argument("--shard", default="1/1", help="k/n: the k-th of n shares (default 1/1: all)")
    run.add_argument("--remote", help="DVC remote (default: the repository's default remote)")
    collect_parser = commands.add_parser("collect", help="pull every point's experiment and print the table")
    collect_parser.add_argument("--metrics-only", action="store_true",
                      help="pull the experiments' git refs only, not their models and data")
    collect_parser.add_argument("--json", type=Path, metavar="FILE",
                      help="also write every point, its experiment's commit, params and metrics, to FILE")
    for command in (run, collect_parser):
        command.add_argument("--grid", type=Path, required=True, help="grid file, e.g. sweeps/tiny.yaml")
        command.add_argument("--git-remote", default="origin", help="git remote shared by every machine")
    args = parser.parse_args(argv)
    grid = load_grid(args.grid)
    if args.command == "run":
        return run_share(grid, *parse_shard(args.shard), git_remote=args.git_remote, dvc_remote=args.remote)
    return collect(grid, args.git_remote, with_outputs=not args.metrics_only, json_out=args.json)


if __name__ == "__main__":
    sys.exit(cli.run(main))
