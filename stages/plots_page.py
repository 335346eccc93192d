"""Stage: the page template `dvc plots show` and `dvc plots diff` write their pages with (.dvc/config:
plots.html_template), carrying Vega, Vega-Lite and vega-embed inline from the installed vl-convert-python,
so that the pages they write draw offline, loading no script from the network."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from lstm_parity import cli
from lstm_parity.figures.vega import plots_page
from lstm_parity.files import write_text


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m stages.plots_page", description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, required=True, help="the page template to write")
    write_text(parser.parse_args(argv).out, plots_page())
    return 0


if __name__ == "__main__":
    sys.exit(cli.run(main))
