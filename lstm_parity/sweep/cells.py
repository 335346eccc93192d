"""A grid of seeds, run cell by cell: the points of a grid that differ only in train.seed form a cell, share
its data sets (generated once), and are trained one after another in one process, Keras imported once.

Each point runs exactly as `dvc exp run -S ...` with its overrides would run the pipeline: the same
params, the same data bytes, a model trained from its own seed in a fresh Keras session (the same weights
bit for bit as a process of its own: tests/pipeline/test_cells.py), evaluated and explained by the stages' own
library calls, and its metrics of record taken as the report stage takes them and named as `dvc exp show`
names them. So every point's outcome is reproduced by one command, which its record carries, while a study
of hundreds of seeds spends its time training: no second process, no DVC bookkeeping, no figures per run.

Cells run on `workers` processes at once; each cell's records are written to the work folder when it
ends, so running again with the same folder resumes, only on what the run started from: the folder keeps
the caller's stamp (the commit) and params.yaml's digest, and a resume on others is refused.
"""
from __future__ import annotations

import concurrent.futures
import hashlib
import json
import multiprocessing
import os
import resource
import shlex
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from lstm_parity.files import read_json, write_json
from lstm_parity.params import PARAMS_FILE, Params
from lstm_parity.sweep.experiments import flatten, metric_prefix
from lstm_parity.sweep.grid import Grid, Point, grid_points, point_name, point_params

SEED_KEY = "train.seed"
# The metrics files of the pipeline (dvc.yaml's `metrics`): a point's metrics are named from these paths,
# as `dvc exp show` names an experiment's. Training's is its dvclive log's, which the report stage copies;
# the others the report stage writes from the stages' results (lstm_parity.metrics.of_record).
TRAIN_METRICS = "metrics/train/metrics.json"
RECORDED_METRICS = {"eval": "metrics/eval.json", "splits": "metrics/splits.json",
                    "automaton": "metrics/automaton.json"}


def cells(points: list[Point]) -> list[list[Point]]:
    """The points grouped by everything but train.seed, in grid order."""
    grouped: dict[str, list[Point]] = {}
    for point in points:
        key = json.dumps({k: v for k, v in point.values.items() if k != SEED_KEY}, sort_keys=True)
        grouped.setdefault(key, []).append(point)
    return list(grouped.values())


def cell_name(grid: Grid, cell: list[Point]) -> str:
    digest = hashlib.sha256(json.dumps([point_name(grid, p) for p in cell]).encode()).hexdigest()[:10]
    return f"{grid.name}-cell-{digest}"


def command(point: Point) -> str:
    """The one command that runs this point through the pipeline: `dvc exp run` with its overrides."""
    return "dvc exp run " + " ".join(f"-S {shlex.quote(o)}" for o in point.overrides)


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def run_point(p: Params, data: Path, folder: Path, splits: dict) -> tuple[dict[str, Any], dict[str, float]]:
    """One seed of a cell: train as stages/train.py does, evaluate as stages/evaluate.py, explain as
    stages/explain.py; returns the metrics of record, flattened as `dvc exp show` names them, and the CPU
    seconds each part took."""
    from lstm_parity import automaton
    from lstm_parity.datasets import VALIDATION_SET, ParitySet
    from lstm_parity.evaluation import evaluate_all
    from lstm_parity.keras_file import read_weights
    from lstm_parity.metrics import of_record
    from lstm_parity.model import build_model, keras, save_model
    from lstm_parity.training import LiveLog, train

    cpu = {"train": -_cpu_seconds()}
    keras.backend.clear_session()  # what a process of its own starts from: no layer names, no seed generator
    keras.utils.set_random_seed(p.train.seed)
    model = build_model(p.train.units)
    log = LiveLog(folder / "live")
    result = train(model, ParitySet(data / "train"), ParitySet(data / "train" / VALIDATION_SET), p.train, [log])
    log.close(result.reached_target)
    save_model(model, folder / "model.keras")
    cpu["train"] += _cpu_seconds()
    cpu["evaluate"] = -_cpu_seconds()
    weights = read_weights(folder / "model.keras")
    sections = evaluate_all(weights, data / "heldout", data / "lengths", p.evaluate.lengths)
    cpu["evaluate"] += _cpu_seconds()
    cpu["explain"] = -_cpu_seconds()
    learned, _, _ = automaton.explain(weights, p.explain.count, p.explain.length, p.explain.seed)
    cpu["explain"] += _cpu_seconds()
    results = {"eval": {name: r.section for name, r in sections.items()}, "splits": splits, "automaton": learned}
    metrics = flatten(read_json(folder / "live" / "metrics.json"), metric_prefix(TRAIN_METRICS))
    for kind, path in RECORDED_METRICS.items():
        metrics.update(flatten(of_record(kind, results[kind]), metric_prefix(path)))
    return metrics, cpu


def run_cell(grid: Grid, cell: list[Point], params_file: Path, folder: Path) -> list[dict[str, Any]]:
    """Every point of a cell, one after another in this process, on data generated once into `folder`;
    a record per point: its name, overrides, command, params (flattened), metrics, the model's sha256 and
    the CPU seconds of its parts. The models stay in folder/<point name>/model.keras."""
    from lstm_parity.datasets import VALIDATION_SET, ParitySet
    from lstm_parity.evaluation import split_figures
    from lstm_parity.generation import SETS, generate

    started = _cpu_seconds()
    first = point_params(grid, cell[0], params_file)
    data = folder / "data"
    for kind in SETS:
        generate(kind, data / kind, first)
    splits = split_figures(ParitySet(data / "train"), ParitySet(data / "train" / VALIDATION_SET),
                           ParitySet(data / "heldout"))
    records = []
    for point in cell:
        p = point_params(grid, point, params_file)
        if p.data != first.data or p.evaluate != first.evaluate:
            raise ValueError(f"{point_name(grid, point)}: a cell's points differ only in {SEED_KEY}")
        out = folder / point_name(grid, point)
        metrics, cpu = run_point(p, data, out, splits)
        records.append({"name": point_name(grid, point), "overrides": list(point.overrides),
                        "command": command(point), "params": flatten(_as_dict(p)), "metrics": metrics,
                        "model_sha256": hashlib.sha256((out / "model.keras").read_bytes()).hexdigest(),
                        "cpu_s": {part: round(seconds, 3) for part, seconds in cpu.items()}})
    records[0]["cell_cpu_s"] = round(_cpu_seconds() - started, 3)  # the whole cell: data, Keras, every point
    return records


