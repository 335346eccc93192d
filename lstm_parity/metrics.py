"""Pure numpy: the figures every stage reports, each defined once.

`probabilities` are the model's (batch, time, 2) outputs, `targets` the running parity (batch, time), and
`lengths` each row's length before its padding: a sequence's answer is read at its own last bit.
"""
from __future__ import annotations

import numpy as np

from lstm_parity.parity import PAD, last_steps

# Digits kept in the metrics files: enough to compare versions, few enough that diffs stay readable.
DIGITS = 6


def answer_correct(final_probabilities: np.ndarray, final_targets: np.ndarray) -> np.ndarray:
    """Per sequence: is the model's answer, the argmax of its (count, 2) final probabilities, the
    sequence's parity?"""
    return final_probabilities.argmax(axis=-1) == final_targets


def answer_confidence(final_probabilities: np.ndarray) -> np.ndarray:
    """Per sequence: the probability the model gives its own final answer (the post's figure)."""
    return final_probabilities.max(axis=-1)


def final_step_correct(probabilities: np.ndarray, targets: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per sequence: is the answer at its last bit (the parity of the whole sequence) right?"""
    return answer_correct(last_steps(probabilities, lengths), last_steps(targets, lengths))


def final_step_confidence(probabilities: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Per sequence: the probability the model gives its own answer at the last bit."""
    return answer_confidence(last_steps(probabilities, lengths))


def step_correct(probabilities: np.ndarray, targets: np.ndarray) -> tuple[int, int]:
    """(right answers, answers) over every position that is not padding: the running parity's accuracy."""
    real = targets != PAD
    return int(np.sum((probabilities.argmax(axis=-1) == targets) & real)), int(np.sum(real))


def rounded(value: float | None) -> float | None:
    """A figure as the metrics files keep it; None where there is none (no value, or not a number, as the
    mean of an empty set)."""
    if value is None or not np.isfinite(value):
        return None
    return round(float(value), DIGITS)


# The reliability bar, by set: a trained model passes with final-step accuracy at least this on each.
PASS_BAR = {"heldout": 0.999, "length_1000": 0.99}


def passes(accuracy: dict[str, float]) -> bool:
    """Does a model whose final-step accuracy is `accuracy[set]` on each set clear PASS_BAR?"""
    return all(accuracy[name] >= bar for name, bar in PASS_BAR.items())


# What the metrics of record (metrics/, tracked by git, read by `dvc metrics` and `dvc exp show`) keep of
# each stage's results (results/, cached by DVC): the figures a reader compares across versions, so that
# `dvc metrics show` stays readable in a terminal. Constants (a set's count and length), lists (the
# automaton's transition table) and secondary figures (step accuracy, validation figures, clusters) stay
# in the results beside them.
# (Training's metrics of record are its dvclive log's own metrics.json, which the report stage copies.)
RECORD_KINDS = ("eval", "splits", "automaton")


def of_record(kind: str, results: dict) -> dict:
    """The metrics of record of one kind of results (RECORD_KINDS)."""
    if kind == "splits":  # validation and held-out strings shared with training: zero, the figure to watch
        return {"shared": sum(figures.get("shared_with_training", 0) for figures in results.values())}
    if kind == "automaton":
        return {key: results[key] for key in ("states", "is_parity_flip")}
    if kind == "eval":
        record = {}
        for name, section in results.items():
            record[name] = {key: section[key] for key in ("accuracy", "confidence")}
            if "buckets" in section:
                record[name]["buckets"] = {span: {"accuracy": bucket["accuracy"]}
                                           for span, bucket in section["buckets"].items()}
        return record
    raise ValueError(f"no record for {kind!r}; the kinds are {', '.join(RECORD_KINDS)}")
