"""What every command does with the errors a user can cause: one line on stderr, exit status 2."""
from __future__ import annotations

import sys
from collections.abc import Callable

from lstm_parity.errors import UserError


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    try:
        return main(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
