"""`lstm-parity predict`: the trained model's parity for a bit string, beside the true parity.

    lstm-parity predict 1011001            the bits as an argument
    lstm-parity predict - < bits.txt       from standard input
    lstm-parity predict --file bits.txt    from a file

Prints the predicted parity of the whole string, the probability the model gives that answer, and the
true parity. Whitespace (spaces, newlines) between the bits is skipped. Input is read in blocks and
checked as it arrives, so a long input costs one byte per bit and a bad one stops at its first wrong
character. The model path defaults to the one dvc.yaml declares. The model runs in numpy, from its
weights read out of the .keras file (lstm_parity.keras_file): no TensorFlow is imported.
"""
from __future__ import annotations

import argparse
import io
import sys
from pathlib import Path
from typing import BinaryIO

import numpy as np

from lstm_parity.errors import UsageError
from lstm_parity.inference import final_probabilities
from lstm_parity.keras_file import LstmWeights, read_weights
from lstm_parity.pipeline import declared_path

# A million bits: a thousand times the longest default evaluation length.
MAX_BITS = 1_000_000
MAX_CHARACTERS = 4 * MAX_BITS  # bits and the whitespace between them, at most
BLOCK_BYTES = 1 << 16
WHITESPACE = b" \t\r\n"
PARITY_NAMES = ("even", "odd")  # the parity 0 and 1 stand for


def read_bits(stream: BinaryIO, source: str = "the bit string") -> np.ndarray:
    """The 0s and 1s of `stream` as a uint8 array; anything but 1 to MAX_BITS of them (whitespace
    skipped) is refused, naming `source`, the first wrong character and its position."""
    bits = bytearray()
    position = 0  # characters read before the current block, whitespace included
    while block := stream.read(BLOCK_BYTES):
        wrong = block.translate(None, b"01" + WHITESPACE)
        if wrong:
            at = block.index(wrong[:1])
            character = block[at:at + 4].decode("utf-8", errors="surrogateescape")[:1]
            shown = repr(character) if character.isprintable() else f"the byte 0x{block[at]:02x}"
            raise UsageError(f"{source} holds {shown} at position {position + at + 1}; only the "
                             f"characters 0 and 1 are allowed (and whitespace between them)")
        bits += block.translate(None, WHITESPACE)
        position += len(block)
        if len(bits) > MAX_BITS:
            raise UsageError(f"{source} has more than {MAX_BITS} bits; at most {MAX_BITS} are allowed")
        if position > MAX_CHARACTERS:  # whitespace is skipped, not free: an endless stream of it ends here
            raise UsageError(f"{source} has more than {MAX_CHARACTERS} characters; at most {MAX_BITS} bits "
                             f"with whitespace between them are allowed")
    if not bits:
        raise UsageError(f"{source} is empty; give 1 to {MAX_BITS} characters 0 and 1, e.g. 1011001")
    return np.frombuffer(bytes(bits), dtype=np.uint8) - np.uint8(ord("0"))


def parse_bits(text: str) -> np.ndarray:
    """'1011' -> array([1, 0, 1, 1], uint8), with read_bits's checks."""
    # surrogateescape: an argument that is not UTF-8 reaches Python as surrogates; encoded back, they are
    # the bytes given, and read_bits names the first
    return read_bits(io.BytesIO(text.encode("utf-8", errors="surrogateescape")))


def predict(weights: LstmWeights, bits: np.ndarray) -> tuple[int, float]:
    """(predicted parity of the whole sequence, probability the model gives it)."""
    probabilities = final_probabilities(weights, bits)
    answer = int(probabilities.argmax())
    return answer, float(probabilities[answer])


def input_bits(args: argparse.Namespace) -> np.ndarray:
    if args.file is not None:
        try:
            with open(args.file, "rb") as stream:
                return read_bits(stream, str(args.file))
        except OSError as error:
            raise UsageError(f"{args.file}: cannot read: {error.strerror}") from None
    if args.bits == "-":
        return read_bits(sys.stdin.buffer, "standard input")
    if args.bits is None:
        raise UsageError("give the bits as an argument, - to read standard input, or --file PATH")
    return parse_bits(args.bits)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lstm-parity predict", description=__doc__.splitlines()[0])
    parser.add_argument("bits", nargs="?", help=f"a string of 0s and 1s, 1 to {MAX_BITS} long; - reads stdin")
    parser.add_argument("--file", type=Path, help="read the bits from this file instead")
    parser.add_argument("--model", type=Path, help="a .keras model (default: the path in dvc.yaml)")
    args = parser.parse_args(argv)
    if args.file is not None and args.bits is not None:
        raise UsageError("give the bits either as an argument (or -) or with --file, not both")
    bits = input_bits(args)
    answer, confidence = predict(read_weights(args.model or declared_path("model")), bits)
    actual = int(bits.sum() % 2)
    text = "".join("01"[b] for b in bits[:80]) if len(bits) <= 80 else \
        "".join("01"[b] for b in bits[:38]) + "..." + "".join("01"[b] for b in bits[-38:])
    print(f"bits:       {text} ({len(bits)} bits)")
    print(f"prediction: {answer} (an {PARITY_NAMES[answer]} number of 1s)")
    print(f"confidence: {confidence:.2%}")
    print(f"actual:     {actual} ({'correct' if answer == actual else 'wrong'})")
    return 0

