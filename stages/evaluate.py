"""Stage: accuracy and confidence of the trained model on the held-out set and every longer length.

Reads the model, data/heldout and data/length_<L> for each L in evaluate.lengths. Writes one section per
set to the metrics JSON (heldout, length_<L>), each with:
  accuracy       final-step accuracy: the parity of the whole sequence, as the post's demo asks it
  step_accuracy  accuracy over every position (the running parity)
  confidence     mean over sequences of the probability the model gives its own last-step answer
  length, count  the set's sequence length and number of sequences
When the held-out sequences have lengths of their own (data.min_len), "accuracy" is taken at each
sequence's last bit, "min_length" is added, and "buckets" gives the accuracy for each range of lengths.
The same figures go to a list by length for `dvc plots`. Runs in batches, so memory stays flat.
"""
from __future__ import annotations

import argparse
import itertools
import sys
from pathlib import Path

import numpy as np

from stages import cli, io, params
from stages.parity import PAD, last_steps, sequence_lengths
from stages.progress import progress

# Sequence steps per evaluation batch: bounds memory whatever the length and count.
BATCH_BITS = 1 << 21
BUCKETS = 5  # ranges of length reported for a held-out set of varying lengths


def length_buckets(shortest: int, longest: int, buckets: int = BUCKETS) -> list[tuple[int, int]]:
    """Up to `buckets` ranges of about equal width covering shortest..longest, inclusive."""
    edges = np.unique(np.linspace(shortest, longest + 1, buckets + 1).round().astype(int))
    return [(int(a), int(b) - 1) for a, b in itertools.pairwise(edges)]


def evaluate_set(predict, data: io.ParitySet) -> dict:
    """Metrics of one set; `predict` maps a (batch, time) uint8 array to (batch, time, 2) probabilities."""
    rows = max(1, BATCH_BITS // data.length)
    step_correct = steps = 0
    final_correct, confidences, lengths = [], [], []
    chunks = data.chunks(rows)
    for bits, targets in progress(chunks, -(-len(data) // rows), desc=f"evaluate {data.folder}"):
        probabilities = np.asarray(predict(bits))
        predicted = probabilities.argmax(axis=-1)
        real = bits != PAD
        step_correct += int(np.sum((predicted == targets) & real))
        steps += int(np.sum(real))
        chunk_lengths = sequence_lengths(bits)
        final_correct.append(last_steps(predicted, chunk_lengths) == last_steps(targets, chunk_lengths))
        confidences.append(last_steps(probabilities, chunk_lengths).max(axis=-1))
        lengths.append(chunk_lengths)
    correct, lengths = np.concatenate(final_correct), np.concatenate(lengths)
    result = {"accuracy": round(float(correct.mean()), 6), "step_accuracy": round(step_correct / steps, 6),
              "confidence": round(float(np.concatenate(confidences).mean()), 6), "length": data.length,
              "count": len(data)}
    if lengths.min() < lengths.max():
        result["min_length"] = int(lengths.min())
        result["buckets"] = {}
        for low, high in length_buckets(int(lengths.min()), int(lengths.max())):
            inside = (lengths >= low) & (lengths <= high)
            result["buckets"][f"{low}-{high}"] = {"accuracy": round(float(correct[inside].mean()), 6),
                                                   "count": int(inside.sum())}
    return result


def evaluate_all(predict, data_dir: Path, lengths: tuple[int, ...]) -> dict[str, dict]:
    names = [io.HELDOUT_SET] + [io.length_set(length) for length in lengths]
    return {name: evaluate_set(predict, io.ParitySet(data_dir / name)) for name in names}


def by_length(sections: dict[str, dict]) -> list[dict]:
    """The plot's rows, shortest sequences first: a row per set, or per length bucket of a set whose
    sequences vary in length (at the bucket's middle length)."""
    rows = []
    for name, s in sections.items():
        if "buckets" not in s:
            rows.append({"set": name, **{k: s[k] for k in ("length", "accuracy", "step_accuracy", "confidence")}})
            continue
        for bucket, b in s["buckets"].items():
            low, high = (int(x) for x in bucket.split("-"))
            rows.append({"set": f"{name} {bucket}", "length": (low + high) / 2, "accuracy": b["accuracy"]})
    return sorted(rows, key=lambda row: row["length"])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--data-dir", type=Path, required=True, help="folder holding heldout and length_<L>")
    parser.add_argument("--metrics", type=Path, required=True, help="JSON metrics to write")
    parser.add_argument("--plot", type=Path, required=True, help="accuracy-by-length JSON to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    lengths = params.load(args.params).evaluate.lengths

    from stages.model import load_model

    model = load_model(args.model)
    sections = evaluate_all(model.predict_on_batch, args.data_dir, lengths)
    io.write_json(args.metrics, sections)
    io.write_json(args.plot, {"accuracy_by_length": by_length(sections)})
    for name, s in sections.items():
        print(f"{name:>12}: accuracy {s['accuracy']:.4f}, step accuracy {s['step_accuracy']:.4f}, "
              f"confidence {s['confidence']:.4f} (length {s['length']}, count {s['count']})")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
