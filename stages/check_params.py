"""Stage: check params.yaml, and what it will cost, before any other stage runs.

Reads params.yaml; writes the stamp file that every stage reading params depends on. DVC deletes a
stage's outputs before running its command, so a check inside each stage would come too late to keep
them; this stage runs first and, when it fails, `dvc repro` stops before anything under data/, models/,
results/, metrics/ or plots/ is touched. Besides each value (lstm_parity/params.py), it checks that the
data sets fit the disk and each stage's memory fits the machine (lstm_parity/resources.py), and that no
output declared in dvc.yaml is a link leading out of the repository. The stamp's content never changes,
so passing the check reruns nothing downstream by itself. It touches no other stage's outputs.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli, params
from lstm_parity.errors import ParamsError
from lstm_parity.files import write_text
from lstm_parity.pipeline import DVC_YAML, links_out
from lstm_parity.resources import check_resources

STAMP_TEXT = "params.yaml passed lstm_parity/params.py's checks\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.check_params", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    parser.add_argument("--stamp", type=Path, required=True, help="file to write when the check passes")
    args = parser.parse_args(argv)
    checked = params.load(args.params)
    links = links_out() if Path(DVC_YAML).exists() else []  # run by DVC, at the repository's root
    if links:
        declared, target = links[0]
        raise ParamsError(f"{declared} is a link to {target}, outside the repository; DVC would remove what "
                          f"it leads to before writing there: make it a folder of the repository")
    args.stamp.parent.mkdir(parents=True, exist_ok=True)
    try:
        check_resources(checked, args.stamp.parent)
    except ParamsError as error:
        raise ParamsError(f"{args.params}: {error}") from None
    write_text(args.stamp, STAMP_TEXT)
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
