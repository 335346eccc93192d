"""Stage: accuracy and confidence of the trained model on the held-out set and every longer length.

Reads the model, data/heldout and data/length_<L> for each L in evaluate.lengths. Writes one section per
set to the metrics JSON (heldout, length_<L>), each with:
  accuracy       final-step accuracy: the parity of the whole sequence, as the post's demo asks it
  step_accuracy  accuracy over every position (the running parity)
  confidence     mean over sequences of the probability the model gives its own last-step answer
  length, count  the set's sequence length and number of sequences
and the same figures as a list by length for `dvc plots`. Runs in batches, so memory stays flat.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np

from stages import cli, io, params
from stages.progress import progress

# Sequence steps per evaluation batch: bounds memory whatever the length and count.
BATCH_BITS = 1 << 21


def evaluate_set(predict, data: io.ParitySet) -> dict:
    """Metrics of one set; `predict` maps a (batch, time) uint8 array to (batch, time, 2) probabilities."""
    rows = max(1, BATCH_BITS // data.length)
    final_correct = step_correct = 0
    confidence_sum = 0.0
    chunks = data.chunks(rows)
    for bits, targets in progress(chunks, -(-len(data) // rows), desc=f"evaluate {data.folder}"):
        probabilities = np.asarray(predict(bits))
        predicted = probabilities.argmax(axis=-1)
        final_correct += int(np.sum(predicted[:, -1] == targets[:, -1]))
        step_correct += int(np.sum(predicted == targets))
        confidence_sum += float(np.sum(probabilities[:, -1].max(axis=-1)))
    count, length = len(data), data.length
    return {"accuracy": round(final_correct / count, 6), "step_accuracy": round(step_correct / (count * length), 6),
            "confidence": round(confidence_sum / count, 6), "length": length, "count": count}


def evaluate_all(predict, data_dir: Path, lengths: tuple[int, ...]) -> dict[str, dict]:
    names = [io.HELDOUT_SET] + [io.length_set(length) for length in lengths]
    return {name: evaluate_set(predict, io.ParitySet(data_dir / name)) for name in names}


def by_length(sections: dict[str, dict]) -> list[dict]:
    """The plot's rows, shortest sequences first."""
    rows = [{"set": name, **{k: s[k] for k in ("length", "accuracy", "step_accuracy", "confidence")}}
            for name, s in sections.items()]
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
