"""Stage: check params.yaml before any other stage runs, and drop length sets no longer listed.

Reads params.yaml; writes the stamp file that every other stage depends on. DVC deletes a stage's outputs
before running its command, so a check inside each stage would come too late to keep them; this stage
runs first and, when it fails, `dvc repro` stops before anything under data/, models/ or metrics/ is
touched. The stamp's content never changes, so passing the check reruns nothing downstream by itself.

It also removes data/length_<L> folders whose L is no longer in evaluate.lengths: DVC forgets a stage
that leaves dvc.yaml but not its output, and the evaluation stage's dependency on data/ would hash it.
"""
from __future__ import annotations

import argparse
import re
import shutil
import sys
from pathlib import Path

from stages import cli, params
from stages.datasets import LENGTH_SET_PREFIX
from stages.files import write_text

STAMP_TEXT = "params.yaml passed stages/params.py's checks\n"
LENGTH_FOLDER = re.compile(re.escape(LENGTH_SET_PREFIX) + r"(\d+)")


def stale_length_folders(data_dir: Path, lengths: tuple[int, ...]) -> list[Path]:
    if not data_dir.is_dir():
        return []
    return sorted(folder for folder in data_dir.iterdir()
                  if folder.is_dir() and (m := LENGTH_FOLDER.fullmatch(folder.name))
                  and int(m.group(1)) not in lengths)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.check_params", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    parser.add_argument("--data-dir", type=Path, required=True, help="folder holding the length_<L> sets")
    parser.add_argument("--stamp", type=Path, required=True, help="file to write when the check passes")
    args = parser.parse_args(argv)
    p = params.load(args.params)
    for folder in stale_length_folders(args.data_dir, p.evaluate.lengths):
        print(f"removing {folder}: its length is no longer in evaluate.lengths", file=sys.stderr)
        shutil.rmtree(folder)
    write_text(args.stamp, STAMP_TEXT)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
