"""The phase diagram: for which sizes and training lengths an LSTM learns parity, how often and how fast.
Run from the project root, with the project's environment active:

    python studies/phase/run.py run     # phase.yaml's points, cell by cell; writes results/phase.json
    python studies/phase/run.py table   # from that JSON only: results/phase.png and the docs' markdown
    python studies/phase/run.py answer  # from that JSON only: the README's contrasts

`run` runs the grid with lstm_parity.sweep.cells: the 30 seeds of a cell (a case, a size and a training
length) share their data and train one after another in one process, each exactly as `dvc exp run` with
its overrides trains it, so each run's record carries the one command that reproduces it. Two workers
take cells at once. `--workdir DIR` keeps the data, models and logs in DIR; running again with the same
DIR resumes from the cells done. The results record the commit, the machine, the wall time and the CPU
seconds of every part of every run.
"""
from __future__ import annotations

import argparse
import itertools
import json
import statistics
import sys
import tempfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lstm_parity.figures.png import pyplot, save_png
from lstm_parity.files import write_text
from lstm_parity.markdown import table as markdown_table
from lstm_parity.params import SUPERVISIONS
from lstm_parity.probes import PREFIXES, ZEROS
from lstm_parity.provenance import measured_line, measured_on
from lstm_parity.splits import capacity
from lstm_parity.stats import fisher_p, proportion_interval
from lstm_parity.sweep.cells import add_zero_run_probe, run_cells
from lstm_parity.sweep.grid import load_grid

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
GRID = STUDY / "phase.yaml"
RESULTS_FILE = STUDY / "results" / "phase.json"
HEATMAP = STUDY / "results" / "phase.png"
WORKERS = 2
# A run passes with final-step accuracy at least this on its held-out set (at the training lengths, no
# string of it trained on) and at ten times the training length.
HELDOUT_BAR = 0.999
LONGER_BAR = 0.99
PASS_MULTIPLE = 10
HOLD = 0.99            # a passed run "holds" at a length while its accuracy there is at least this
HOLD_MULTIPLE = 100    # ... tested at 100 times the training length
HOLD_FIXED = 10_000    # ... and at a fixed 10,000 bits


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
class Verdict:
    """One set's accuracy against its bar, with how sure the verdict is from the set's size."""
    accuracy: float
    count: int
    bar: float
    exhaustive: bool = False   # the set is every string there is to test (the whole held-out split)

    @property
    def passed(self) -> bool:
        return self.accuracy >= self.bar

    @property
    def close(self) -> bool:
        """The bar lies inside the 95% interval of the accuracy measured on `count` sequences: another
        draw of the set could give the other verdict. A set of every string to test has no other draw."""
        if self.exhaustive:
            return False
        low, high = proportion_interval(round(self.accuracy * self.count), self.count)
        return low <= self.bar <= high


@dataclass(frozen=True)
class Run:
    case: Case
    units: int
    seq_len: int
    seed: int
    verdicts: tuple[Verdict, Verdict]   # held-out, and at PASS_MULTIPLE times the training length
    reached_target: bool                # training stopped at its validation target, within the budget
    steps: int                          # training steps taken (the budget when the target was not reached)
    holds_multiple: bool                # accuracy >= HOLD at HOLD_MULTIPLE times the training length
    holds_fixed: bool                   # ... and at HOLD_FIXED bits
    two_state_flip: bool                # its automaton: two states, the parity flipping on a 1
    zero_run_first_wrong: int | None    # the shortest prefix-then-zeros input it answers wrong (lstm_parity.probes)

    @property
    def success(self) -> bool:
        return all(v.passed for v in self.verdicts)

    @property
    def close_call(self) -> bool:
        return any(v.close for v in self.verdicts)


def run_outcome(point: dict[str, Any]) -> Run:
    """One run's outcome, from the params and metrics its record holds."""
    params, metrics = point["params"], point["metrics"]
    seq_len = params["data.seq_len"]

    def accuracy(length: int) -> float:
        return metrics[f"eval.length_{length}.accuracy"]

    return Run(case=Case(params["train.supervision"], params["data.min_len"]), units=params["train.units"],
               seq_len=seq_len, seed=params["train.seed"],
               verdicts=(Verdict(metrics["eval.heldout.accuracy"], params["evaluate.heldout_count"], HELDOUT_BAR,
                                 params["evaluate.heldout_count"] == capacity(seq_len, params["data.min_len"])),
                         Verdict(accuracy(PASS_MULTIPLE * seq_len), params["evaluate.count"], LONGER_BAR)),
               reached_target=metrics["train.reached_target"], steps=metrics["train.step"],
               holds_multiple=accuracy(HOLD_MULTIPLE * seq_len) >= HOLD, holds_fixed=accuracy(HOLD_FIXED) >= HOLD,
               two_state_flip=metrics["automaton.states"] == 2 and metrics["automaton.is_parity_flip"],
               zero_run_first_wrong=point["zero_run_first_wrong"])


