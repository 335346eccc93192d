"""The environment in which the tests and benchmarks run the project's commands as child processes."""
from __future__ import annotations

import os
import sys
from pathlib import Path


def child_env() -> dict[str, str]:
    """The environment for this project's commands run as child processes (dvc, its stage commands,
    `python -m stages...`): this interpreter's bin folder first on PATH, as in an activated virtual
    environment, so that they find the same packages. Used by the tests and the benchmarks."""
    env = dict(os.environ)
    env["PATH"] = os.pathsep.join([str(Path(sys.executable).parent), env.get("PATH", "")])
    env.pop("VIRTUAL_ENV", None)
    return env
