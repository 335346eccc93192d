"""The phase diagram: for which sizes and training lengths an LSTM learns parity, how often and how fast.
Run from the project root, with the project's environment active:

    python studies/phase/run.py run     # phase.yaml's points as DVC experiments; writes results/phase.json
    python studies/phase/run.py table   # from that JSON only: results/phase.png and the docs' markdown

`run` runs the grid exactly as a team would over machines (docs/scaling-out.md), here with two workers on
this one machine: a bare clone of the committed HEAD stands in for the shared git remote, a local folder
for the shared DVC remote, and each worker is a fresh clone running
`lstm-parity sweep run --grid studies/phase/phase.yaml --shard k/N`. The wall time is from the first
worker's start to the last one's end. Then a fresh clone collects every experiment's commit, params and
metrics (`lstm-parity sweep collect --metrics-only --json ...`) into the results file, with the commit
the grid ran on. `--workdir DIR` keeps the clones and remotes in DIR; running again with the same DIR
resumes (the sweep skips points already pushed), and the results say so.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_parity.figures.png import pyplot, save_png
from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.metrics import PASS_BAR
from lstm_parity.params import SUPERVISIONS
from lstm_parity.provenance import measured_line
from lstm_parity.sweep.local import run_grid_locally

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
GRID = STUDY.relative_to(PROJECT) / "phase.yaml"  # as the workers' clones find it
RESULTS_FILE = STUDY / "results" / "phase.json"
HEATMAP = STUDY / "results" / "phase.png"
HOLD = 0.99  # a model "holds" at a length while its final-step accuracy there is at least this
WORKERS = 2


# From the results file alone: each run's outcome, each cell's figures, the heatmap and the markdown

@dataclass(frozen=True)
class Case:
    """How a run was supervised, and on which lengths: a panel of the heatmap."""
    supervision: str           # per_step or final (lstm_parity.params.SUPERVISIONS)
    min_len: int | None        # None: every sequence seq_len long

    def __post_init__(self):
        if self.supervision not in SUPERVISIONS:
            raise SystemExit(f"train.supervision {self.supervision!r}: this table knows {', '.join(SUPERVISIONS)}")

    def label(self, seq_len: int | str = "L") -> str:
        loss = "every bit" if self.supervision == "per_step" else "last bit"
        return f"{loss}, length {seq_len}" if self.min_len is None else f"{loss}, lengths {self.min_len}..{seq_len}"


@dataclass(frozen=True)
class Run:
    case: Case
    units: int
    seq_len: int
    seed: int
    success: bool              # final-step accuracy >= PASS_BAR on the held-out set and at length 1,000
    reached_target: bool       # training stopped at its validation target, within the budget
    steps: int                 # training steps taken (the budget when the target was not reached)
    holds_to: int | None       # the longest tested length up to which every set is >= HOLD
    two_state_flip: bool       # its automaton: two states, the parity flipping on a 1


def run_outcome(point: dict[str, Any]) -> Run:
    """One experiment's outcome, from the params and metrics its commit recorded."""
    params, metrics = point["params"], point["metrics"]
    lengths = [params["data.seq_len"], *params["evaluate.lengths"]]
    accuracy = [metrics["eval.heldout.accuracy"],
                *(metrics[f"eval.length_{length}.accuracy"] for length in params["evaluate.lengths"])]
    holds_to = None
    for length, value in zip(lengths, accuracy, strict=True):
        if value < HOLD:
            break
        holds_to = length
    return Run(case=Case(params["train.supervision"], params["data.min_len"]),
               units=params["train.units"], seq_len=params["data.seq_len"], seed=params["train.seed"],
               success=all(metrics[f"eval.{name}.accuracy"] >= bar for name, bar in PASS_BAR.items()),
               reached_target=metrics["train.reached_target"], steps=metrics["train.steps"],
               holds_to=holds_to,
               two_state_flip=metrics["automaton.states"] == 2 and metrics["automaton.is_parity_flip"])


def outcomes(results: dict) -> list[Run]:
    missing = [point["name"] for point in results["points"] if "metrics" not in point]
    if missing:
        raise SystemExit(f"{RESULTS_FILE.name}: {len(missing)} points have no experiment: {' '.join(missing[:5])}")
    return [run_outcome(point) for point in results["points"]]


Cell = tuple[Case, int, int]  # (case, units, seq_len)


def by_cell(runs: list[Run]) -> dict[Cell, list[Run]]:
    cells: dict[Cell, list[Run]] = {}
    for outcome in runs:
        cells.setdefault((outcome.case, outcome.units, outcome.seq_len), []).append(outcome)
    return cells


def axes(runs: list[Run]) -> tuple[list[Case], list[int], list[int]]:
    """Cases in the order the grid lists them; units and lengths ascending."""
    return (list(dict.fromkeys(r.case for r in runs)), sorted({r.units for r in runs}),
            sorted({r.seq_len for r in runs}))


def success_text(runs: list[Run]) -> str:
    return f"{sum(r.success for r in runs)}/{len(runs)}"


def median_steps(runs: list[Run]) -> float | None:
    """Median steps to the validation target of the runs that reached it; None when none did."""
    steps = [r.steps for r in runs if r.reached_target]
    return statistics.median(steps) if steps else None


def steps_text(runs: list[Run]) -> str:
    """Steps to the validation target of the runs that reached it: median (min-max), or '-'."""
    median = median_steps(runs)
    if median is None:
        return "-"
    steps = [r.steps for r in runs if r.reached_target]
    return f"{median:g} ({min(steps)}-{max(steps)})"