def outcomes(results: dict) -> list[Run]:
    missing = [point["name"] for point in results["points"] if "metrics" not in point]
    if missing:
        raise SystemExit(f"{RESULTS_FILE.name}: {len(missing)} points have no record: {' '.join(missing[:5])}")
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


def share(hits: int, of: int) -> str:
    """k/n with its 95% interval (Wilson's)."""
    low, high = proportion_interval(hits, of)
    return f"{hits}/{of} ({low:.2f}-{high:.2f})"


def success_text(runs: list[Run]) -> str:
    return share(sum(r.success for r in runs), len(runs))


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


def of_passed(runs: list[Run], holds: Callable[[Run], bool]) -> str:
    solved = [r for r in runs if r.success]
    return f"{sum(holds(r) for r in solved)}/{len(solved)}" if solved else "-"


def heatmap(runs: list[Run], path: Path) -> None:
    """Pass rate per cell, one panel per case: units down, training length across, k/n and its interval
    written in."""
    plt = pyplot()
    cells = by_cell(runs)
    cases, units, lengths = axes(runs)
    figure, panels = plt.subplots(1, len(cases), figsize=(4.4 * len(cases), 4.4), squeeze=False)
    for panel, case in zip(panels[0], cases, strict=True):
        rate = [[sum(r.success for r in cells[case, u, n]) / len(cells[case, u, n]) for n in lengths] for u in units]
        image = panel.imshow(rate, vmin=0, vmax=1, cmap="viridis", aspect="auto")
        for (i, u), (j, n) in itertools.product(enumerate(units), enumerate(lengths)):
            here = cells[case, u, n]
            hits = sum(r.success for r in here)
            low, high = proportion_interval(hits, len(here))
            panel.text(j, i, f"{hits}/{len(here)}\n{low:.2f}-{high:.2f}", ha="center", va="center", fontsize=8,
                       color="white" if rate[i][j] < 0.6 else "black")
        panel.set_xticks(range(len(lengths)), [str(n) for n in lengths])
        panel.set_yticks(range(len(units)), [str(u) for u in units])
        panel.set_xlabel("training length L (data.seq_len)")
        panel.set_ylabel("LSTM units (train.units)")
        panel.set_title(f"loss at {case.label()}", fontsize=10)
    figure.colorbar(image, ax=panels[0].tolist(), label="share of seeds that passed", shrink=0.8)
    figure.suptitle("LSTM parity: seeds that passed, with 95% intervals", fontsize=11)
    save_png(figure, path)


def cell_table(runs: list[Run], cell_text: Callable[[list[Run]], str]) -> list[str]:
    cells = by_cell(runs)
    cases, units, lengths = axes(runs)
    header = ["units", *(case.label(n) for case in cases for n in lengths)]
    rows = [[str(u), *(cell_text(cells[case, u, n]) for case in cases for n in lengths)] for u in units]
    return markdown_table(header, ["---:", *["---"] * (len(header) - 1)], rows)


# The contrasts the answer rests on, chosen before the runs: each pools cells where single cells hold too
# few seeds, and is tested with Fisher's exact test.

@dataclass(frozen=True)
class Contrast:
    question: str
    first: tuple[str, Callable[[Run], bool]]
    second: tuple[str, Callable[[Run], bool]]


def contrasts(cases: list[Case]) -> list[Contrast]:
    found = []
    for case in cases:
        loss = case.label("L").split(",")[0]

        def in_case(r: Run, case: Case = case) -> bool:
            return r.case == case

        found += [
            Contrast(f"{loss}: one unit against two or more (every length)",
                     ("1 unit", lambda r, c=in_case: c(r) and r.units == 1),
                     ("2-8 units", lambda r, c=in_case: c(r) and r.units >= 2)),
            Contrast(f"{loss}: training length 10 against 50 (2-8 units)",
                     ("L = 10", lambda r, c=in_case: c(r) and r.units >= 2 and r.seq_len == 10),
                     ("L = 50", lambda r, c=in_case: c(r) and r.units >= 2 and r.seq_len == 50)),
            Contrast(f"{loss}: training length 50 against 200 (2-8 units)",
                     ("L = 50", lambda r, c=in_case: c(r) and r.units >= 2 and r.seq_len == 50),
                     ("L = 200", lambda r, c=in_case: c(r) and r.units >= 2 and r.seq_len == 200)),
        ]
    if len(cases) == 2:
        found.append(Contrast("a loss at every bit against at the last bit only (every cell)",
                              (cases[0].label("L").split(",")[0], lambda r: r.case == cases[0]),
                              (cases[1].label("L").split(",")[0], lambda r: r.case == cases[1])))
    return found


