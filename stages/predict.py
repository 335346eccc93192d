"""Command: the trained model's parity for a bit string you type, beside the true parity.

    python -m stages.predict 1011001

Prints the predicted parity of the whole string, the probability the model gives that answer, and the
true parity. The model path defaults to the one dvc.yaml declares. Strings of up to MAX_BITS bits.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import yaml

from stages import cli
from stages.errors import UsageError

# Long enough for any experiment here (the model is exact at 10,000), short enough to answer in seconds.
MAX_BITS = 100_000
DVC_YAML = Path("dvc.yaml")


def parse_bits(text: str) -> np.ndarray:
    """'1011' -> array([1, 0, 1, 1], uint8); anything but 1 to MAX_BITS characters 0 and 1 is refused."""
    if not text:
        raise UsageError(f"the bit string is empty; give 1 to {MAX_BITS} characters 0 and 1, e.g. 1011001")
    if len(text) > MAX_BITS:
        raise UsageError(f"the bit string has {len(text)} characters; at most {MAX_BITS} are allowed")
    bad = next((ch for ch in text if ch not in "01"), None)
    if bad is not None:
        raise UsageError(f"the bit string holds {bad!r} at position {text.index(bad) + 1}; "
                             f"only the characters 0 and 1 are allowed")
    return (np.frombuffer(text.encode("ascii"), dtype=np.uint8) - ord("0")).astype(np.uint8)


def declared_model_path(dvc_yaml: Path = DVC_YAML) -> Path:
    """The model's path as dvc.yaml's vars declare it, so that it is written in one place."""
    try:
        declared = yaml.safe_load(dvc_yaml.read_text())
        return Path(next(v["paths"]["model"] for v in declared["vars"] if "paths" in v))
    except (OSError, yaml.YAMLError, KeyError, TypeError, StopIteration):
        raise UsageError(f"{dvc_yaml}: cannot find vars.paths.model; pass --model") from None


def predict(model, bits: np.ndarray) -> tuple[int, float]:
    """(predicted parity of the whole sequence, probability the model gives it)."""
    probabilities = np.asarray(model.predict_on_batch(bits[np.newaxis, :]))[0, -1]
    answer = int(probabilities.argmax())
    return answer, float(probabilities[answer])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.predict", description=__doc__.splitlines()[0])
    parser.add_argument("bits", help=f"a string of 0s and 1s, 1 to {MAX_BITS} long")
    parser.add_argument("--model", type=Path, help="a .keras model (default: the path in dvc.yaml)")
    args = parser.parse_args(argv)
    bits = parse_bits(args.bits)
    model_path = args.model or declared_model_path()

    from stages.model import load_model

    answer, confidence = predict(load_model(model_path), bits)
    actual = int(bits.sum() % 2)
    shown = args.bits if len(args.bits) <= 80 else f"{args.bits[:38]}...{args.bits[-38:]}"
    print(f"bits:       {shown} ({len(bits)} bits)")
    print(f"prediction: {answer}")
    print(f"confidence: {confidence:.2%}")
    print(f"actual:     {actual} ({'correct' if answer == actual else 'wrong'})")
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
