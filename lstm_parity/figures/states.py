"""Figures of what the model learned, for the report: the LSTM state along one sequence, beside its bits
and running parity, and the states reached on many sequences projected to 2-D, coloured by parity.

Keras-free (the states' types are imported for annotations only), so a report stage can draw these
from saved arrays; written by lstm_parity.figures.png, so the same arrays give the same bytes.
"""
from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from lstm_parity.figures.png import pyplot, save_png

if TYPE_CHECKING:  # annotations only: drawing needs no Keras
    from lstm_parity.states import Projection, Trajectories

PARITY_COLOURS = ("tab:blue", "tab:orange")  # even, odd


def plot_state_along_sequence(trajectories: Trajectories, path: Path, row: int = 0) -> None:
    """Three panels sharing the time axis: the bits and the running parity (and the model's answer), the
    hidden state's units and the cell state's units, after each step of one sequence."""
    bits, parity = trajectories.bits[row], trajectories.parity[row]
    hidden, cell, predicted = trajectories.hidden[row], trajectories.cell[row], trajectories.predicted[row]
    steps = np.arange(1, len(bits) + 1)
    figure, (top, middle, bottom) = pyplot().subplots(3, 1, sharex=True, figsize=(9, 6.5),
                                                 gridspec_kw={"height_ratios": [1, 2, 2]})
    top.step(steps, bits + 2.4, where="mid", color="black", label="bit")
    top.step(steps, parity + 1.2, where="mid", color="tab:green", label="running parity")
    top.step(steps, predicted, where="mid", color="tab:red", label="model's answer")
    top.set_yticks([0, 1, 1.2, 2.2, 2.4, 3.4], ["0", "1", "0", "1", "0", "1"], fontsize=7)
    top.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    top.set_title("LSTM state along one sequence")
    for axes, values, name in ((middle, hidden, "hidden h"), (bottom, cell, "cell c")):
        for unit in range(values.shape[1]):
            axes.plot(steps, values[:, unit], marker=".", markersize=3, linewidth=1, label=f"unit {unit}")
        axes.set_ylabel(name)
        axes.grid(alpha=0.3)
    middle.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=8)
    bottom.set_xlabel("step")
    figure.tight_layout()
    save_png(figure, path)


def plot_state_projection(projection: Projection, parity: np.ndarray, path: Path,
                          centres: np.ndarray | None = None, max_points: int = 20000) -> None:
    """The 2-D projection of the states, each point coloured by the running parity at its step; the
    automaton's cluster centres, if given, as crosses. At most max_points points (an evenly spaced subset)."""
    parity = np.asarray(parity).ravel()
    keep = np.linspace(0, len(parity) - 1, min(max_points, len(parity))).astype(int)
    points, parity = projection.points[keep], parity[keep]
    figure, axes = pyplot().subplots(figsize=(6, 5))
    for value, name in ((0, "even"), (1, "odd")):
        mine = parity == value
        axes.scatter(points[mine, 0], points[mine, 1], s=4, alpha=0.5, color=PARITY_COLOURS[value],
                     label=f"running parity {value} ({name})", linewidths=0)
    if centres is not None:
        projected = (np.asarray(centres, np.float64) - projection.mean) @ projection.components.T
        axes.scatter(projected[:, 0], projected[:, 1], marker="x", color="black", s=30, label="cluster centres")
    axes.set_xlabel(f"PC 1 ({projection.explained[0]:.0%} of the variance)")
    axes.set_ylabel(f"PC 2 ({projection.explained[1]:.0%})")
    axes.set_title("States (h, c) reached on random sequences")
    legend = axes.legend(fontsize=8)
    for handle in legend.legend_handles[:2]:
        handle.set_sizes([20])
        handle.set_alpha(1)
    axes.grid(alpha=0.3)
    figure.tight_layout()
    save_png(figure, path)