def contrast_rows(runs: list[Run], found: Iterable[Contrast]) -> list[list[str]]:
    rows = []
    for contrast in found:
        (name_a, in_a), (name_b, in_b) = contrast.first, contrast.second
        a, b = [r for r in runs if in_a(r)], [r for r in runs if in_b(r)]
        hits_a, hits_b = sum(r.success for r in a), sum(r.success for r in b)
        p = fisher_p(hits_a, len(a), hits_b, len(b))
        rows.append([contrast.question, f"{name_a}: {share(hits_a, len(a))}", f"{name_b}: {share(hits_b, len(b))}",
                     f"{p:.2g}"])
    return rows


def cpu_text(results: dict, runs: list[Run]) -> str:
    """Where the CPU seconds went, per run and per cell. A resumed run's wall time and its workers' CPU
    count only its last part, so its CPU per run comes from the cells' own processes, which every part
    recorded."""
    points = results["points"]
    parts: dict[str, float] = {}
    for point in points:
        for part, seconds in point["cpu_s"].items():
            parts[part] = parts.get(part, 0.0) + seconds
    in_cells = sum(point.get("cell_cpu_s", 0.0) for point in points)  # on each cell's first record only
    data = in_cells - sum(parts.values())
    n = len(runs)
    split = ", ".join(f"{part} {seconds / n:.1f}" for part, seconds in parts.items())
    where = f"{split}; {data / results['cells']:.1f} per cell for its data sets and importing Keras"
    if results["resumed"]:
        return (f"{n} runs in {results['cells']} cells on {results['workers']} workers at once, resumed: its last "
                f"part took **{results['wall_s'] / 60:.1f} minutes** of wall time. The cells' processes used "
                f"{in_cells:,.0f} CPU seconds, {in_cells / n:.1f} per run: {where}.")
    return (f"{n} runs in {results['cells']} cells on {results['workers']} workers at once: "
            f"**{results['wall_s'] / 60:.1f} minutes** of wall time; "
            f"the workers used {results['workers_cpu_s']:,.0f} CPU seconds, {results['workers_cpu_s'] / n:.1f} per "
            f"run: {where}; {results['workers_cpu_s'] - in_cells:,.0f} in all starting the workers.")


def render(results: dict, png: Path) -> str:
    runs = outcomes(results)
    heatmap(runs, png)
    budget = results["points"][0]["params"]
    steps_budget = budget["data.count"] * budget["train.epochs"] // budget["train.batch_size"]
    close = [r for r in runs if r.close_call]
    lines = [
        measured_line(results["measured_on"], ["python studies/phase/run.py run"]),
        "",
        cpu_text(results, runs),
        "",
        f"Runs that passed (final-step accuracy >= {HELDOUT_BAR} on the held-out set, none of its strings "
        f"trained on, and >= {LONGER_BAR} at {PASS_MULTIPLE} times the training length), of the seeds run, with "
        f"the 95% interval of the share:",
        "",
        *cell_table(runs, success_text),
        "",
        f"{len(close)} of {len(runs)} verdicts ({sum(r.success for r in close)} passes, "
        f"{sum(not r.success for r in close)} fails) are close calls: a bar lies inside the 95% interval of the "
        f"accuracy its set measured, so another draw of the set could reverse them.",
        "",
        f"Steps to the validation target, for the runs that reached it: median (fewest-most); the budget is "
        f"{steps_budget:,} steps of {budget['train.batch_size']} sequences:",
        "",
        *cell_table(runs, steps_text),
        "",
        f"How far the runs that passed hold: how many still score >= {HOLD} at {HOLD_MULTIPLE} times the "
        f"training length:",
        "",
        *cell_table(runs, lambda cell: of_passed(cell, lambda r: r.holds_multiple)),
        "",
        f"... and at {HOLD_FIXED:,} bits:",
        "",
        *cell_table(runs, lambda cell: of_passed(cell, lambda r: r.holds_fixed)),
        "",
        "What the runs that passed learned: how many have an automaton of two states with the parity flipping "
        "on a 1 (`metrics/automaton.json`):",
        "",
        *cell_table(runs, lambda cell: of_passed(cell, lambda r: r.two_state_flip)),
        "",
        f"... and how many stay right after every bit of the inputs random strings almost never hold: each of "
        f"{len(PREFIXES)} short prefixes ({', '.join(p or 'none' for p in PREFIXES)}) then {ZEROS:,} zeros "
        f"(`lstm_parity/probes.py`):",
        "",
        *cell_table(runs, lambda cell: of_passed(cell, lambda r: r.zero_run_first_wrong is None)),
        "",
        *contrast_table(runs),
    ]
    return "\n".join(lines) + "\n"


