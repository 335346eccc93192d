"""Stage: accuracy and confidence of the trained model on the held-out set and every longer length.

Reads the model, data/heldout and data/lengths/<L> for each L in evaluate.lengths. Writes one section
per set to the metrics JSON (heldout, length_<L>), each with:
  accuracy       final-step accuracy: the parity of the whole sequence, as the post's demo asks it
  step_accuracy  accuracy over every position (the running parity)
  confidence     mean over sequences of the probability the model gives its own last-step answer
  length, count  the set's sequence length and number of sequences
When the held-out sequences have lengths of their own (data.min_len), "accuracy" is taken at each
sequence's last bit, "min_length" is added, and "buckets" gives the accuracy for each range of lengths.
The same figures go to a list by length for `dvc plots`. Sets shorter than LONG_LENGTH run through
the model's predict_on_batch in batches of rows; longer ones through stages.inference, in segments of
columns with the LSTM state carried: memory stays flat either way.

What the model learned: the LSTM's states after every step of explain.count random sequences of
explain.length bits (explain.seed), the automaton read off them (stages.automaton) written as JSON, and
the arrays the report stage draws the state figures from (stages.states). All outputs are cached by
DVC; the report stage copies the JSON files into metrics/ for git.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from stages import cli, params
from stages.datasets import ParitySet, length_folder
from stages.errors import DataError
from stages.files import write_json
from stages.metrics import (
    answer_confidence,
    answer_correct,
    final_step_confidence,
    final_step_correct,
    rounded,
    step_correct,
)
from stages.parity import sequence_lengths
from stages.states import StateFigures, state_figures, write_states

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
    """Metrics of one set through stages.inference: every sequence at once, a segment of columns at a
    time, the LSTM state carried; the targets are checked against the parity carried along the bits."""
    from stages import inference

    try:
        result = inference.evaluate_columns(model, data.columns, len(data), data.length)
    except inference.TargetsMismatch as error:
        raise DataError(f"{data.targets.path}: {error}") from None
    probabilities = result["final_probabilities"]
    return set_result(answer_correct(probabilities, result["final_targets"]), answer_confidence(probabilities),
                      result["steps"], int(result["step_correct"].sum()), int(result["steps"].sum()), data.length)


def evaluate_any(model, data: ParitySet) -> SetResult:
    from stages.inference import LONG_LENGTH

    if data.length >= LONG_LENGTH:
        return evaluate_in_segments(model, data)
    return evaluate_set(model.predict_on_batch, data)


def evaluate_all(model, heldout: Path, lengths_dir: Path, lengths: tuple[int, ...]) -> dict[str, SetResult]:
    folders = {HELDOUT_SECTION: heldout} | {length_section(n): length_folder(lengths_dir, n) for n in lengths}
    return {name: evaluate_any(model, ParitySet(folder)) for name, folder in folders.items()}


def explain(model, count: int, length: int, rng: np.random.Generator) -> tuple[dict, StateFigures]:
    """What the model learned: its states after every step of `count` random sequences of `length` bits,
    the automaton they implement (automaton.summary) and what the state figures draw."""
    from stages import automaton

    trajectories = automaton.random_trajectories(model, count, length, rng)
    clusters, minimal, centres = automaton.extract_automaton(trajectories, rng)
    return automaton.summary(clusters, minimal, trajectories), state_figures(trajectories, centres)


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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--heldout", type=Path, required=True, help="held-out set folder")
    parser.add_argument("--lengths", type=Path, required=True, help="folder of the length sets, <L>/ each")
    parser.add_argument("--metrics", type=Path, required=True, help="JSON metrics to write")
    parser.add_argument("--plot", type=Path, required=True, help="accuracy-by-length JSON to write")
    parser.add_argument("--automaton", type=Path, required=True, help="the model's automaton, JSON to write")
    parser.add_argument("--states", type=Path, required=True, help="the state figures' arrays, .npz to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    loaded = params.load(args.params)
    lengths, how = loaded.evaluate.lengths, loaded.explain

    from stages.model import load_model

    model = load_model(args.model)
    results = evaluate_all(model, args.heldout, args.lengths, lengths)
    learned, figures = explain(model, how.count, how.length, np.random.default_rng(how.seed))
    write_json(args.metrics, {name: result.section for name, result in results.items()})
    write_json(args.plot, {"accuracy_by_length": by_length(results)})
    write_json(args.automaton, learned)
    write_states(args.states, figures)
    for name, result in results.items():
        s = result.section
        print(f"{name:>12}: accuracy {s['accuracy']:.4f}, step accuracy {s['step_accuracy']:.4f}, "
              f"confidence {s['confidence']:.4f} (length {s['length']}, count {s['count']})")
    print(f"   automaton: {learned['states']} states from {learned['clusters']} clusters, parity flip: "
          f"{learned['is_parity_flip']}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
