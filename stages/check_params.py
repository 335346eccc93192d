"""Stage: check params.yaml before any other stage runs.

Reads params.yaml; writes the stamp file that every stage reading params depends on. DVC deletes a
stage's outputs before running its command, so a check inside each stage would come too late to keep
them; this stage runs first and, when it fails, `dvc repro` stops before anything under data/, models/,
results/, metrics/ or plots/ is touched. The stamp's content never changes, so passing the check reruns nothing
downstream by itself. It touches no other stage's outputs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli, params
from lstm_parity.files import write_text

STAMP_TEXT = "params.yaml passed lstm_parity/params.py's checks\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.check_params", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    parser.add_argument("--stamp", type=Path, required=True, help="file to write when the check passes")
    args = parser.parse_args(argv)
    params.load(args.params)
    write_text(args.stamp, STAMP_TEXT)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
