"""What every command does with the errors a user can cause: one line on stderr, exit status 2."""
from __future__ import annotations

import sys
from collections.abc import Callable

from stages.io import DataError
from stages.params import ParamsError


class UsageError(ValueError):
    """A command-line argument that is not allowed."""


USER_ERRORS: tuple[type[Exception], ...] = (ParamsError, DataError, UsageError)


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None,
        extra_errors: tuple[type[Exception], ...] = ()) -> int:
    try:
        return main(argv)
    except USER_ERRORS + extra_errors as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
