"""`lstm-parity params`: every key of params.yaml, its value there and its meaning, as a markdown table
(the docs' table is this command's output, checked by a test)."""
from __future__ import annotations

import argparse
from pathlib import Path

from lstm_parity import markdown, params


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="lstm-parity params", description=__doc__.splitlines()[0])
    parser.add_argument("--params", type=Path, default=params.PARAMS_FILE)
    current = params.load(parser.parse_args(argv).params)
    rows = [[f"`{key}`", params.flow_yaml(value), doc] for key, value, doc in params.documented(current)]
    print("\n".join(markdown.table(["key", "default", "meaning"], ["---", "---", "---"], rows)))
    return 0
