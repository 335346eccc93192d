"""Stage: random bit sequences and their running-parity targets, as uint8 .npy files.

    python -m stages.generate train  --out data/train        data.count x data.seq_len
    python -m stages.generate heldout --out data/heldout     evaluate.count x data.seq_len
    python -m stages.generate length --length L --out data/length_L    evaluate.count x L

Each writes bits.npy and targets.npy into its folder. Train uses data.seed; the held-out and length sets
use evaluate.seed, each from its own stream, so that no set depends on data.count or on which other
lengths are listed.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from stages import cli, params
from stages.io import write_parity_set
from stages.parity import STREAM_HELDOUT, STREAM_LENGTH, STREAM_TRAIN, chunk_rows, generate_chunks
from stages.progress import progress


def generate_set(out: Path, count: int, length: int, seed: int, stream: int) -> None:
    """Write `count` sequences of `length` random bits with their targets into folder `out`."""
    chunks = generate_chunks(count, length, seed, stream)
    total = -(-count // chunk_rows(length))
    write_parity_set(out, count, length, progress(chunks, total, desc=f"generate {out}"))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.generate", description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=["train", "heldout", "length"])
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--length", type=int, help="sequence length, for the length set")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    p = params.load(args.params)
    if args.set == "train":
        generate_set(args.out, p.data.count, p.data.seq_len, p.data.seed, STREAM_TRAIN)
    elif args.set == "heldout":
        generate_set(args.out, p.evaluate.count, p.data.seq_len, p.evaluate.seed, STREAM_HELDOUT)
    else:
        if args.length not in p.evaluate.lengths:
            raise cli.UsageError(f"--length {args.length} is not in evaluate.lengths {list(p.evaluate.lengths)}")
        generate_set(args.out, p.evaluate.count, args.length, p.evaluate.seed, STREAM_LENGTH)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
