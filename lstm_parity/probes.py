"""Inputs that random bits almost never hold: a few bits, then a long run of zeros. A model right on every
random string of 10,000 bits can still lose the parity it holds after a dozen zeros: random data never
asks it to keep its answer still for long, and a slow drift of its state passes every random test set.
The probe asks: after each prefix, for how many zeros is the answer still the parity?
"""
from __future__ import annotations

import numpy as np

from lstm_parity.forward import step_probabilities
from lstm_parity.keras_file import LstmWeights
from lstm_parity.parity import PAD, running_parity

# A few short prefixes of either parity, then ZEROS zeros after each.
PREFIXES = ("", "1", "11", "101", "111", "01", "000001", "1000011")
ZEROS = 4000


def zero_run_rows(prefixes: tuple[str, ...] = PREFIXES, zeros: int = ZEROS) -> np.ndarray:
    """Each prefix then `zeros` zeros, a row each, padded on the right with PAD to the longest."""
    width = max(map(len, prefixes)) + zeros
    rows = np.full((len(prefixes), width), PAD, np.uint8)
    for row, prefix in zip(rows, prefixes, strict=True):
        row[:len(prefix) + zeros] = [*map(int, prefix), *[0] * zeros]
    return rows


def first_wrong_length(weights: LstmWeights, prefixes: tuple[str, ...] = PREFIXES, zeros: int = ZEROS) -> int | None:
    """The shortest input, over every prefix followed by up to `zeros` zeros, on which the model's answer
    after the last bit is not the parity; None when it is right after every bit of every row."""
    rows = zero_run_rows(prefixes, zeros)
    probabilities, _ = step_probabilities(weights, rows)
    wrong = (probabilities.argmax(axis=-1) != running_parity(rows)) & (rows != PAD)
    positions = [np.flatnonzero(row) for row in wrong]
    first = [int(found[0]) + 1 for found in positions if found.size]
    return min(first) if first else None