def _as_dict(p: Params) -> dict[str, Any]:
    import dataclasses

    return {name: {k: list(v) if isinstance(v, tuple) else v for k, v in dataclasses.asdict(section).items()}
            for name, section in ((f.name, getattr(p, f.name)) for f in dataclasses.fields(p))}


def _cell_job(grid: Grid, cell: list[Point], params_file: Path, folder: Path, out: Path) -> str:
    records = run_cell(grid, cell, params_file, folder)
    write_json(out, {"cell": out.stem, "pid": os.getpid(), "records": records})
    return out.stem


def run_cells(grid: Grid, workdir: Path, workers: int, params_file: Path = PARAMS_FILE,
              progress: Callable[[str], None] = print, stamp: dict[str, Any] | None = None) -> dict[str, Any]:
    """Every cell of the grid on `workers` processes at once, a process per cell (spawned: it imports Keras
    once, for the cell's seeds), the cells of a resumed run skipped; returns the records of every point, in
    grid order, the wall time and the CPU seconds all workers spent. `stamp` (the commit, say) and the
    params file's digest are kept in `workdir`: a resume from another stamp or params is refused."""
    points = grid_points(grid)
    by_cell = cells(points)
    done = workdir / "cells"
    todo = [(cell, done / f"{cell_name(grid, cell)}.json") for cell in by_cell]
    pending = [(cell, out) for cell, out in todo if not out.exists()]
    _check_stamp(workdir, {**(stamp or {}), "params_sha256": hashlib.sha256(params_file.read_bytes()).hexdigest()},
                 resuming=len(pending) < len(todo))
    progress(f"{len(points)} points in {len(by_cell)} cells; {len(todo) - len(pending)} cells done before")
    started = time.monotonic()
    # A fresh process per cell: Keras keeps some memory of every model a process built (about 50 MB each
    # here), so a worker's memory is bounded by one cell's seeds; each cell imports Keras once.
    context = multiprocessing.get_context("spawn")
    # One BLAS thread per worker: the workers already fill the cores, and OpenBLAS splits the evaluation's
    # matrix products of 8 units or more over two threads that then wait on each other (measured: the same
    # evaluation took 1.6 CPU seconds so against 0.9 on one thread, in the same wall time). Spawned workers
    # read this as they start, before numpy loads OpenBLAS.
    os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")
    with concurrent.futures.ProcessPoolExecutor(max_workers=workers, mp_context=context,
                                                max_tasks_per_child=1) as pool:
        futures = [pool.submit(_cell_job, grid, cell, params_file, workdir / out.stem, out) for cell, out in pending]
        for finished, future in enumerate(concurrent.futures.as_completed(futures), 1):
            progress(f"cell {future.result()} done ({finished}/{len(pending)}, "
                     f"{(time.monotonic() - started) / 60:.1f} min)")
    wall = time.monotonic() - started
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    records = {r["name"]: r for _, out in todo for r in read_json(out)["records"]}
    return {"points": [records[point_name(grid, point)] for point in points], "cells": len(by_cell),
            "wall_s": round(wall, 1), "workers_cpu_s": round(children.ru_utime + children.ru_stime, 1),
            "resumed": len(pending) < len(todo)}


def _check_stamp(workdir: Path, stamp: dict[str, Any], resuming: bool) -> None:
    path = workdir / "stamp.json"
    if not resuming:
        write_json(path, stamp)
        return
    kept = read_json(path) if path.exists() else None
    if kept != stamp:
        differ = "no stamp" if kept is None else ", ".join(
            f"{key} {kept.get(key)} -> {stamp.get(key)}" for key in sorted({*kept, *stamp})
            if kept.get(key) != stamp.get(key))
        raise SystemExit(f"{workdir}: its cells were run on other code or params ({differ}); a resume would mix "
                         f"them: run again with a new work folder")


def model_files(grid: Grid, workdir: Path) -> dict[str, Path]:
    """Where run_cells kept each point's model: point name -> workdir/<cell>/<point>/model.keras."""
    return {point_name(grid, point): workdir / cell_name(grid, cell) / point_name(grid, point) / "model.keras"
            for cell in cells(grid_points(grid)) for point in cell}


def add_zero_run_probe(grid: Grid, workdir: Path, ran: dict[str, Any]) -> dict[str, Any]:
    """Each record of run_cells's result, with `zero_run_first_wrong` (lstm_parity.probes) of the model it
    kept, checked to be the model the record names by its sha256."""
    from lstm_parity.keras_file import read_weights
    from lstm_parity.probes import first_wrong_length

    files = model_files(grid, workdir)
    for record in ran["points"]:
        model = files[record["name"]]
        if hashlib.sha256(model.read_bytes()).hexdigest() != record["model_sha256"]:
            raise ValueError(f"{model}: not the model {record['name']}'s record names")
        record["zero_run_first_wrong"] = first_wrong_length(read_weights(model))
    return ran
