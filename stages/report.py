"""Stage: what a reader of the repository sees of a run, written from what train, evaluate and explain cached.

Writes the metrics of record (metrics/, which git tracks) from the results those stages cache (results/),
copies the plots' data beside them, and draws PNG images of the training curve, of the errors by length
and of what the model learned.
Why copies: `dvc push --run-cache` uploads run-cache entries and the objects of cached outputs only, so
a heavy stage whose metrics were `cache: false` could not be restored from a shared run cache on another
machine (it trained again); this cheap stage, which imports no Keras, writes the git-tracked files
instead, so `dvc metrics diff` across commits keeps working.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from lstm_parity import cli
from lstm_parity.errors import DataError
from lstm_parity.figures import states as state_plots
from lstm_parity.figures.results import plot_accuracy_by_length, plot_training_curve
from lstm_parity.files import copy_file, read_json, write_json
from lstm_parity.metrics import RECORD_KINDS, of_record
from lstm_parity.states import read_states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__.splitlines()[0])
    parser.add_argument("--record", nargs=3, action="append", default=[], metavar=("KIND", "RESULTS", "METRICS"),
                        help=f"a results JSON cached by DVC and the metrics of record to write from it for git; "
                             f"KIND is one of {', '.join(RECORD_KINDS)}; repeat for each")
    parser.add_argument("--publish", nargs=2, action="append", type=Path, default=[], metavar=("RESULT", "COPY"),
                        help="a plot's data cached by DVC and its copy for git; repeat for each")
    parser.add_argument("--curve", type=Path, required=True, help="training curve CSV to read")
    parser.add_argument("--by-length", type=Path, required=True, help="accuracy-by-length JSON to read")
    parser.add_argument("--curve-png", type=Path, required=True)
    parser.add_argument("--by-length-png", type=Path, required=True)
    parser.add_argument("--states", type=Path, required=True, help="the state figures' arrays (.npz) to read")
    parser.add_argument("--state-sequence-png", type=Path, required=True)
    parser.add_argument("--state-projection-png", type=Path, required=True)
    args = parser.parse_args(argv)
    for kind, results, record in args.record:
        write_json(Path(record), of_record(kind, read_json(Path(results))))
    for source, destination in args.publish:
        copy_file(source, destination)
    try:
        with open(args.curve, newline="") as f:
            curve = list(csv.DictReader(f))
        by_length = json.loads(args.by_length.read_text())["accuracy_by_length"]
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"cannot read the plot data: {error}") from None
    figures = read_states(args.states)
    plot_training_curve(curve, args.curve_png)
    plot_accuracy_by_length(by_length, args.by_length_png)
    state_plots.plot_state_along_sequence(figures.sequence, args.state_sequence_png)
    state_plots.plot_state_projection(figures.projection, figures.parity, args.state_projection_png, figures.centres)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
