"""The run's figures as PNG images: the training curve, and the held-out errors and confidence by length.
Drawn from the plot data train and evaluate write, by stages.report; the PNGs are written by
lstm_parity.figures.png, so the same data give the same bytes."""
from __future__ import annotations

import math
from pathlib import Path

from lstm_parity.figures.png import pyplot, save_png

# Metrics keep 6 digits, so a mean confidence of 1.0 means "within 5e-7 of certain": drawn there, on the
# log scale where 1 - 1.0 = 0 would vanish.
CERTAIN = 5e-7


def _style(axis, title: str, legend_at: str) -> None:
    axis.set_title(title)
    axis.grid(alpha=0.3)
    axis.legend(loc=legend_at, fontsize="small")


def _finish(figure, axis, title: str, legend_at: str, path: Path) -> None:
    """Title, grid and legend; then write the PNG atomically and free the figure."""
    _style(axis, title, legend_at)
    figure.tight_layout()
    save_png(figure, path)


def plot_training_curve(rows: list[dict], path: Path) -> None:
    plt = pyplot()
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
    """Two panels sharing a log-scaled length axis: the final-step error rate, and how far the mean
    confidence is from certainty, both on log scales so that a perfect set and a nearly perfect one look
    different. A set with no error is drawn at the bottom edge with its own marker and its count."""
    plt = pyplot()
    figure, (errors_axis, doubt_axis) = plt.subplots(2, 1, figsize=(6.4, 5.2), sharex=True)
    lengths = [row["length"] for row in rows]
    floor = min(0.5 / row["count"] for row in rows)  # below any error rate a set of this size can show
    wrong = [row for row in rows if row["errors"]]
    errors_axis.plot([row["length"] for row in wrong], [row["errors"] / row["count"] for row in wrong],
                     marker="o", linestyle="none", label="final-step error rate")
    perfect = [row for row in rows if not row["errors"]]
    errors_axis.plot([row["length"] for row in perfect], [floor] * len(perfect), marker="v", linestyle="none",
                     color="tab:green", label="no error")
    for row in perfect:
        errors_axis.annotate(f"0 of {row['count']}", (row["length"], floor), textcoords="offset points",
                             xytext=(0, 7), ha="center", fontsize="small")
    errors_axis.set_yscale("log")
    errors_axis.set_ylim(floor / 2, 1)
    errors_axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    errors_axis.set_ylabel("error rate (log)")
    with_confidence = [row for row in rows if math.isfinite(row.get("confidence", math.nan))]
    doubts = [max(1 - row["confidence"], CERTAIN) for row in with_confidence]
    doubt_axis.plot([row["length"] for row in with_confidence], doubts, marker="s", color="tab:orange",
                    label="1 - mean confidence")
    doubt_axis.set_yscale("log")
    doubts = doubts or [0.1]
    doubt_axis.set_ylim(min(1e-3, min(doubts) / 3), 1)  # whole decades, so the ticks read as powers of ten
    doubt_axis.axhline(0.5, color="grey", linestyle=":", linewidth=1)
    doubt_axis.set_ylabel("1 - confidence (log)")
    doubt_axis.margins(x=0.15)
    doubt_axis.set_xscale("log")
    doubt_axis.set_xticks(lengths, [f"{length:g}" for length in lengths])
    doubt_axis.set_xlabel("sequence length (log scale)")
    _style(doubt_axis, "How close to certain is the model", "upper left")
    _finish(figure, errors_axis, "Held-out errors by sequence length", "upper left", path)
