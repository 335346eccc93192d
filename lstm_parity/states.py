"""The states the figures of what the model learned are drawn from, Keras-free: recorded trajectories,
their 2-D projection, and states.npz, the file that carries one sequence's trajectory and the projection
from the evaluate stage (which has the model) to the report stage (which draws, without Keras).

states.npz is a zip of .npy arrays written with a fixed date, so the same states give the same bytes:
  sequence_bits, sequence_parity, sequence_predicted (1, steps); sequence_hidden, sequence_cell
  (1, steps, units)                   the trajectory of one sequence, for the state-along-a-sequence figure
  projection_points (n, 2), projection_mean (dims,), projection_components (2, dims),
  projection_explained (2,)           the PCA view of every recorded state (dims = 2 x units: h and c)
  parity (n,)                         the running parity at each projected state
  centres (clusters, dims)            the automaton's cluster centres
"""
from __future__ import annotations

import zipfile
from dataclasses import dataclass, fields
from pathlib import Path

import numpy as np

from lstm_parity.errors import DataError
from lstm_parity.files import atomic_path, zip_entry


@dataclass(frozen=True)
class Trajectories:
    """States after every step of `count` sequences: bits and parity (count, length), hidden and cell
    (count, length, units), and the readout's answer (count, length) at each step."""
    bits: np.ndarray
    parity: np.ndarray
    hidden: np.ndarray
    cell: np.ndarray
    predicted: np.ndarray

    @property
    def states(self) -> np.ndarray:
        """(count, length, 2 * units): hidden and cell state side by side."""
        return np.concatenate([self.hidden, self.cell], axis=-1)


@dataclass(frozen=True)
class Projection:
    """A 2-D principal-component view: points (n, 2), and what maps a state onto them."""
    points: np.ndarray
    mean: np.ndarray
    components: np.ndarray  # (2, dims)
    explained: np.ndarray  # share of the variance along each of the two axes


def project_2d(states: np.ndarray) -> Projection:
    """PCA of (n, dims) states onto their first two principal axes, through numpy's SVD. Each axis's
    sign is fixed (its largest coordinate positive), so the picture does not flip between runs."""
    states = np.asarray(states, np.float64).reshape(-1, np.shape(states)[-1])
    mean = states.mean(axis=0)
    _, singular, vt = np.linalg.svd(states - mean, full_matrices=False)
    components = vt[:2] * np.sign(vt[:2][np.arange(2), np.abs(vt[:2]).argmax(axis=1)])[:, None]
    variance = singular ** 2
    explained = variance[:2] / variance.sum() if variance.sum() > 0 else np.zeros(2)
    return Projection((states - mean) @ components.T, mean, components, explained)


@dataclass(frozen=True)
class StateFigures:
    """What the two state figures show: one sequence's trajectory (a Trajectories of one row), the
    projection of every recorded state, the running parity at each of them, and the cluster centres."""
    sequence: Trajectories
    projection: Projection
    parity: np.ndarray
    centres: np.ndarray


def state_figures(trajectories: Trajectories, centres: np.ndarray, row: int = 0) -> StateFigures:
    one = Trajectories(*(getattr(trajectories, f.name)[row:row + 1] for f in fields(Trajectories)))
    return StateFigures(one, project_2d(trajectories.states), trajectories.parity.ravel(), np.asarray(centres))


def _arrays(figures: StateFigures) -> dict[str, np.ndarray]:
    arrays = {f"sequence_{f.name}": getattr(figures.sequence, f.name) for f in fields(Trajectories)}
    arrays |= {f"projection_{f.name}": getattr(figures.projection, f.name) for f in fields(Projection)}
    return arrays | {"parity": figures.parity, "centres": figures.centres}


def write_states(path: Path, figures: StateFigures) -> None:
    """states.npz, atomically, with the same bytes for the same arrays."""
    with atomic_path(path) as tmp, zipfile.ZipFile(tmp, "w") as archive:
        for name, array in sorted(_arrays(figures).items()):
            with archive.open(zip_entry(f"{name}.npy"), "w") as out:
                np.lib.format.write_array(out, np.ascontiguousarray(array), allow_pickle=False)


def read_states(path: Path) -> StateFigures:
    path = Path(path)
    try:
        with np.load(path, allow_pickle=False) as archive:
            arrays = {name: archive[name] for name in archive.files}
    except FileNotFoundError:
        raise DataError(f"{path}: file not found; run the stage that writes it (`dvc repro`)") from None
    except (OSError, ValueError, zipfile.BadZipFile) as error:
        raise DataError(f"{path}: not a readable .npz file ({error})") from None
    expected = [f"sequence_{f.name}" for f in fields(Trajectories)] + \
        [f"projection_{f.name}" for f in fields(Projection)] + ["parity", "centres"]
    missing = [name for name in expected if name not in arrays]
    if missing:
        raise DataError(f"{path}: missing array {missing[0]}")
    return StateFigures(Trajectories(*(arrays[f"sequence_{f.name}"] for f in fields(Trajectories))),
                        Projection(*(arrays[f"projection_{f.name}"] for f in fields(Projection))),
                        arrays["parity"], arrays["centres"])
