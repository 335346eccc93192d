"""Stage: random bit sequences and their running-parity targets, as uint8 .npy files.

    python -m stages.generate train   --out data/train     data.count x data.seq_len, and in
                                                           train/validation data.validation_count more
    python -m stages.generate heldout --out data/heldout   evaluate.heldout_count x data.seq_len
    python -m stages.generate lengths --out data/lengths   for each L in evaluate.lengths, in lengths/<L>:
                                                           evaluate.count x L

Each set is a folder of bits.npy and targets.npy. Train and validation use data.seed; the held-out and
length sets use evaluate.seed, each from its own stream, so that no set depends on data.count, and a
length set's bytes do not depend on which other lengths are listed. data.seed also fixes which strings
are kept from training (lstm_parity/splits.py): the validation and held-out sets draw only from those,
so no string of theirs is a training string. With data.min_len, the training, validation and held-out
sequences have lengths drawn from min_len..seq_len, padded to seq_len; the length sets are always full
length. All length sets are one output, written together: adding a length rewrites the others with the
same bytes (a fraction of a second), and a length taken off the list leaves nothing.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli, params
from lstm_parity.generation import SETS, generate


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.generate", description=__doc__.splitlines()[0])
    parser.add_argument("set", choices=SETS)
    parser.add_argument("--out", type=Path, required=True, help="folder to write")
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    args = parser.parse_args(argv)
    generate(args.set, args.out, params.load(args.params))
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
