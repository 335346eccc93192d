"""Reliability: how many training seeds reach the pass bar, for the default recipe, the default with one
unit, and the post's recipe. Each is a sweep over `train.seed` (its grid beside this file), the data fixed,
run as one cell (lstm_parity.sweep.cells): the seeds one after another in one process, each exactly as
`dvc exp run -S ...` with its overrides would run it, and its record carries that command. Run from the
project root, with the project's environment active:

    python studies/reliability/run.py run [GRID ...]   # default: every grid here; writes results/<grid>.json
    python studies/reliability/run.py table            # the docs' markdown, from results/ only
"""
from __future__ import annotations

import argparse
import json
import tempfile
from pathlib import Path

from lstm_parity.files import write_json
from lstm_parity.markdown import table as markdown_table
from lstm_parity.metrics import PASS_BAR, passes
from lstm_parity.probes import PREFIXES, ZEROS
from lstm_parity.provenance import measured_lines, measured_on
from lstm_parity.stats import proportion_interval
from lstm_parity.sweep.cells import add_zero_run_probe, run_cells
from lstm_parity.sweep.grid import load_grid

STUDY = Path(__file__).resolve().parent
PROJECT = STUDY.parents[1]
RESULTS = STUDY / "results"
GRIDS = ("default", "one-unit", "post-recipe")  # in the table's order
WORKERS = 2


def recipe_text(params: dict) -> str:
    """A run's recipe in words, from the params its experiment recorded."""
    units = params["train.units"]
    text = (f"{units} unit{'' if units == 1 else 's'}, Adam {params['train.learning_rate']}, "
            f"batch {params['train.batch_size']}")
    targets = [f"{name} {params[f'train.target_{name}']}" for name in ("accuracy", "confidence")
               if params.get(f"train.target_{name}") is not None]
    epochs = params["train.epochs"]
    return text + (f", stop at {' and '.join(targets)} or after {epochs} epochs" if targets else f", {epochs} epochs")


def section(name: str) -> str:
    return "held-out" if name == "heldout" else name.replace("_", "-")


def results_markdown(all_results: list[tuple[str, dict]]) -> str:
    header = ["grid", "recipe", "passed (95% interval)",
              *(f"{section(name)} accuracy, seeds in order" for name in PASS_BAR),
              "first wrong input of the zero-run probe, seeds in order"]
    rows = []
    for grid, results in all_results:
        points = results["points"]
        accuracy = [{name: point["metrics"][f"eval.{name}.accuracy"] for name in PASS_BAR} for point in points]
        passed = sum(passes(run) for run in accuracy)
        low, high = proportion_interval(passed, len(points))
        rows.append([f"`{grid}`", recipe_text(points[0]["params"]),
                     f"{passed}/{len(points)} ({low:.2f}-{high:.2f})",
                     *(" ".join(f"{run[name]:.3f}" for run in accuracy) for name in PASS_BAR),
                     " ".join("-" if p["zero_run_first_wrong"] is None else str(p["zero_run_first_wrong"])
                              for p in points)])
    commands = [(results["measured_on"], f"python studies/reliability/run.py run {grid}")
                for grid, results in all_results]
    bar = " and ".join(f"{PASS_BAR[name]} on {section(name)}" for name in PASS_BAR)
    lines = [*measured_lines(commands), "", *markdown_table(header, ["---"] * len(header), rows), "",
             f"A run passes with final-step accuracy at least {bar}; the data are the same for every seed. The "
             f"interval is Wilson's score interval for the share of seeds that pass. The zero-run probe "
             f"(`lstm_parity/probes.py`) gives each of {len(PREFIXES)} short prefixes {ZEROS:,} zeros and names the "
             f"length of the shortest input the model answers wrong (-: none), inputs random strings almost never "
             f"hold."]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    modes = parser.add_subparsers(dest="mode", required=True)
    run = modes.add_parser("run", help="run grids cell by cell; write results/<grid>.json")
    run.add_argument("grids", nargs="*", default=list(GRIDS), choices=GRIDS)
    run.add_argument("--workers", type=int, default=WORKERS)
    modes.add_parser("table", help="the docs' markdown, from results/ only")
    args = parser.parse_args(argv)
    if args.mode == "table":
        found = [(grid, json.loads((RESULTS / f"{grid}.json").read_text())) for grid in GRIDS
                 if (RESULTS / f"{grid}.json").exists()]
        print(results_markdown(found), end="")
        return 0
    for grid in args.grids:
        workdir = Path(tempfile.mkdtemp(prefix=f"reliability-{grid}-"))
        swept = load_grid(STUDY / f"{grid}.yaml")
        measured = measured_on([PROJECT])  # at the start: the code each cell's process imports from here
        stamp = {key: measured[key] for key in ("commit", "modified")}  # a resume on other code is refused
        ran = add_zero_run_probe(swept, workdir, run_cells(swept, workdir, args.workers, PROJECT / "params.yaml",
                                                           stamp=stamp))
        write_json(RESULTS / f"{grid}.json", {"measured_on": measured, **ran})
        print(f"wrote {(RESULTS / f'{grid}.json').relative_to(PROJECT)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
