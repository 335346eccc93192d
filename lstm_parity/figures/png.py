"""PNG figures written the same way everywhere: matplotlib's Agg backend, no Software entry in the file
(Agg writes no date), so the same figure gives the same bytes; atomically, like every output."""
from __future__ import annotations

from pathlib import Path

from lstm_parity.files import atomic_path

DPI = 100
METADATA = {"Software": None}  # keeps matplotlib's version out of the file


def pyplot():
    """matplotlib.pyplot on the Agg backend (files, no display), imported only when a figure is drawn:
    the one place the backend is chosen, and nothing happens at import time."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_png(figure, path: Path) -> None:
    """Write `figure` to `path` as PNG, atomically, and free it."""
    with atomic_path(path) as tmp:
        figure.savefig(tmp, format="png", dpi=DPI, metadata=METADATA)
    pyplot().close(figure)
