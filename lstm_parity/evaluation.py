"""Evaluation: accuracy and confidence of a model on a data set of any length and size, in bounded memory,
through the numpy forward pass (lstm_parity.inference): no TensorFlow. The figures of a set are made in
one place (set_result); each is defined in lstm_parity.metrics.
"""
from __future__ import annotations

import itertools
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lstm_parity import splits
from lstm_parity.datasets import ParitySet, length_folder
from lstm_parity.errors import DataError
from lstm_parity.inference import TargetsMismatch, evaluate_columns
from lstm_parity.keras_file import LstmWeights
from lstm_parity.metrics import answer_confidence, answer_correct, rounded
from lstm_parity.parity import sequence_lengths

# Rows evaluated together: the cell's buffers grow with them (a few dozen bytes per row and unit), so a
# set of any count runs in blocks of this many rows.
ROWS_PER_BLOCK = 1 << 16
BUCKETS = 5  # ranges of length reported for a held-out set of varying lengths
HELDOUT_SECTION = "heldout"  # the metrics' section names: heldout, and length_<L> for each length


def length_section(length: int) -> str:
    return f"length_{length}"


@dataclass(frozen=True)
class Bucket:
    low: int   # shortest length in the range, inclusive
    high: int  # longest, inclusive
    accuracy: float
    count: int
    errors: int  # wrong final-step answers
    confidence: float


@dataclass(frozen=True)
class SetResult:
    section: dict          # the set's section of the metrics JSON
    errors: int            # wrong final-step answers: the plot shows how far from perfect a set is
    buckets: list[Bucket]  # accuracy by range of lengths; empty when every sequence has the set's length


def length_buckets(shortest: int, longest: int, buckets: int = BUCKETS) -> list[tuple[int, int]]:
    """Up to `buckets` ranges of about equal width covering shortest..longest, inclusive."""
    edges = np.unique(np.linspace(shortest, longest + 1, buckets + 1).round().astype(int))
    return [(int(a), int(b) - 1) for a, b in itertools.pairwise(edges)]


def set_result(correct: np.ndarray, confidence: np.ndarray, lengths: np.ndarray, step_right: int, steps: int,
               length: int) -> SetResult:
    """One set's metrics from per-sequence arrays (is the final answer right, the model's confidence in
    it, the sequence's length) and the count of right steps among all real steps: whichever way the
    model ran, the figures are made here."""
    section = {"accuracy": rounded(correct.mean()), "step_accuracy": rounded(step_right / steps),
               "confidence": rounded(confidence.mean()), "length": length, "count": len(correct)}
    buckets = []
    if lengths.min() < lengths.max():
        for low, high in length_buckets(int(lengths.min()), int(lengths.max())):
            inside = (lengths >= low) & (lengths <= high)
            buckets.append(Bucket(low, high, rounded(correct[inside].mean()), int(inside.sum()),
                                  int((~correct[inside]).sum()), rounded(confidence[inside].mean())))
        section["min_length"] = int(lengths.min())
        section["buckets"] = {f"{b.low}-{b.high}": {"accuracy": b.accuracy, "count": b.count} for b in buckets}
    return SetResult(section, int((~correct).sum()), buckets)


def evaluate_set(weights: LstmWeights, data: ParitySet) -> SetResult:
    """Metrics of one set, in blocks of rows, each a segment of columns at a time with the LSTM state
    carried (lstm_parity.inference), so memory stays flat whatever the set's count and length; the
    targets are checked against the parity carried along the bits."""
    finals, targets, right, steps = [], [], [], []
    blocks = range(0, len(data), ROWS_PER_BLOCK)
    for first in tqdm(blocks, desc=f"evaluate {data.folder}", leave=False, disable=None):
        rows = range(first, min(first + ROWS_PER_BLOCK, len(data)))
        try:
            result = evaluate_columns(weights, lambda start, stop, rows=rows: data.columns(start, stop, rows),
                                      len(rows), data.length)
        except TargetsMismatch as error:
            if error.row is None:
                raise DataError(f"{data.bits.path}: rows {rows.start}..{rows.stop}: {error}") from None
            raise DataError(f"{data.targets.path}: the targets of row {rows.start + error.row} are not the running "
                            f"parity of its bits; the file is damaged: regenerate it (dvc repro)") from None
        finals.append(result["final_probabilities"])
        targets.append(result["final_targets"])
        right.append(result["step_correct"])
        steps.append(result["steps"])
    probabilities, lengths = np.concatenate(finals), np.concatenate(steps)
    return set_result(answer_correct(probabilities, np.concatenate(targets)), answer_confidence(probabilities),
                      lengths, int(np.concatenate(right).sum()), int(lengths.sum()), data.length)


def split_figures(train: ParitySet, validation: ParitySet | None, heldout: ParitySet) -> dict[str, dict]:
    """How many distinct strings the training, validation and held-out sets hold, and how many of the
    validation and held-out ones are training strings too (none, by construction: lstm_parity.splits)."""
    training = _distinct_strings(train)
    figures = {"training": {"count": len(train), "distinct": len(training)}}
    for name, data in (("validation", validation), (HELDOUT_SECTION, heldout)):
        if data is not None:
            strings = _distinct_strings(data)
            figures[name] = {"count": len(data), "distinct": len(strings),
                             "shared_with_training": splits.shared(training, strings)}
    return figures


def _distinct_strings(data: ParitySet) -> np.ndarray:
    prints = [np.unique(splits.fingerprints(bits, sequence_lengths(bits)), axis=0)
              for bits, _ in data.chunks(ROWS_PER_BLOCK)]
    return np.unique(np.concatenate(prints), axis=0) if prints else np.empty((0, 3), np.uint64)


def evaluate_all(weights: LstmWeights, heldout: Path, lengths_dir: Path, lengths: tuple[int, ...]
                 ) -> dict[str, SetResult]:
    folders = {HELDOUT_SECTION: heldout} | {length_section(n): length_folder(lengths_dir, n) for n in lengths}
    return {name: evaluate_set(weights, ParitySet(folder)) for name, folder in folders.items()}


def by_length(results: dict[str, SetResult]) -> list[dict]:
    """The plot's rows, shortest sequences first: a row per set, or per length bucket of a set whose
    sequences vary in length (at the bucket's middle length). Every row has the same keys: DVC's plots
    drop a file's rows otherwise."""
    rows = []
    for name, result in results.items():
        s = result.section
        if not result.buckets:
            rows.append({"set": name, "errors": result.errors,
                         **{k: s[k] for k in ("length", "count", "accuracy", "confidence")}})
        for b in result.buckets:
            rows.append({"set": f"{name} {b.low}-{b.high}", "length": (b.low + b.high) / 2, "count": b.count,
                         "errors": b.errors, "accuracy": b.accuracy, "confidence": b.confidence})
    return sorted(rows, key=lambda row: row["length"])
