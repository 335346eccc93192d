"""Stage: the two plots as PNG images, for readers without the Vega scripts `dvc plots show` loads.

Reads the training curve CSV and the accuracy-by-length JSON; writes one PNG of each. Rendered with
matplotlib's Agg backend and no date or version in the file, so the same figures give the same bytes.
"""
from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from stages import cli
from stages.errors import DataError
from stages.files import atomic_path

PNG_METADATA = {"Software": None}  # keeps matplotlib's version out of the file


def _finish(figure, axis, title: str, legend_at: str, path: Path) -> None:
    """Title, grid and legend; then write the PNG atomically and free the figure."""
    import matplotlib.pyplot as plt

    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc=legend_at, fontsize="small")
    figure.tight_layout()
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=100, metadata=PNG_METADATA)
    plt.close(figure)


def plot_training_curve(rows: list[dict], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    epochs = [float(row["epoch"]) for row in rows]
    for column, label in (("loss", "loss (running mean)"), ("accuracy", "per-step accuracy (running mean)"),
                          ("validation_final_accuracy", "validation final-step accuracy"),
                          ("validation_confidence", "validation confidence")):
        if rows and column in rows[0]:
            axis.plot(epochs, [float(row[column]) for row in rows], marker=".", label=label)
    axis.set_xlabel("epoch")
    axis.set_ylim(0, 1.02)
    _finish(figure, axis, "Training", "lower right", path)


def plot_accuracy_by_length(rows: list[dict], path: Path) -> None:
    import matplotlib.pyplot as plt

    figure, axis = plt.subplots(figsize=(6.4, 3.6))
    lengths = [row["length"] for row in rows]
    axis.plot(lengths, [row["accuracy"] for row in rows], marker="o", label="final-step accuracy")
    with_confidence = [row for row in rows if "confidence" in row]
    axis.plot([row["length"] for row in with_confidence], [row["confidence"] for row in with_confidence],
              marker="s", linestyle="none", label="confidence")
    axis.set_xscale("log")
    axis.set_xticks(lengths, [f"{length:g}" for length in lengths])
    axis.set_xlabel("sequence length (log scale)")
    axis.set_ylim(0.45, 1.02)
    axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    _finish(figure, axis, "Held-out accuracy by sequence length", "lower left", path)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.report", description=__doc__.splitlines()[0])
    parser.add_argument("--curve", type=Path, required=True, help="training curve CSV to read")
    parser.add_argument("--by-length", type=Path, required=True, help="accuracy-by-length JSON to read")
    parser.add_argument("--curve-png", type=Path, required=True)
    parser.add_argument("--by-length-png", type=Path, required=True)
    args = parser.parse_args(argv)
    try:
        with open(args.curve, newline="") as f:
            curve = list(csv.DictReader(f))
        by_length = json.loads(args.by_length.read_text())["accuracy_by_length"]
    except (OSError, ValueError, KeyError) as error:
        raise DataError(f"cannot read the plot data: {error}") from None

    import matplotlib

    matplotlib.use("Agg")
    plot_training_curve(curve, args.curve_png)
    plot_accuracy_by_length(by_length, args.by_length_png)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
