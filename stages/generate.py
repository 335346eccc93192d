"""Stage: random bit sequences and their running-parity targets, as uint8 .npy files.

    python -m stages.generate train   --out data/train     data.count x data.seq_len, and in
                                                           train/validation data.validation_count more
    python -m stages.generate heldout --out data/heldout   evaluate.count x data.seq_len
    python -m stages.generate lengths --out data/lengths   for each L in evaluate.lengths, in lengths/<L>:
                                                           evaluate.count x L

Each set is a folder of bits.npy and targets.npy. Train uses data.seed; the held-out and length sets use
evaluate.seed, each from its own stream, so that no set depends on data.count, and a length set's bytes
do not depend on which other lengths are listed. With data.min_len, the training, validation and
held-out sequences have lengths drawn from min_len..seq_len, padded to seq_len; the length sets are
always full length. All length sets are one output, written together: adding a length rewrites the
others with the same bytes (a fraction of a second), and a length taken off the list leaves nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from tqdm import tqdm

from stages import cli, params
from stages.datasets import VALIDATION_SET, length_folder, write_parity_files
from stages.files import atomic_path
from stages.parity import STREAM_HELDOUT, STREAM_LENGTH, STREAM_TRAIN, STREAM_VALIDATION, chunk_rows, generate_chunks


def _write(folder: Path, count: int, length: int, seed: int, stream: int, min_len: int | None) -> None:
    chunks = generate_chunks(count, length, seed, stream, min_len)
    total = -(-count // chunk_rows(length))
    shown = tqdm(chunks, total=total, desc=f"generate {folder.name}", leave=False, disable=None)
    write_parity_files(folder, count, length, shown)


def generate_set(out: Path, count: int, length: int, seed: int, stream: int, validation_count: int = 0,
                 min_len: int | None = None) -> None:
    """Write `count` sequences of `length` random bits with their targets into folder `out`, atomically;
    with validation_count, that many more from their own stream into out/validation; with min_len, of
    lengths drawn from min_len..length, padded."""
    with atomic_path(out) as tmp:
        _write(tmp, count, length, seed, stream, min_len)
        if validation_count:
            _write(tmp / VALIDATION_SET, validation_count, length, seed, STREAM_VALIDATION, min_len)


def generate_lengths(out: Path, lengths: tuple[int, ...], count: int, seed: int) -> None:
    """Write a set of `count` full-length sequences for each length into out/<length>, atomically."""
    with atomic_path(out) as tmp:
        tmp.mkdir()
        for length in lengths:
            _write(length_folder(tmp, length), count, length, seed, STREAM_LENGTH, None)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.generate", description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=["train", "heldout", "lengths"])
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    p = params.load(args.params)
    if args.set == "train":
        generate_set(args.out, p.data.count, p.data.seq_len, p.data.seed, STREAM_TRAIN, p.data.validation_count,
                     p.data.min_len)
    elif args.set == "heldout":
        generate_set(args.out, p.evaluate.count, p.data.seq_len, p.evaluate.seed, STREAM_HELDOUT,
                     min_len=p.data.min_len)
    else:
        generate_lengths(args.out, p.evaluate.lengths, p.evaluate.count, p.evaluate.seed)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
