"""Stage: accuracy and confidence of the trained model on the held-out set and every longer length.

Reads the model, the held-out set and the length sets (<L>/ for each L in evaluate.lengths). Writes one
section per set to the results JSON (heldout, length_<L>), each with:
  accuracy       final-step accuracy: the parity of the whole sequence, as the post's demo asks it
  step_accuracy  accuracy over every position (the running parity)
  confidence     mean over sequences of the probability the model gives its own last-step answer
  length, count  the set's sequence length and number of sequences
When the held-out sequences have lengths of their own (data.min_len), "accuracy" is taken at each
sequence's last bit, "min_length" is added, and "buckets" gives the accuracy for each range of lengths.
A second JSON says how independent the held-out and validation sets are of training: each set's count,
its distinct strings, and how many of them the training set holds too (zero: lstm_parity/splits.py).
The same figures go to a list by length for `dvc plots`. Both files are cached by DVC; the report stage
copies them into metrics/ for git. How each set runs, in bounded memory and without TensorFlow (the model's
weights read from its file, the LSTM run in numpy): lstm_parity/evaluation.py.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli, params
from lstm_parity.datasets import VALIDATION_SET, ParitySet
from lstm_parity.evaluation import by_length, evaluate_all, split_figures
from lstm_parity.files import write_json
from lstm_parity.keras_file import read_weights


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.evaluate", description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, required=True)
    parser.add_argument("--train", type=Path, required=True, help="training set folder (validation/ inside)")
    parser.add_argument("--heldout", type=Path, required=True, help="held-out set folder")
    parser.add_argument("--lengths", type=Path, required=True, help="folder of the length sets, <L>/ each")
    parser.add_argument("--results", type=Path, required=True, help="JSON of the sets' figures to write")
    parser.add_argument("--plot", type=Path, required=True, help="accuracy-by-length JSON to write")
    parser.add_argument("--splits", type=Path, required=True, help="JSON of the sets' independence to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    lengths = params.load(args.params).evaluate.lengths
    results = evaluate_all(read_weights(args.model), args.heldout, args.lengths, lengths)
    write_json(args.results, {name: result.section for name, result in results.items()})
    write_json(args.plot, {"accuracy_by_length": by_length(results)})
    validation = args.train / VALIDATION_SET
    independence = split_figures(ParitySet(args.train), ParitySet(validation) if validation.exists() else None,
                                 ParitySet(args.heldout))
    write_json(args.splits, independence)
    for name, result in results.items():
        s = result.section
        print(f"{name:>12}: accuracy {s['accuracy']:.4f}, step accuracy {s['step_accuracy']:.4f}, "
              f"confidence {s['confidence']:.4f} (length {s['length']}, count {s['count']})")
    for name, figures in independence.items():
        shared = f", {figures['shared_with_training']} shared with training" if name != "training" else ""
        print(f"{name:>12}: {figures['count']} sequences, {figures['distinct']} distinct strings{shared}")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
