"""The errors a user can cause. `cli.run` reports any of them as one line on stderr, with exit status 2;
anything else is a bug and keeps its traceback."""
from __future__ import annotations


class UserError(ValueError):
    """Something the user can fix: the message names the key, file or argument and what is allowed."""


class ParamsError(UserError):
    """params.yaml is unreadable or holds a value that is not allowed."""


class DataError(UserError):
    """An input file is missing, damaged or not what the pipeline wrote."""


class UsageError(UserError):
    """A command-line argument or input that is not allowed."""
