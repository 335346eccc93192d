"""Evaluation: accuracy and confidence of a model on a data set of any length and size, in bounded memory.

Sets shorter than LONG_LENGTH run through the model's predict_on_batch in batches of rows; longer ones
through lstm_parity.inference, in segments of columns with the LSTM state carried. The figures of a set
are made in one place (set_result) whichever way the model ran; each is defined in lstm_parity.metrics.
"""
from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from lstm_parity.datasets import ParitySet, length_folder
from lstm_parity.errors import DataError
from lstm_parity.metrics import (
    answer_confidence,
    answer_correct,
    final_step_confidence,
    final_step_correct,
    rounded,
    step_correct,
)
from lstm_parity.parity import sequence_lengths

# Sequence steps per evaluation batch: bounds memory whatever the length and count.
BATCH_BITS = 1 << 21
BUCKETS = 5  # ranges of length reported for a held-out set of varying lengths
HELDOUT_SECTION = "heldout"  # the metrics' section names: heldout, and length_<L> for each length


def length_section(length: int) -> str:
    return f"length_{length}"

Predict = Callable[[np.ndarray], np.ndarray]  # (batch, time) uint8 bits -> (batch, time, 2) probabilities


@dataclass(frozen=True)
class Bucket:
    low: int   # shortest length in the range, inclusive
    high: int  # longest, inclusive
    accuracy: float
    count: int
    errors: int  # wrong final-step answers


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
                                  int((~correct[inside]).sum())))
        section["min_length"] = int(lengths.min())
        section["buckets"] = {f"{b.low}-{b.high}": {"accuracy": b.accuracy, "count": b.count} for b in buckets}
    return SetResult(section, int((~correct).sum()), buckets)


def evaluate_set(predict: Predict, data: ParitySet) -> SetResult:
    """Metrics of one set through whole-sequence predictions, read in batches of about BATCH_BITS bits."""
    rows = max(1, BATCH_BITS // data.length)
    step_right = steps = 0
    correct, confidences, lengths = [], [], []
    chunks = data.chunks(rows)
    for bits, targets in tqdm(chunks, total=-(-len(data) // rows), desc=f"evaluate {data.folder}",
                              leave=False, disable=None):
        probabilities = np.asarray(predict(bits))
        right, real = step_correct(probabilities, targets)
        step_right, steps = step_right + right, steps + real
        chunk_lengths = sequence_lengths(bits)
        correct.append(final_step_correct(probabilities, targets, chunk_lengths))
        confidences.append(final_step_confidence(probabilities, chunk_lengths))
        lengths.append(chunk_lengths)
    return set_result(np.concatenate(correct), np.concatenate(confidences), np.concatenate(lengths), step_right,
                      steps, data.length)


def evaluate_in_segments(model, data: ParitySet) -> SetResult:
    """Metrics of one set through lstm_parity.inference: every sequence at once, a segment of columns at a
    time, the LSTM state carried; the targets are checked against the parity carried along the bits."""
    from lstm_parity import inference

    try:
        result = inference.evaluate_columns(model, data.columns, len(data), data.length)
    except inference.TargetsMismatch as error:
        raise DataError(f"{data.targets.path}: {error}") from None
    probabilities = result["final_probabilities"]
    return set_result(answer_correct(probabilities, result["final_targets"]), answer_confidence(probabilities),
                      result["steps"], int(result["step_correct"].sum()), int(result["steps"].sum()), data.length)


def evaluate_any(model, data: ParitySet) -> SetResult:
    from lstm_parity.inference import LONG_LENGTH

    if data.length >= LONG_LENGTH:
        return evaluate_in_segments(model, data)
    return evaluate_set(model.predict_on_batch, data)


def evaluate_all(model, heldout: Path, lengths_dir: Path, lengths: tuple[int, ...]) -> dict[str, SetResult]:
    folders = {HELDOUT_SECTION: heldout} | {length_section(n): length_folder(lengths_dir, n) for n in lengths}
    return {name: evaluate_any(model, ParitySet(folder)) for name, folder in folders.items()}


def by_length(results: dict[str, SetResult]) -> list[dict]:
    """The plot's rows, shortest sequences first: a row per set, or per length bucket of a set whose
    sequences vary in length (at the bucket's middle length)."""
    rows = []
    for name, result in results.items():
        s = result.section
        if not result.buckets:
            rows.append({"set": name, "errors": result.errors,
                         **{k: s[k] for k in ("length", "count", "accuracy", "step_accuracy", "confidence")}})
        for b in result.buckets:
            rows.append({"set": f"{name} {b.low}-{b.high}", "length": (b.low + b.high) / 2, "count": b.count,
                         "errors": b.errors, "accuracy": b.accuracy})
    return sorted(rows, key=lambda row: row["length"])