def held_text(runs: list[Run], length: int) -> str:
    solved = [r for r in runs if r.success]
    if not solved:
        return "-"
    return f"{sum(r.holds_to is not None and r.holds_to >= length for r in solved)}/{len(solved)}"


def flip_text(runs: list[Run]) -> str:
    solved = [r for r in runs if r.success]
    return f"{sum(r.two_state_flip for r in solved)}/{len(solved)}" if solved else "-"


def heatmap(runs: list[Run], path: Path) -> None:
    """Success rate per cell, one panel per case: units down, training length across, k/n written in."""
    plt = pyplot()
    cells = by_cell(runs)
    cases, units, lengths = axes(runs)
    figure, panels = plt.subplots(1, len(cases), figsize=(4.2 * len(cases), 4.2), squeeze=False)
    for panel, case in zip(panels[0], cases, strict=True):
        rate = [[sum(r.success for r in cells[case, u, n]) / len(cells[case, u, n]) for n in lengths] for u in units]
        image = panel.imshow(rate, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for i, u in enumerate(units):
            for j, n in enumerate(lengths):
                runs_here = cells[case, u, n]
                median = median_steps(runs_here)
                panel.text(j, i, success_text(runs_here) + ("" if median is None else f"\n{median:g} steps"),
                           ha="center", va="center", fontsize=8, color="white" if rate[i][j] < 0.6 else "black")
        panel.set_xticks(range(len(lengths)), [str(n) for n in lengths])
        panel.set_yticks(range(len(units)), [str(u) for u in units])
        panel.set_xlabel("training length L (data.seq_len)")
        panel.set_ylabel("LSTM units (train.units)")
        panel.set_title(f"loss at {case.label()}", fontsize=10)
    figure.colorbar(image, ax=panels[0].tolist(), label="share of seeds that passed", shrink=0.8)
    figure.suptitle("LSTM parity: seeds that passed (median steps to the target)", fontsize=11)
    save_png(figure, path)


def cell_table(runs: list[Run], cell_text: Callable[[list[Run]], str]) -> list[str]:
    cells = by_cell(runs)
    cases, units, lengths = axes(runs)
    header = ["units", *(case.label(n) for case in cases for n in lengths)]
    rows = [[str(u), *(cell_text(cells[case, u, n]) for case in cases for n in lengths)] for u in units]
    return markdown_table(header, ["---:", *["---"] * (len(header) - 1)], rows)


def render(results: dict, png: Path) -> str:
    runs = outcomes(results)
    heatmap(runs, png)
    longest = max(max(p["params"]["evaluate.lengths"]) for p in results["points"])
    budget = results["points"][0]["params"]
    steps_budget = budget["data.count"] * budget["train.epochs"] // budget["train.batch_size"]
    lines = [
        measured_line(results["measured_on"], ["python studies/phase/run.py run"]),
        "",
        f"{len(runs)} DVC experiments ({results['grid_file']}) on {results['workers']} workers at once: "
        f"**{results['wall_s'] / 60:.1f} minutes** of wall time{' (resumed)' if results['resumed'] else ''}; "
        f"the workers used {results['sweep_cpu_s']:,.0f} CPU seconds ({results['sweep_cpu_s'] / len(runs):.1f} "
        f"per experiment), all other processes {results['others_cpu_s']:,.0f}. "
        f"{sum(r.success for r in runs)} runs passed; {sum(r.reached_target and not r.success for r in runs)} more "
        f"stopped at their validation target yet missed a bar.",
        "",
        f"Runs that passed (final-step accuracy >= {PASS_BAR['heldout']} on {budget['evaluate.count']} held-out "
        f"sequences and >= {PASS_BAR['length_1000']} at length 1,000), of the seeds run:",
        "",
        *cell_table(runs, success_text),
        "",
        f"Steps to the validation target, for the runs that reached it: median (fewest-most); the budget is "
        f"{steps_budget:,} steps of {budget['train.batch_size']} sequences:",
        "",
        *cell_table(runs, steps_text),
        "",
        f"How far the runs that passed hold: how many still score >= {HOLD} at length {longest:,}:",
        "",
        *cell_table(runs, lambda cell: held_text(cell, longest)),
        "",
        "What the runs that passed learned: how many have an automaton of two states with the parity flipping "
        "on a 1 (`metrics/automaton.json`):",
        "",
        *cell_table(runs, flip_text),
    ]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    run_parser = modes.add_parser("run", help=f"run {GRID} as DVC experiments; write {RESULTS_FILE.name}")
    run_parser.add_argument("--workers", type=int, default=WORKERS, help=f"workers at once (default {WORKERS})")
    run_parser.add_argument("--workdir", type=Path, help="keep clones and remotes here; the same DIR resumes")
    modes.add_parser("table", help=f"{HEATMAP.name} and the README's markdown, from {RESULTS_FILE.name} only")
    args = parser.parse_args(argv)
    if args.mode == "run":
        if args.workdir is None:
            args.workdir = Path(tempfile.mkdtemp(prefix="phase-"))
        args.workdir.mkdir(parents=True, exist_ok=True)
        results = run_grid_locally(PROJECT, GRID, args.workdir.resolve(), args.workers)
        write_json(RESULTS_FILE, results)
        print(f"wrote {RESULTS_FILE.relative_to(PROJECT)}")
        return 0
    print(render(json.loads(RESULTS_FILE.read_text()), HEATMAP), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
