"""Stage: what a reader of the repository sees of a run, written from what train, evaluate and explain cached.

Writes the metrics of record (metrics/, which git tracks) from the results those stages cache (results/),
copies the training log and the plots' data beside them, draws dvc.yaml's plots as PNG images from
their templates (lstm_parity/figures/vega.py) and the figures of what the model learned.
Why copies: `dvc push --run-cache` uploads run-cache entries and the objects of cached outputs only, so
a heavy stage whose metrics were `cache: false` could not be restored from a shared run cache on another
machine (it trained again); this cheap stage, which imports no Keras, writes the git-tracked files
instead, so `dvc metrics diff` across commits keeps working.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli
from lstm_parity.figures import states as state_plots
from lstm_parity.figures.vega import draw_png, filled_spec
from lstm_parity.files import copy_file, copy_tree, read_json, write_json
from lstm_parity.metrics import RECORD_KINDS, of_record
from lstm_parity.states import read_states


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__.splitlines()[0])
    parser.add_argument("--record", nargs=3, action="append", default=[], metavar=("KIND", "RESULTS", "METRICS"),
                        help=f"a results JSON cached by DVC and the metrics of record to write from it for git; "
                             f"KIND is one of {', '.join(RECORD_KINDS)}; repeat for each")
    parser.add_argument("--publish", nargs=2, action="append", type=Path, default=[], metavar=("RESULT", "COPY"),
                        help="a file or folder cached by DVC and its copy for git; repeat for each")
    parser.add_argument("--png", nargs=2, action="append", default=[], metavar=("PLOT", "PNG"),
                        help="one of dvc.yaml's plots, drawn from its template as a PNG image; repeat for each")
    parser.add_argument("--states", type=Path, required=True, help="the state figures' arrays (.npz) to read")
    parser.add_argument("--state-sequence-png", type=Path, required=True)
    parser.add_argument("--state-projection-png", type=Path, required=True)
    args = parser.parse_args(argv)
    for kind, results, record in args.record:
        write_json(Path(record), of_record(kind, read_json(Path(results))))
    for source, destination in args.publish:
        (copy_tree if source.is_dir() else copy_file)(source, destination)
    for plot, png in args.png:  # after publishing: the plots read the published copies, as DVC does
        draw_png(filled_spec(plot), Path(png))
    figures = read_states(args.states)
    state_plots.plot_state_along_sequence(figures.sequence, args.state_sequence_png)
    state_plots.plot_state_projection(figures.projection, figures.parity, args.state_projection_png, figures.centres)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
