"""What every command does with the errors a user can cause: one line on stderr, exit status 2."""
from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from stages.errors import UserError


def run(main: Callable[[list[str] | None], int], argv: list[str] | None = None) -> int:
    try:
        return main(argv)
    except UserError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2


def child_env() -> dict[str, str]:
    """The environment for this project's commands run as child processes (dvc, its stage commands,
    `python -m stages...`): this interpreter's bin folder first on PATH, as in an activated virtual
    environment, so that they find the same packages. Used by the tests and the benchmarks."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    return env
