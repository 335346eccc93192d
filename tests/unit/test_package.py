"""The package's one guard: run by a Python without the project's packages (the environment not active),
every command says so in one line instead of a traceback."""
from __future__ import annotations

import subprocess
import sys

import pytest

from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def bare_python(tmp_path_factory) -> str:
    """A Python with nothing installed: a new virtual environment, as the system `python` may be."""
    folder = tmp_path_factory.mktemp("bare") / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(folder)], check=True)
    return str(folder / "bin" / "python")


@pytest.mark.parametrize("argv", [["-m", "stages.check_params", "--stamp", "unused"],
                                  ["-m", "lstm_parity", "predict", "1011"],
                                  ["-m", "stages.train", "--help"]])
def test_a_python_without_the_packages_gets_one_line(bare_python, argv):
    result = subprocess.run([bare_python, *argv], cwd=PROJECT, capture_output=True, text=True)
    assert result.returncode == 2
    assert result.stdout == ""
    assert result.stderr.splitlines() == [
        f"error: {bare_python} lacks the project's packages (numpy, yaml, tqdm, keras, matplotlib); activate the "
        f"project's environment (. .venv/bin/activate, which the quick start makes) and run again"]