def contrast_table(runs: list[Run]) -> list[str]:
    """The pre-declared contrasts, each pooled share with its interval, and Fisher's p."""
    cases, _, _ = axes(runs)
    return ["The contrasts the answer rests on, chosen before the runs, pooled over cells, with Fisher's exact "
            "test (two-sided p):",
            "",
            *markdown_table(["contrast", "first", "second", "p"], ["---"] * 4, contrast_rows(runs, contrasts(cases)))]


def answer(results: dict) -> str:
    """The README's evidence: where the figures come from, and the contrasts."""
    runs = outcomes(results)
    passed = [r for r in runs if r.success]
    slipped = sum(r.zero_run_first_wrong is not None for r in passed)
    heading, *table = contrast_table(runs)
    return "\n".join([measured_line(results["measured_on"], ["python studies/phase/run.py run"]), "",
                      f"{len(passed)} of {len(runs)} runs passed; {slipped} of those answer an input of the zero-run "
                      f"probe wrong (`lstm_parity/probes.py`). {heading}",
                      *table]) + "\n"


def write_results(results: dict) -> None:
    """The results file, a point per line: 900 records of full params and metrics stay under 2 MB."""
    head = json.dumps({k: v for k, v in results.items() if k != "points"}, sort_keys=True, allow_nan=False)
    points = ",\n".join(json.dumps(point, sort_keys=True, allow_nan=False) for point in results["points"])
    write_text(RESULTS_FILE, f'{head[:-1]}, "points": [\n{points}\n]}}\n')


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    run_parser = modes.add_parser("run", help=f"run {GRID.name} cell by cell; write {RESULTS_FILE.name}")
    run_parser.add_argument("--workers", type=int, default=WORKERS, help=f"cells at once (default {WORKERS})")
    run_parser.add_argument("--workdir", type=Path, help="keep data, models and logs here; the same DIR resumes")
    probe_parser = modes.add_parser("probe", help=f"probe the models a run kept; write {RESULTS_FILE.name}")
    probe_parser.add_argument("--workdir", type=Path, required=True, help="the run's DIR")
    modes.add_parser("table", help=f"{HEATMAP.name} and the docs' markdown, from {RESULTS_FILE.name} only")
    modes.add_parser("answer", help=f"the README's contrasts, from {RESULTS_FILE.name} only")
    args = parser.parse_args(argv)
    if args.mode == "run":
        workdir = Path(tempfile.mkdtemp(prefix="phase-")) if args.workdir is None else args.workdir.resolve()
        workdir.mkdir(parents=True, exist_ok=True)
        grid = load_grid(GRID)
        measured = measured_on([PROJECT])  # at the start: the code each cell's process imports from here
        stamp = {key: measured[key] for key in ("commit", "modified")}  # a resume on other code is refused
        ran = add_zero_run_probe(grid, workdir, run_cells(grid, workdir, args.workers, PROJECT / "params.yaml",
                                                          stamp=stamp))
        write_results({"measured_on": measured,
                                  "grid_file": GRID.relative_to(PROJECT).as_posix(), "workers": args.workers, **ran})
        print(f"wrote {RESULTS_FILE.relative_to(PROJECT)}")
        return 0
    if args.mode == "probe":
        write_results(add_zero_run_probe(load_grid(GRID), args.workdir.resolve(),
                                                    json.loads(RESULTS_FILE.read_text())))
        print(f"probed the models in {args.workdir}; wrote {RESULTS_FILE.relative_to(PROJECT)}")
        return 0
    results = json.loads(RESULTS_FILE.read_text())
    print(answer(results) if args.mode == "answer" else render(results, HEATMAP), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
